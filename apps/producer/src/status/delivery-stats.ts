import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from '@hookstream/postgres';
import type { Owner } from '../endpoints/endpoints.repository';
import { ApiError } from '../http/api-error';
import { DATABASE } from '../tokens';

export type StatsBucket = 'minute' | 'hour';

const BUCKET_MS: Record<StatsBucket, number> = { minute: 60_000, hour: 3_600_000 };
/** Buckets per answer at most: a day of minutes, or two months of hours. */
const MAX_BUCKETS = 1_440;

export interface DeliveryStatsBucket {
  at: string;
  pending: number;
  succeeded: number;
  failed: number;
  exhausted: number;
  total: number;
}

export interface DeliveryStats {
  bucket: StatsBucket;
  since: string;
  until: string;
  data: DeliveryStatsBucket[];
}

/**
 * Deliveries created per time bucket, counted by their current status: the dashboard's chart of
 * deliveries and failures. Reads the deliveries projection through its (tenant, environment, created_at) index.
 */
@Injectable()
export class DeliveryStatsQuery {
  constructor(@Inject(DATABASE) private readonly db: Pool) {}

  async stats(owner: Owner, bucket: StatsBucket, since: Date, until: Date): Promise<DeliveryStats> {
    const bucketMs = BUCKET_MS[bucket];
    const first = Math.floor(since.getTime() / bucketMs) * bucketMs;
    const count = Math.ceil((until.getTime() - first) / bucketMs);
    if (count < 1) throw ApiError.invalid('until must be after since', [{ field: 'until', message: 'before since' }]);
    if (count > MAX_BUCKETS) {
      throw ApiError.invalid(`at most ${MAX_BUCKETS} buckets: narrow the range or use a larger bucket`, [
        { field: 'bucket', message: `${count} ${bucket} buckets` },
      ]);
    }
    const { rows } = await this.db.query<{ at: Date; status: string; deliveries: string }>(
      `SELECT date_trunc($4, created_at) AS at, status, count(*) AS deliveries
         FROM deliveries
        WHERE tenant_id = $1 AND environment = $2 AND created_at >= $3 AND created_at < $5
        GROUP BY 1, 2`,
      [owner.tenantId, owner.environment, new Date(first), bucket, until],
    );
    // Every bucket of the range, empty ones included, so a chart needs no gap handling.
    const buckets = Array.from({ length: count }, (_, i) => ({
      at: new Date(first + i * bucketMs).toISOString(),
      pending: 0,
      succeeded: 0,
      failed: 0,
      exhausted: 0,
      total: 0,
    }));
    for (const row of rows) {
      const target = buckets[Math.floor((row.at.getTime() - first) / bucketMs)];
      if (!target) continue;
      const n = Number(row.deliveries);
      if (
        row.status === 'pending' ||
        row.status === 'succeeded' ||
        row.status === 'failed' ||
        row.status === 'exhausted'
      ) {
        target[row.status] += n;
      }
      target.total += n;
    }
    return { bucket, since: new Date(first).toISOString(), until: until.toISOString(), data: buckets };
  }
}
