import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { Pool } from '@hookstream/postgres';
import { type ApiKeyHasher, parseApiKey } from '@hookstream/secrets';
import { BlockList, isIP } from 'node:net';
import { ApiError } from '../http/api-error';
import { ApiKeyRows } from './api-key-rows';
import { DATABASE } from '../tokens';
import type { AuthenticatedRequest, Principal } from './principal';

export const API_KEY_HASHER = Symbol('API_KEY_HASHER');

/** `Authorization: Bearer sk_…`: a valid, unrevoked key, called from an allowed address (REST and gRPC alike). */
@Injectable()
export class ApiKeyAuthenticator {
  private readonly keys: ApiKeyRows;

  constructor(
    @Inject(DATABASE) db: Pool,
    @Inject(API_KEY_HASHER) private readonly hasher: ApiKeyHasher,
  ) {
    this.keys = new ApiKeyRows(db);
  }

  async authenticate(authorization: string | undefined, ip: string): Promise<Principal> {
    const key = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
    if (!key) throw ApiError.unauthorized('missing API key: send Authorization: Bearer sk_test_… or sk_live_…');
    const parsed = parseApiKey(key);
    if (!parsed) throw ApiError.unauthorized('invalid API key');
    const row = await this.keys.find(parsed.lookup);
    if (!row || !this.hasher.matches(key, row.hash)) throw ApiError.unauthorized('invalid API key');
    if (row.allowed_cidrs && !isAllowed(ip, row.allowed_cidrs)) {
      throw ApiError.forbidden('this API key may not be used from this address');
    }
    return { tenantId: row.tenant_id, environment: row.environment, keyId: row.id };
  }
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
