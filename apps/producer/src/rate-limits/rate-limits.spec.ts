import { AuthFailureThrottle, clientAddressKey } from './auth-failure-throttle';
import { IngestRateLimiter, retryAfterSeconds } from './ingest-rate-limiter';

describe('retryAfterSeconds', () => {
  it.each([
    [0, 1],
    [1, 1],
    [999, 1],
    [1000, 1],
    [1001, 2],
    [59_500, 60],
  ])('%i ms → %i s', (ms, seconds) => {
    expect(retryAfterSeconds(ms)).toBe(seconds);
  });
});

describe('IngestRateLimiter', () => {
  it('lets a burst through, then refuses with a Retry-After of at least a second', async () => {
    const limiter = new IngestRateLimiter({ perSecond: 2, burst: 4 });
    const decisions = [];
    for (let i = 0; i < 6; i++) decisions.push(await limiter.take('ten_a', 'sandbox'));
    expect(decisions.slice(0, 4)).toEqual(Array(4).fill({ allowed: true }));
    for (const decision of decisions.slice(4)) {
      expect(decision).toEqual({ allowed: false, retryAfterSeconds: expect.any(Number) });
      if (!decision.allowed) {
        expect(decision.retryAfterSeconds).toBeGreaterThanOrEqual(1);
        expect(decision.retryAfterSeconds).toBeLessThanOrEqual(2);
      }
    }
  });

  it('keeps one bucket per tenant and environment', async () => {
    const limiter = new IngestRateLimiter({ perSecond: 1, burst: 1 });
    expect(await limiter.take('ten_a', 'sandbox')).toEqual({ allowed: true });
    expect((await limiter.take('ten_a', 'sandbox')).allowed).toBe(false);
    expect(await limiter.take('ten_a', 'live')).toEqual({ allowed: true });
    expect(await limiter.take('ten_b', 'sandbox')).toEqual({ allowed: true });
  });

  it('refills once the window has passed', async () => {
    const limiter = new IngestRateLimiter({ perSecond: 20, burst: 2 });
    await limiter.take('ten_a', 'sandbox');
    await limiter.take('ten_a', 'sandbox');
    expect((await limiter.take('ten_a', 'sandbox')).allowed).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await limiter.take('ten_a', 'sandbox')).toEqual({ allowed: true });
  });
});

describe('clientAddressKey', () => {
  it.each([
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['127.0.0.1', '127.0.0.1'],
    ['::1', '::1'],
    ['2001:DB8::1', '2001:db8::1'],
    ['', 'unknown'],
  ])('%s → %s', (ip, key) => {
    expect(clientAddressKey(ip)).toBe(key);
  });
});

describe('AuthFailureThrottle', () => {
  it('blocks an address past its failures a minute, for the block duration, and no other', async () => {
    const throttle = new AuthFailureThrottle({ failuresPerMinute: 3, blockSeconds: 1 });
    for (let i = 0; i < 3; i++) {
      expect(await throttle.blockedFor('::ffff:10.0.0.1')).toBeUndefined();
      expect(await throttle.recordFailure('::ffff:10.0.0.1')).toBeUndefined();
    }
    expect(await throttle.recordFailure('10.0.0.1')).toBe(1);
    expect(await throttle.blockedFor('10.0.0.1')).toBe(1);
    expect(await throttle.blockedFor('::ffff:10.0.0.1')).toBe(1);
    expect(await throttle.blockedFor('10.0.0.2')).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await throttle.blockedFor('10.0.0.1')).toBeUndefined();
  });
});
