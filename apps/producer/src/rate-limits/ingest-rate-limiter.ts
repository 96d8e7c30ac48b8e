import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

export interface IngestRateLimitSettings {
  /** Events a second a tenant environment may publish, on average. */
  readonly perSecond: number;
  /** Events it may publish at once, after a quiet spell. */
  readonly burst: number;
}

export type RateDecision = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

/** `Retry-After` in whole seconds, at least 1, from the milliseconds until the limiter frees a point. */
export function retryAfterSeconds(msBeforeNext: number): number {
  return Math.max(1, Math.ceil(msBeforeNext / 1000));
}

/**
 * The ingest limit of `POST /v1/events`, one bucket per tenant and environment (sandbox and live apart):
 * `burst` requests a window of `burst / perSecond` seconds, i.e. `perSecond` on average with bursts up to `burst`.
 * The buckets live in this process's memory, so the limit is per producer instance: N producers behind a
 * load balancer let a tenant through at up to N times the rate.
 */
export class IngestRateLimiter {
  private readonly limiter: RateLimiterMemory;

  constructor(settings: IngestRateLimitSettings) {
    this.limiter = new RateLimiterMemory({
      keyPrefix: 'ingest',
      points: settings.burst,
      duration: settings.burst / settings.perSecond,
    });
  }

  async take(tenantId: string, environment: string): Promise<RateDecision> {
    try {
      await this.limiter.consume(`${tenantId}:${environment}`);
      return { allowed: true };
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        return { allowed: false, retryAfterSeconds: retryAfterSeconds(rejection.msBeforeNext) };
      }
      throw rejection;
    }
  }
}
