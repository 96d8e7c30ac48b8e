import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { AuthenticatedRequest } from '../auth/principal';
import { ApiError } from '../http/api-error';
import { IngestRateLimiter } from '../rate-limits/ingest-rate-limiter';

/**
 * After ApiKeyGuard: 429 with `Retry-After` once the tenant environment is over its ingest limit, before the body is
 * validated or anything published. The limit is per producer instance (see IngestRateLimiter).
 */
@Injectable()
export class IngestRateLimitGuard implements CanActivate {
  constructor(private readonly limiter: IngestRateLimiter) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const { principal } = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (!principal) throw new Error('IngestRateLimitGuard used on a route without ApiKeyGuard');
    const decision = await this.limiter.take(principal.tenantId, principal.environment);
    if (decision.allowed) return true;
    throw ApiError.tooManyRequests(
      'rate_limited',
      `this tenant publishes more events than its limit allows: try again in ${decision.retryAfterSeconds} s`,
      decision.retryAfterSeconds,
    );
  }
}
