import { hkdfSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** The deployment's 32-byte secret, from which the sealing key and the API key pepper are derived. */
export class MasterKey {
  private constructor(private readonly bytes: Buffer) {}

  static fromBase64(value: string): MasterKey {
    const bytes = Buffer.from(value, 'base64');
    if (bytes.length !== 32) throw new Error('SECRETS_KEY must be 32 bytes, base64-encoded (openssl rand -base64 32)');
    return new MasterKey(bytes);
  }

  /** Local mode only: the key in `file`, created on first use, so secrets survive restarts. */
  static fromLocalFile(file: string): MasterKey {
    if (!existsSync(file)) {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    }
    return MasterKey.fromBase64(readFileSync(file, 'utf8').trim());
  }

  derive(purpose: 'endpoint-secrets' | 'api-keys'): Buffer {
    return Buffer.from(hkdfSync('sha256', this.bytes, Buffer.alloc(0), `hookstream ${purpose}`, 32));
  }
}

/** SECRETS_KEY (base64 of 32 bytes) in a deployment; in local mode, a key kept in SECRETS_KEY_FILE. */
export function loadMasterKey(settings: { secretsKey?: string; secretsKeyFile: string; isLocal: boolean }): MasterKey {
  if (settings.secretsKey) return MasterKey.fromBase64(settings.secretsKey);
  if (settings.isLocal) return MasterKey.fromLocalFile(settings.secretsKeyFile);
  throw new Error('SECRETS_KEY is required outside local mode (HOOKSTREAM_LOCAL=1): openssl rand -base64 32');
}
