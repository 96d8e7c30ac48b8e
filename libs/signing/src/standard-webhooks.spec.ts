import { Webhook } from 'standardwebhooks';
import { secretFingerprint, sign, signature, signedContent, verify } from './standard-webhooks';

// The test vector of the Standard Webhooks specification and its reference libraries.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  payload: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
const body = Buffer.from(VECTOR.payload);
const now = { nowSeconds: VECTOR.timestamp };

describe('Standard Webhooks signing', () => {
  it('reproduces the specification test vector', () => {
    expect(signature(VECTOR.secret, signedContent(VECTOR.id, VECTOR.timestamp, body))).toBe(VECTOR.signature);
    expect(sign(VECTOR.id, VECTOR.timestamp, body, [VECTOR.secret])).toEqual({
      'webhook-id': VECTOR.id,
      'webhook-timestamp': String(VECTOR.timestamp),
      'webhook-signature': VECTOR.signature,
    });
  });

  it('accepts the secret with or without its whsec_ prefix', () => {
    expect(sign(VECTOR.id, VECTOR.timestamp, body, [VECTOR.secret.slice(6)])['webhook-signature']).toBe(
      VECTOR.signature,
    );
  });

  it('signs with both secrets during a rotation, space-separated, and either verifies', () => {
    const next = 'whsec_' + Buffer.alloc(32, 9).toString('base64');
    const headers = sign(VECTOR.id, VECTOR.timestamp, body, [next, VECTOR.secret]);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(verify(headers, body, [VECTOR.secret], now)).toEqual({ ok: true });
    expect(verify(headers, body, [next], now)).toEqual({ ok: true });
  });

  it('is accepted by the standardwebhooks reference library', () => {
    const headers = sign(VECTOR.id, Math.floor(Date.now() / 1000), body, [VECTOR.secret]);
    expect(new Webhook(VECTOR.secret).verify(VECTOR.payload, { ...headers })).toEqual({ test: 2432232314 });
  });

  it.each([
    ['a changed body', { body: Buffer.from('{"test": 2432232315}') }, 'no-match'],
    ['another secret', { secrets: ['whsec_' + Buffer.alloc(32, 1).toString('base64')] }, 'no-match'],
    ['an old timestamp', { now: VECTOR.timestamp + 301 }, 'too-old'],
    ['a future timestamp', { now: VECTOR.timestamp - 301 }, 'too-new'],
  ])('refuses %s', (_, change, reason) => {
    const headers = sign(VECTOR.id, VECTOR.timestamp, body, [VECTOR.secret]);
    const result = verify(
      headers,
      'body' in change ? change.body : body,
      'secrets' in change ? change.secrets : [VECTOR.secret],
      {
        nowSeconds: 'now' in change ? change.now : VECTOR.timestamp,
      },
    );
    expect(result).toEqual({ ok: false, reason });
  });

  it('refuses missing headers and a malformed timestamp', () => {
    expect(verify({}, body, [VECTOR.secret])).toEqual({ ok: false, reason: 'missing-headers' });
    const headers = { ...sign(VECTOR.id, VECTOR.timestamp, body, [VECTOR.secret]), 'webhook-timestamp': '12e5' };
    expect(verify(headers, body, [VECTOR.secret], now)).toEqual({ ok: false, reason: 'bad-timestamp' });
  });

  it('fingerprints secrets without revealing them', () => {
    expect(secretFingerprint(VECTOR.secret)).toMatch(/^[0-9a-f]{12}$/);
    expect(secretFingerprint(VECTOR.secret)).toBe(secretFingerprint(VECTOR.secret.slice(6)));
  });
});
