import { DEFAULT_RETRY_SCHEDULE, decideRetry, parseSchedule, tierMs, tiersFor } from './retry-policy';

const noJitter = { jitter: 0.2, random: () => 0.5 };
const at = 1_000_000;

describe('retry policy', () => {
  it('follows the default schedule: 8 attempts, then exhausted', () => {
    const delays: number[] = [];
    for (let failed = 1; failed <= 7; failed++) {
      const decision = decideRetry({ failedAttempt: failed, failedAt: at, schedule: DEFAULT_RETRY_SCHEDULE }, noJitter);
      if (decision.kind !== 'retry') throw new Error(`attempt ${failed} exhausted`);
      expect(decision.attempt).toBe(failed + 1);
      expect(decision.dueAt).toBe(at + decision.delayMs);
      delays.push(decision.delayMs);
    }
    expect(delays).toEqual([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    expect(decideRetry({ failedAttempt: 8, failedAt: at, schedule: DEFAULT_RETRY_SCHEDULE }, noJitter)).toEqual({
      kind: 'exhausted',
      attempts: 8,
    });
  });

  it('keeps jitter within ±20 %', () => {
    for (const random of [0, 0.25, 0.75, 0.999999]) {
      const decision = decideRetry(
        { failedAttempt: 2, failedAt: at, schedule: DEFAULT_RETRY_SCHEDULE },
        { jitter: 0.2, random: () => random },
      );
      if (decision.kind !== 'retry') throw new Error('exhausted');
      expect(decision.delayMs).toBeGreaterThanOrEqual(240_000);
      expect(decision.delayMs).toBeLessThanOrEqual(360_000);
    }
  });

  it('uses an endpoint schedule of its own', () => {
    const schedule = ['1s', '2s'];
    expect(decideRetry({ failedAttempt: 2, failedAt: at, schedule }, noJitter)).toMatchObject({
      kind: 'retry',
      delayMs: 2000,
      tiers: ['1s', '1s'],
    });
    expect(decideRetry({ failedAttempt: 3, failedAt: at, schedule }, noJitter).kind).toBe('exhausted');
    expect(decideRetry({ failedAttempt: 1, failedAt: at, schedule: [] }, noJitter).kind).toBe('exhausted');
  });

  it('honours Retry-After between the scheduled delay and twice it', () => {
    const schedule = ['30m'];
    const retry = (seconds: number) =>
      decideRetry({ failedAttempt: 1, failedAt: at, schedule, retryAfterSeconds: seconds }, noJitter);
    expect(retry(60)).toMatchObject({ delayMs: 1_800_000 });
    expect(retry(2700)).toMatchObject({ delayMs: 2_700_000 });
    expect(retry(86_400)).toMatchObject({ delayMs: 3_600_000 });
  });

  it('maps any delay onto a chain of tiers that adds up to it', () => {
    expect(tiersFor(5_000)).toEqual(['5s']);
    expect(tiersFor(6 * 60_000)).toEqual(['5m', '30s', '30s']);
    expect(tiersFor(100)).toEqual(['1s']);
    for (const ms of [1_234_567, 36_000_000 * 1.2, 7_777]) {
      expect(tiersFor(ms).reduce((sum, tier) => sum + tierMs(tier), 0)).toBe(Math.round(ms / 1000) * 1000);
    }
  });

  it('refuses a bad schedule entry by name', () => {
    expect(() => parseSchedule(['5s', 'later'])).toThrow(/"later"/);
    expect(() => parseSchedule(['500ms'])).toThrow(/at least 1s/);
  });
});
