import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { retryAfterSeconds } from './ingest-rate-limiter';

export interface AuthFailureThrottleSettings {
  /** Failed API-key authentications (401) an address may make in a minute. */
  readonly failuresPerMinute: number;
  /** How long an address that made more is refused, whatever key it sends. */
  readonly blockSeconds: number;
}

/** One key per address, whichever way it is written: `::ffff:127.0.0.1` (REST) and `127.0.0.1` (gRPC) alike. */
export function clientAddressKey(ip: string): string {
  const address = ip.trim().toLowerCase();
  if (address === '') return 'unknown';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/**
 * Failed API-key authentications per client address: past `failuresPerMinute`, the address is blocked for
 * `blockSeconds`, every request from it refused before its key is looked up. In this process's memory: per
 * producer instance.
 */
export class AuthFailureThrottle {
  private readonly limiter: RateLimiterMemory;

  constructor(private readonly settings: AuthFailureThrottleSettings) {
    this.limiter = new RateLimiterMemory({
      keyPrefix: 'auth-failures',
      points: settings.failuresPerMinute,
      duration: 60,
      blockDuration: settings.blockSeconds,
    });
  }

  /** Seconds the address stays blocked, or undefined when it is not. */
  async blockedFor(ip: string): Promise<number | undefined> {
    const res = await this.limiter.get(clientAddressKey(ip));
    if (!res || res.consumedPoints <= this.settings.failuresPerMinute || res.msBeforeNext <= 0) return undefined;
    return retryAfterSeconds(res.msBeforeNext);
  }

  /** Counts one failure; the seconds of the block when this one started it, undefined otherwise. */
  async recordFailure(ip: string): Promise<number | undefined> {
    try {
      await this.limiter.consume(clientAddressKey(ip));
      return undefined;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return retryAfterSeconds(rejection.msBeforeNext);
      throw rejection;
    }
  }
}
