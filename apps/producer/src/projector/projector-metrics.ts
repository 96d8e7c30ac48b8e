import { type Admin, topicEndOffsets } from '@hookstream/kafka';
import type { Logger } from '@hookstream/observability';
import type { Pool } from '@hookstream/postgres';
import { Gauge, type Registry } from 'prom-client';
import { PROJECTION } from './projection-tables';

const CACHE_MS = 5000;

/**
 * Records in each topic not yet in the read models: end offsets minus `projection_offsets.next_offset`.
 * The projector's position lives in Postgres (Kafka commits are best effort), so the group's Kafka
 * lag alone would overstate it.
 */
export async function projectorLagRecords(
  admin: Admin,
  db: Pool,
  topics: readonly string[],
): Promise<Map<string, number>> {
  const { rows } = await db.query<{ topic: string; partition: number; next_offset: string }>(
    'SELECT topic, partition, next_offset FROM projection_offsets WHERE projection = $1 AND topic = ANY($2)',
    [PROJECTION, topics],
  );
  const lag = new Map<string, number>();
  for (const topic of topics) {
    const projected = new Map(
      rows.filter((row) => row.topic === topic).map((row) => [row.partition, Number(row.next_offset)]),
    );
    let total = 0;
    for (const { partition, high, low } of await topicEndOffsets(admin, topic)) {
      total += Math.max(0, high - (projected.get(partition) ?? low));
    }
    lag.set(topic, total);
  }
  return lag;
}

/** `hookstream_projector_lag_records{topic}` and `hookstream_projector_last_projected_timestamp_seconds{topic}`. */
export function registerProjectorMetrics(options: {
  readonly admin: Admin;
  readonly db: Pool;
  readonly topics: readonly string[];
  readonly lastProjectedTimestamps: () => ReadonlyMap<string, number>;
  readonly logger: Logger;
  readonly registers: Registry[];
}): void {
  let sampledAt = 0;
  let sample = new Map<string, number>();
  new Gauge({
    name: 'hookstream_projector_lag_records',
    help: 'Records in each topic not yet in the read models (end offsets minus projection_offsets)',
    labelNames: ['topic'],
    registers: options.registers,
    async collect() {
      if (Date.now() - sampledAt >= CACHE_MS) {
        try {
          sample = await projectorLagRecords(options.admin, options.db, options.topics);
          sampledAt = Date.now();
        } catch (error) {
          options.logger.debug({ err: error }, 'projector lag not sampled; keeping the last value');
        }
      }
      for (const [topic, lag] of sample) this.set({ topic }, lag);
    },
  });
  new Gauge({
    name: 'hookstream_projector_last_projected_timestamp_seconds',
    help: 'Kafka timestamp of the latest record projected, per topic (time() minus it: how stale the read models are when records keep coming)',
    labelNames: ['topic'],
    registers: options.registers,
    collect() {
      for (const [topic, timestampMs] of options.lastProjectedTimestamps()) this.set({ topic }, timestampMs / 1000);
    },
  });
}
