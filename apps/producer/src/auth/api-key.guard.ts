import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { Pool } from '@hookstream/postgres';
import { type ApiKeyHasher, parseApiKey } from '@hookstream/secrets';
import { BlockList, isIP } from 'node:net';
import { ApiError } from '../http/api-error';
import { DATABASE } from '../tokens';
import type { AuthenticatedRequest, Principal } from './principal';

export const API_KEY_HASHER = Symbol('API_KEY_HASHER');

interface KeyRow {
  id: string;
  tenant_id: string;
  environment: 'sandbox' | 'live';
  hash: string;
  allowed_cidrs: string[] | null;
}

/**
 * Key rows are kept this long: every API call needs its key, and a query per call was the ingest path's
 * largest Postgres cost. A key revoked in the database stops working within this time.
 */
const KEY_CACHE_TTL_MS = 10_000;
const KEY_CACHE_MAX_ENTRIES = 10_000;

/** `Authorization: Bearer sk_…`: a valid, unrevoked key, called from an allowed address (REST and gRPC alike). */
@Injectable()
export class ApiKeyAuthenticator {
  /** Found keys by lookup id; an unknown key is never cached, so one created a moment ago works at once. */
  private readonly keys = new Map<string, { row: KeyRow; expiresAt: number }>();

  constructor(
    @Inject(DATABASE) private readonly db: Pool,
    @Inject(API_KEY_HASHER) private readonly hasher: ApiKeyHasher,
  ) {}

  async authenticate(authorization: string | undefined, ip: string): Promise<Principal> {
    const key = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
    if (!key) throw ApiError.unauthorized('missing API key: send Authorization: Bearer sk_test_… or sk_live_…');
    const parsed = parseApiKey(key);
    if (!parsed) throw ApiError.unauthorized('invalid API key');
    const row = await this.keyRow(parsed.lookup);
    if (!row || !this.hasher.matches(key, row.hash)) throw ApiError.unauthorized('invalid API key');
    if (row.allowed_cidrs && !isAllowed(ip, row.allowed_cidrs)) {
      throw ApiError.forbidden('this API key may not be used from this address');
    }
    return { tenantId: row.tenant_id, environment: row.environment, keyId: row.id };
  }

  private async keyRow(lookup: string): Promise<KeyRow | undefined> {
    const now = Date.now();
    const cached = this.keys.get(lookup);
    if (cached && cached.expiresAt > now) return cached.row;
    const { rows } = await this.db.query<KeyRow>(
      `SELECT id, tenant_id, environment, hash, allowed_cidrs::text[] AS allowed_cidrs
         FROM api_keys WHERE lookup = $1 AND revoked_at IS NULL`,
      [lookup],
    );
    const row = rows[0];
    this.keys.delete(lookup);
    if (!row) return undefined;
    // Oldest first in a Map: beyond the bound, the least recently fetched key makes room.
    if (this.keys.size >= KEY_CACHE_MAX_ENTRIES) this.keys.delete(this.keys.keys().next().value as string);
    this.keys.set(lookup, { row, expiresAt: now + KEY_CACHE_TTL_MS });
    return row;
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
