import { createHmac } from 'node:crypto';
import { sign } from '@hookstream/signing';
import { verifyWebhook, WebhookVerificationError, type VerificationFailure, type WebhookHeaders } from './verify';

const secretOf = (fill: number) => 'whsec_' + Buffer.alloc(32, fill).toString('base64');
const OLD_SECRET = secretOf(1);
const NEW_SECRET = secretOf(2);
const OTHER_SECRET = secretOf(3);
const NOW = 1_764_374_400;
const ID = 'msg_2f1Qx';
const BODY = '{"id":"evt_1","type":"payin.succeeded","data":{"amount":1999}}';

/** Signs like any Standard Webhooks sender, independently of the code under test. */
function signedHeaders(secrets: string[], { id = ID, timestamp = NOW, body = BODY } = {}): Record<string, string> {
  const signatures = secrets.map((secret) => {
    const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
    return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
  });
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signatures.join(' ') };
}

function failure(headers: WebhookHeaders, body: string | Buffer, secrets: string[]): VerificationFailure | 'verified' {
  try {
    verifyWebhook(headers, body, secrets, { nowSeconds: NOW });
    return 'verified';
  } catch (error) {
    if (error instanceof WebhookVerificationError) return error.reason;
    throw error;
  }
}

describe('verifyWebhook', () => {
  it('verifies a valid request and answers its id, timestamp and exact body', () => {
    expect(verifyWebhook(signedHeaders([OLD_SECRET]), BODY, [OLD_SECRET], { nowSeconds: NOW })).toEqual({
      webhookId: ID,
      timestampSeconds: NOW,
      rawBody: Buffer.from(BODY),
    });
  });

  it('accepts the body as a Buffer and the secret without its whsec_ prefix', () => {
    expect(failure(signedHeaders([OLD_SECRET]), Buffer.from(BODY), [OLD_SECRET.slice(6)])).toBe('verified');
  });

  it.each<[string, () => VerificationFailure | 'verified', VerificationFailure | 'verified']>([
    [
      'a tampered body',
      () => failure(signedHeaders([OLD_SECRET]), BODY.replace('1999', '9999'), [OLD_SECRET]),
      'no-matching-signature',
    ],
    [
      'a tampered signature',
      () => {
        const headers = signedHeaders([OLD_SECRET]);
        const tampered = headers['webhook-signature']!.replace(/^v1,./, (prefix) =>
          prefix === 'v1,A' ? 'v1,B' : 'v1,A',
        );
        return failure({ ...headers, 'webhook-signature': tampered }, BODY, [OLD_SECRET]);
      },
      'no-matching-signature',
    ],
    [
      'a tampered id',
      () => failure({ ...signedHeaders([OLD_SECRET]), 'webhook-id': 'msg_other' }, BODY, [OLD_SECRET]),
      'no-matching-signature',
    ],
    [
      'a truncated signature',
      () => failure({ ...signedHeaders([OLD_SECRET]), 'webhook-signature': 'v1,AAAA' }, BODY, [OLD_SECRET]),
      'no-matching-signature',
    ],
    [
      'a signature of another scheme',
      () =>
        failure(
          {
            ...signedHeaders([OLD_SECRET]),
            'webhook-signature': signedHeaders([OLD_SECRET])['webhook-signature']!.replace('v1,', 'v2,'),
          },
          BODY,
          [OLD_SECRET],
        ),
      'no-matching-signature',
    ],
    [
      'a timestamp 6 minutes old',
      () => failure(signedHeaders([OLD_SECRET], { timestamp: NOW - 360 }), BODY, [OLD_SECRET]),
      'too-old',
    ],
    [
      'a timestamp 6 minutes ahead',
      () => failure(signedHeaders([OLD_SECRET], { timestamp: NOW + 360 }), BODY, [OLD_SECRET]),
      'too-new',
    ],
    [
      'a timestamp just within 5 minutes',
      () => failure(signedHeaders([OLD_SECRET], { timestamp: NOW - 300 }), BODY, [OLD_SECRET]),
      'verified',
    ],
    [
      'a malformed timestamp',
      () => failure({ ...signedHeaders([OLD_SECRET]), 'webhook-timestamp': '17e8' }, BODY, [OLD_SECRET]),
      'bad-timestamp',
    ],
    ['no headers', () => failure({}, BODY, [OLD_SECRET]), 'missing-headers'],
    [
      'no signature',
      () => failure({ ...signedHeaders([OLD_SECRET]), 'webhook-signature': undefined }, BODY, [OLD_SECRET]),
      'missing-headers',
    ],
    [
      'an id sent twice',
      () => failure({ ...signedHeaders([OLD_SECRET]), 'webhook-id': [ID, 'msg_x'] }, BODY, [OLD_SECRET]),
      'missing-headers',
    ],
  ])('answers for %s', (_, attempt, expected) => {
    expect(attempt()).toBe(expected);
  });

  it('verifies during a rotation: either secret of the receiver matches, a third does not', () => {
    const headers = signedHeaders([NEW_SECRET, OLD_SECRET]);
    expect(failure(headers, BODY, [OLD_SECRET])).toBe('verified');
    expect(failure(headers, BODY, [NEW_SECRET])).toBe('verified');
    expect(failure(signedHeaders([NEW_SECRET]), BODY, [OLD_SECRET, NEW_SECRET])).toBe('verified');
    expect(failure(headers, BODY, [OTHER_SECRET])).toBe('no-matching-signature');
  });

  it('reads header names in any case', () => {
    const headers = Object.fromEntries(
      Object.entries(signedHeaders([OLD_SECRET])).map(([name, value]) => [name.toUpperCase(), value]),
    );
    expect(failure(headers, BODY, [OLD_SECRET])).toBe('verified');
  });

  it("verifies what the engine's own signer signs, so the two cannot drift", () => {
    const headers = sign(ID, NOW, Buffer.from(BODY), [NEW_SECRET, OLD_SECRET]);
    expect(failure(headers, BODY, [OLD_SECRET])).toBe('verified');
    expect(failure(headers, BODY, [NEW_SECRET])).toBe('verified');
    expect(failure(headers, BODY, [OTHER_SECRET])).toBe('no-matching-signature');
  });

  it('refuses to verify without a usable secret', () => {
    expect(() => verifyWebhook(signedHeaders([OLD_SECRET]), BODY, [])).toThrow('at least one webhook secret');
    expect(() => verifyWebhook(signedHeaders([OLD_SECRET]), BODY, ['whsec_'])).toThrow('whsec_ followed by base64');
  });
});

describe('the signature comparison', () => {
  afterEach(() => jest.restoreAllMocks());

  it('goes through crypto.timingSafeEqual, never a short-circuiting ===', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const crypto = require('node:crypto') as typeof import('node:crypto');
    const timingSafeEqual = jest.spyOn(crypto, 'timingSafeEqual');
    expect(failure(signedHeaders([OLD_SECRET]), BODY.replace('1999', '9999'), [OLD_SECRET])).toBe(
      'no-matching-signature',
    );
    expect(timingSafeEqual).toHaveBeenCalledTimes(1);
  });
});
