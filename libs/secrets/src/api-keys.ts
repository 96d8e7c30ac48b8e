import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { MasterKey } from './master-key';

export type Environment = 'sandbox' | 'live';

const PREFIX: Record<Environment, string> = { sandbox: 'sk_test_', live: 'sk_live_' };
const LOOKUP_CHARS = 12;
const KEY_FORMAT = /^sk_(test|live)_([0-9A-Za-z]{40})$/;

export interface IssuedApiKey {
  /** Shown once, never stored. */
  readonly key: string;
  /** Stored in clear to find the key's row. */
  readonly lookup: string;
  /** Stored: HMAC-SHA256 of the whole key with a server-side pepper. */
  readonly hash: string;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * API keys: 40 random base62 characters after the environment prefix (about 238 bits), so a keyed
 * HMAC is enough; a slow hash would only slow every request down.
 */
export class ApiKeyHasher {
  private readonly pepper: Buffer;

  constructor(masterKey: MasterKey) {
    this.pepper = masterKey.derive('api-keys');
  }

  issue(environment: Environment): IssuedApiKey {
    // Bytes below 248 (4 × 62) map evenly onto the 62 characters; the rest are dropped.
    let random = '';
    while (random.length < 40) {
      for (const byte of randomBytes(48)) if (byte < 248 && random.length < 40) random += BASE62[byte % 62];
    }
    const key = `${PREFIX[environment]}${random}`;
    return { key, lookup: lookupOf(key), hash: this.hash(key) };
  }

  hash(key: string): string {
    return createHmac('sha256', this.pepper).update(key).digest('hex');
  }

  matches(key: string, storedHash: string): boolean {
    const expected = Buffer.from(storedHash, 'hex');
    const actual = Buffer.from(this.hash(key), 'hex');
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }
}

/** The environment and lookup of a well-formed key, or undefined. */
export function parseApiKey(key: string): { environment: Environment; lookup: string } | undefined {
  const match = KEY_FORMAT.exec(key);
  if (!match) return undefined;
  return { environment: match[1] === 'test' ? 'sandbox' : 'live', lookup: lookupOf(key) };
}

function lookupOf(key: string): string {
  return key.slice(0, 8 + LOOKUP_CHARS);
}
