import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** The Standard Webhooks headers of one attempt. */
export type SignatureHeaders = {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
};

const SECRET_PREFIX = 'whsec_';

function secretBytes(secret: string): Buffer {
  return Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
}

/** The exact bytes that are signed: `id.timestamp.body`. */
export function signedContent(id: string, timestampSeconds: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${id}.${timestampSeconds}.`), body]);
}

/** `v1,<base64 HMAC-SHA256>` for one secret. */
export function signature(secret: string, content: Buffer): string {
  return `v1,${createHmac('sha256', secretBytes(secret)).update(content).digest('base64')}`;
}

/**
 * Signs the exact body bytes that will be sent, with every valid secret (two during a rotation),
 * space-separated as the spec allows.
 */
export function sign(id: string, timestampSeconds: number, body: Buffer, secrets: readonly string[]): SignatureHeaders {
  return signContent(id, timestampSeconds, signedContent(id, timestampSeconds, body), secrets);
}

/** `sign`, for a caller that has the signed content already (to record its hash, say). */
export function signContent(
  id: string,
  timestampSeconds: number,
  content: Buffer,
  secrets: readonly string[],
): SignatureHeaders {
  if (secrets.length === 0) throw new Error('no secret to sign with');
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': secrets.map((secret) => signature(secret, content)).join(' '),
  };
}

/** A short, non-reversible name for a secret, to record which secrets signed an attempt. */
export function secretFingerprint(secret: string): string {
  return createHash('sha256').update(secretBytes(secret)).digest('hex').slice(0, 12);
}

export type VerifyFailure = 'missing-headers' | 'bad-timestamp' | 'too-old' | 'too-new' | 'no-match';

/**
 * Verifies headers against any of the receiver's secrets: one matching `v1` signature suffices,
 * compared in constant time; the timestamp must be within the tolerance (replay protection).
 */
export function verify(
  headers: Partial<Record<string, string>>,
  body: Buffer,
  secrets: readonly string[],
  { toleranceSeconds = 300, nowSeconds = Math.floor(Date.now() / 1000) } = {},
): { ok: true } | { ok: false; reason: VerifyFailure } {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const header = headers['webhook-signature'];
  if (!id || !timestamp || !header) return { ok: false, reason: 'missing-headers' };
  const seconds = Number(timestamp);
  if (!/^\d+$/.test(timestamp) || !Number.isSafeInteger(seconds)) return { ok: false, reason: 'bad-timestamp' };
  if (seconds < nowSeconds - toleranceSeconds) return { ok: false, reason: 'too-old' };
  if (seconds > nowSeconds + toleranceSeconds) return { ok: false, reason: 'too-new' };
  const content = signedContent(id, seconds, body);
  const offered = header
    .split(' ')
    .filter((part) => part.startsWith('v1,'))
    .map((part) => Buffer.from(part.slice(3), 'base64'));
  for (const secret of secrets) {
    const expected = createHmac('sha256', secretBytes(secret)).update(content).digest();
    if (offered.some((candidate) => candidate.length === expected.length && timingSafeEqual(candidate, expected))) {
      return { ok: true };
    }
  }
  return { ok: false, reason: 'no-match' };
}
