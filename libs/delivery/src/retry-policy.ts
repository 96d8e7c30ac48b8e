import { parseDuration } from './durations';

/** The default schedule of the contract: the delays before retries 1…8 (the first attempt is immediate). */
export const DEFAULT_RETRY_SCHEDULE = ['5s', '5m', '30m', '2h', '5h', '10h', '10h'] as const;

/** Delay tiers on Kafka, longest first (each is a topic `hookstream.retry.<tier>`). */
const TIERS_MS: readonly [RetryTier, number][] = [
  ['10h', 36_000_000],
  ['5h', 18_000_000],
  ['2h', 7_200_000],
  ['30m', 1_800_000],
  ['5m', 300_000],
  ['30s', 30_000],
  ['5s', 5_000],
  ['1s', 1_000],
];

/**
 * Retry tiers, shortest first: fixed delays, so records within one tier topic fall due in offset
 * order; any schedule entry maps to a chain of them.
 */
export const RETRY_TIERS = ['1s', '5s', '30s', '5m', '30m', '2h', '5h', '10h'] as const;
export type RetryTier = (typeof RETRY_TIERS)[number];

export type RetryDecision =
  | {
      readonly kind: 'retry';
      readonly attempt: number;
      readonly delayMs: number;
      readonly tiers: readonly RetryTier[];
      readonly dueAt: number;
    }
  | { readonly kind: 'exhausted'; readonly attempts: number };

export interface RetryInput {
  /** The attempt that just failed, 1 for the first. */
  readonly failedAttempt: number;
  readonly failedAt: number;
  /** The endpoint's own schedule, or the deployment's. */
  readonly schedule: readonly string[];
  /** Seconds from a 429/503 `Retry-After`, if the receiver sent one. */
  readonly retryAfterSeconds?: number;
}

export interface RetryPolicyOptions {
  /** ±fraction applied to each delay (0.2 = ±20 %). */
  readonly jitter: number;
  /** A number in [0, 1): Math.random in production, fixed in tests. */
  readonly random: () => number;
}

/** Parses a schedule of durations; throws naming the bad entry (configuration is checked at start). */
export function parseSchedule(schedule: readonly string[]): number[] {
  return schedule.map((entry) => {
    const ms = parseDuration(entry);
    if (ms === undefined || ms < 1000)
      throw new Error(`retry schedule entry "${entry}" is not a duration of at least 1s`);
    return ms;
  });
}

/**
 * What comes after a failed attempt: the next retry (its jittered delay, the chain of tiers that
 * adds up to it, its due time) or exhaustion once the schedule is spent. Pure: time and randomness
 * come in as arguments.
 */
export function decideRetry(input: RetryInput, options: RetryPolicyOptions): RetryDecision {
  const delays = parseSchedule(input.schedule);
  const scheduled = delays[input.failedAttempt - 1];
  if (scheduled === undefined) return { kind: 'exhausted', attempts: input.failedAttempt };
  const factor = 1 + options.jitter * (2 * options.random() - 1);
  let delayMs = Math.round(scheduled * factor);
  if (input.retryAfterSeconds !== undefined) {
    // A receiver's Retry-After is honoured within [scheduled delay, twice it].
    delayMs = Math.min(Math.max(input.retryAfterSeconds * 1000, scheduled), 2 * scheduled);
  }
  const tiers = tiersFor(delayMs);
  const actualMs = tiers.reduce((sum, tier) => sum + tierMs(tier), 0);
  return {
    kind: 'retry',
    attempt: input.failedAttempt + 1,
    delayMs: actualMs,
    tiers,
    dueAt: input.failedAt + actualMs,
  };
}

/** The chain of fixed tiers, longest first, whose sum is the delay rounded to whole seconds (at least 1 s). */
export function tiersFor(delayMs: number): RetryTier[] {
  let remaining = Math.max(1000, Math.round(delayMs / 1000) * 1000);
  const chain: RetryTier[] = [];
  for (const [tier, ms] of TIERS_MS) {
    while (remaining >= ms) {
      chain.push(tier);
      remaining -= ms;
    }
  }
  return chain;
}

export function tierMs(tier: string): number {
  const found = TIERS_MS.find(([name]) => name === tier);
  if (!found) throw new Error(`unknown retry tier ${tier}`);
  return found[1];
}
