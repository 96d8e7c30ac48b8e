import { randomBytes } from 'node:crypto';
import { ApiKeyHasher, parseApiKey } from './api-keys';
import { newEndpointSecret, SecretSealer } from './endpoint-secrets';
import { MasterKey } from './master-key';

const master = MasterKey.fromBase64(randomBytes(32).toString('base64'));

describe('endpoint secrets', () => {
  it('are whsec_ and base64 of 32 random bytes', () => {
    const secret = newEndpointSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(newEndpointSecret()).not.toBe(secret);
  });

  it('seal and open, but only for the same endpoint and key', () => {
    const sealer = new SecretSealer(master);
    const secret = newEndpointSecret();
    const sealed = sealer.seal(secret, 'ep_1');
    expect(sealed.toString('utf8')).not.toContain(secret.slice(6));
    expect(sealer.open(sealed, 'ep_1')).toBe(secret);
    expect(() => sealer.open(sealed, 'ep_2')).toThrow();
    const otherKey = new SecretSealer(MasterKey.fromBase64(randomBytes(32).toString('base64')));
    expect(() => otherKey.open(sealed, 'ep_1')).toThrow();
  });
});

describe('API keys', () => {
  const hasher = new ApiKeyHasher(master);

  it('carry their environment and verify against their hash only', () => {
    const sandbox = hasher.issue('sandbox');
    const live = hasher.issue('live');
    expect(sandbox.key).toMatch(/^sk_test_[0-9A-Za-z]{40}$/);
    expect(live.key).toMatch(/^sk_live_[0-9A-Za-z]{40}$/);
    expect(parseApiKey(sandbox.key)).toEqual({ environment: 'sandbox', lookup: sandbox.lookup });
    expect(hasher.matches(sandbox.key, sandbox.hash)).toBe(true);
    expect(hasher.matches(live.key, sandbox.hash)).toBe(false);
    expect(sandbox.hash).not.toContain(sandbox.key);
  });

  it('refuses malformed keys', () => {
    expect(parseApiKey('sk_test_short')).toBeUndefined();
    expect(parseApiKey('Bearer sk_live_x')).toBeUndefined();
  });

  it('refuses a master key of the wrong size', () => {
    expect(() => MasterKey.fromBase64('c2hvcnQ=')).toThrow(/32 bytes/);
  });
});
