import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { Pool } from '@hookstream/postgres';
import { type ApiKeyHasher, parseApiKey } from '@hookstream/secrets';
import { BlockList, isIP } from 'node:net';
import { ApiError } from '../http/api-error';
import { AuthFailureThrottle } from '../rate-limits/auth-failure-throttle';
import { ApiKeyRows } from './api-key-rows';
import { DATABASE } from '../tokens';
import type { AuthenticatedRequest, Principal } from './principal';

export const API_KEY_HASHER = Symbol('API_KEY_HASHER');

/**
 * `Authorization: Bearer sk_…`: a valid, unrevoked key, called from an allowed address (REST and gRPC alike).
 * An address with too many failed attempts (401) is refused (429) before its key is looked up, until its block ends.
 */
@Injectable()
export class ApiKeyAuthenticator {
  private readonly keys: ApiKeyRows;

  constructor(
    @Inject(DATABASE) db: Pool,
    @Inject(API_KEY_HASHER) private readonly hasher: ApiKeyHasher,
    private readonly failures: AuthFailureThrottle,
  ) {
    this.keys = new ApiKeyRows(db);
  }

  async authenticate(authorization: string | undefined, ip: string): Promise<Principal> {
    const blockedFor = await this.failures.blockedFor(ip);
    if (blockedFor !== undefined) throw tooManyFailures(blockedFor);
    const key = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
    if (!key) {
      return this.fail(ip, 'missing API key: send Authorization: Bearer sk_test_… or sk_live_…');
    }
    const parsed = parseApiKey(key);
    if (!parsed) return this.fail(ip, 'invalid API key');
    const row = await this.keys.find(parsed.lookup);
    if (!row || !this.hasher.matches(key, row.hash)) return this.fail(ip, 'invalid API key');
    if (row.allowed_cidrs && !isAllowed(ip, row.allowed_cidrs)) {
      throw ApiError.forbidden('this API key may not be used from this address');
    }
    return { tenantId: row.tenant_id, environment: row.environment, keyId: row.id };
  }

  /** A 401, counted against the address; the 429 instead when this failure is the one that blocks it. */
  private async fail(ip: string, message: string): Promise<never> {
    const blockedFor = await this.failures.recordFailure(ip);
    throw blockedFor === undefined ? ApiError.unauthorized(message) : tooManyFailures(blockedFor);
  }
}

function tooManyFailures(retryAfterSeconds: number): ApiError {
  return ApiError.tooManyRequests(
    'too_many_failed_authentications',
    `too many failed authentications from this address: try again in ${retryAfterSeconds} s`,
    retryAfterSeconds,
  );
}

@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(private readonly authenticator: ApiKeyAuthenticator) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context
      .switchToHttp()
      .getRequest<AuthenticatedRequest & { headers: Record<string, string>; ip?: string }>();
    request.principal = await this.authenticator.authenticate(request.headers['authorization'], request.ip ?? '');
    return true;
  }
}

function isAllowed(ip: string, cidrs: readonly string[]): boolean {
  const address = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  const family = isIP(address);
  if (family === 0) return false;
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [network, prefix] = cidr.split('/');
    if (!network || !prefix) continue;
    list.addSubnet(network, Number(prefix), isIP(network) === 6 ? 'ipv6' : 'ipv4');
  }
  return list.check(address, family === 6 ? 'ipv6' : 'ipv4');
}
