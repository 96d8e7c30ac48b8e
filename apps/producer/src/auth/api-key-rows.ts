import type { Pool } from '@hookstream/postgres';
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
const KEY_CACHE_MAX_ENTRIES = 10_000;

/** Unrevoked API keys by lookup id, read through a short-lived cache. An unknown key is never cached. */
export class ApiKeyRows {
  private readonly cache: LRUCache<string, ApiKeyRow>;

  constructor(
    private readonly db: Pick<Pool, 'query'>,
    clock: { now(): number } = performance,
  ) {
    this.cache = new LRUCache({ max: KEY_CACHE_MAX_ENTRIES, ttl: KEY_CACHE_TTL_MS, ttlResolution: 0, perf: clock });
  }

  async find(lookup: string): Promise<ApiKeyRow | undefined> {
    const cached = this.cache.get(lookup);
    if (cached) return cached;
    const { rows } = await this.db.query<ApiKeyRow>(
      `SELECT id, tenant_id, environment, hash, allowed_cidrs::text[] AS allowed_cidrs
         FROM api_keys WHERE lookup = $1 AND revoked_at IS NULL`,
      [lookup],
    );
    const row = rows[0];
    if (row) this.cache.set(lookup, row);
    return row;
  }
}
