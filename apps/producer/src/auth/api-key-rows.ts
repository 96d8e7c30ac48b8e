import { isDatabaseUnavailable, type Pool } from '@hookstream/postgres';
import { LRUCache } from 'lru-cache';

export interface ApiKeyRow {
  readonly id: string;
  readonly tenant_id: string;
  readonly environment: 'sandbox' | 'live';
  readonly hash: string;
  readonly allowed_cidrs: string[] | null;
}

/**
 * Key rows are kept this long: every API call needs its key, and a query per call was the ingest path's
 * largest Postgres cost. A key revoked in the database stops working within this time.
 */
export const KEY_CACHE_TTL_MS = 10_000;
/**
 * While Postgres is unavailable, a key read within this time still authenticates: ingest goes on through
 * Kafka during a restart or failover. Revoking needs Postgres too, so this only stretches the window in
 * which a key revoked just before the outage still works. A key not read in this time gets a 503.
 */
export const KEY_CACHE_STALE_IF_UNAVAILABLE_MS = 5 * 60_000;
const KEY_CACHE_MAX_ENTRIES = 10_000;

interface CachedRow {
  readonly row: ApiKeyRow;
  readonly readAt: number;
}

/** Unrevoked API keys by lookup id, read through a short-lived cache. An unknown key is never cached. */
export class ApiKeyRows {
  private readonly cache: LRUCache<string, CachedRow>;

  constructor(
    private readonly db: Pick<Pool, 'query'>,
    private readonly clock: { now(): number } = performance,
  ) {
    this.cache = new LRUCache({
      max: KEY_CACHE_MAX_ENTRIES,
      ttl: KEY_CACHE_STALE_IF_UNAVAILABLE_MS,
      ttlResolution: 0,
      perf: clock,
    });
  }

  async find(lookup: string): Promise<ApiKeyRow | undefined> {
    const cached = this.cache.get(lookup);
    if (cached && this.clock.now() - cached.readAt < KEY_CACHE_TTL_MS) return cached.row;
    let rows: ApiKeyRow[];
    try {
      ({ rows } = await this.db.query<ApiKeyRow>(
        `SELECT id, tenant_id, environment, hash, allowed_cidrs::text[] AS allowed_cidrs
           FROM api_keys WHERE lookup = $1 AND revoked_at IS NULL`,
        [lookup],
      ));
    } catch (error) {
      if (cached && isDatabaseUnavailable(error)) return cached.row;
      throw error;
    }
    const row = rows[0];
    if (row) this.cache.set(lookup, { row, readAt: this.clock.now() });
    else this.cache.delete(lookup);
    return row;
  }
}
