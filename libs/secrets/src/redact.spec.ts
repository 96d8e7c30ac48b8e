import { redactCredentials } from './redact';

describe('redactCredentials', () => {
  it('masks endpoint secrets and API keys, and nothing else', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw/w+Z7b=';
    const key = 'sk_live_0123456789abcdefghijABCDEFGHIJ0123456789';
    expect(redactCredentials(`"${secret}" is not in the catalogue`)).toBe('"whsec_[redacted]" is not in the catalogue');
    expect(redactCredentials(`${key} and sk_test_abc`)).toBe('sk_live_[redacted] and sk_test_[redacted]');
    expect(redactCredentials('"payin.exploded" is not in the catalogue')).toBe(
      '"payin.exploded" is not in the catalogue',
    );
  });
});
