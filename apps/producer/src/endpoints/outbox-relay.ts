import type { EndpointConfigured } from '@hookstream/contracts';
import type { AvroCodec, Publisher, RegisteredSchema } from '@hookstream/kafka';
import type { Logger } from '@hookstream/observability';
import { type Pool, withTransaction } from '@hookstream/postgres';
import type { PoolClient } from '@hookstream/postgres';
import { EndpointsRepository, type EndpointRow } from './endpoints.repository';

const BATCH = 200;
const SWEEP_INTERVAL_MS = 1000;
/** Published entries are kept a while for inspection, then pruned. */
const RETENTION = '7 days';
const PRUNE_EVERY_SWEEPS = 3600;
/** How long an API change waits for another relay's lock on its outbox entry. */
const LOCK_WAIT = '5s';

/** The compacted topic's record for an endpoint: its whole current configuration, secrets sealed. */
export function endpointRecord(row: EndpointRow, now = Date.now()): EndpointConfigured {
  const previousIsValid =
    row.previous_sealed_secret && row.previous_secret_expires_at && row.previous_secret_expires_at.getTime() > now;
  return {
    endpointId: row.id,
    tenantId: row.tenant_id,
    environment: row.environment,
    url: row.url,
    eventTypes: row.event_types,
    formatVersion: row.format_version,
    timeoutMs: row.timeout_ms,
    rateLimitPerSecond: row.rate_limit_per_second,
    retrySchedule: row.retry_schedule,
    ordering: row.ordering,
    status: row.status,
    secrets: [
      { sealed: row.sealed_secret, expiresAt: null },
      ...(previousIsValid && row.previous_sealed_secret && row.previous_secret_expires_at
        ? [{ sealed: row.previous_sealed_secret, expiresAt: row.previous_secret_expires_at.getTime() }]
        : []),
    ],
    version: Number(row.version),
    updatedAt: row.updated_at.getTime(),
  };
}

/**
 * Publishes the outbox to the endpoints topic: woken by NOTIFY, swept every second in case a
 * notification was missed, and flushed by the API before it answers a change.
 */
export class OutboxRelay {
  private listener?: PoolClient;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private isRequested = false;
  private sweeps = 0;
  private isFailing = false;

  constructor(
    private readonly db: Pool,
    private readonly publisher: Publisher,
    private readonly codec: AvroCodec,
    private readonly schema: RegisteredSchema,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.listener = await this.db.connect();
    this.listener.on('notification', () => void this.flush().catch(() => undefined));
    await this.listener.query(`LISTEN ${EndpointsRepository.outboxChannel}`);
    this.timer = setInterval(() => void this.sweep(), SWEEP_INTERVAL_MS);
    await this.flush();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    this.listener?.release();
  }

  private async sweep(): Promise<void> {
    await this.flush().catch(() => undefined);
    if (++this.sweeps % PRUNE_EVERY_SWEEPS === 0) {
      await this.db
        .query(`DELETE FROM outbox WHERE published_at < now() - interval '${RETENTION}'`)
        .catch((error: unknown) => this.logger.warn({ err: error }, 'outbox pruning failed'));
    }
  }

  /** Publishes everything pending; concurrent calls share one run, and a call during a run gets another. */
  flush(): Promise<void> {
    if (this.running) {
      this.isRequested = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.isRequested = false;
          while ((await this.publishBatch()) === BATCH);
        } while (this.isRequested);
        if (this.isFailing) this.logger.info('outbox relay publishing again');
        this.isFailing = false;
      } catch (error) {
        // Swept every second: said once while Kafka or Postgres stays out of reach, not at every sweep.
        if (!this.isFailing) this.logger.warn({ err: error }, 'outbox relay failed; will retry');
        this.isFailing = true;
        throw error;
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /**
   * Publishes everything pending, then waits for this endpoint's changes that another producer's relay
   * had locked meanwhile (the batch skips locked rows): published once its transaction ends, or, if it
   * failed, published here. Without this, an API answer could come before its change is on the topic.
   */
  async flushEndpoint(endpointId: string): Promise<void> {
    await this.flush();
    const held = await withTransaction(this.db, async (client) => {
      await client.query(`SET LOCAL lock_timeout = '${LOCK_WAIT}'`);
      const { rows } = await client.query<{ id: string }>(
        'SELECT id FROM outbox WHERE endpoint_id = $1 AND published_at IS NULL FOR UPDATE',
        [endpointId],
      );
      return rows.length;
    });
    if (held > 0) await this.flush();
  }

  private async publishBatch(): Promise<number> {
    return withTransaction(this.db, async (client) => {
      const { rows: pending } = await client.query<{ id: string; topic: string; endpoint_id: string }>(
        `SELECT id, topic, endpoint_id FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`,
      );
      if (pending.length === 0) return 0;
      const ids = [...new Set(pending.map((entry) => entry.endpoint_id))];
      const { rows } = await client.query<EndpointRow>('SELECT * FROM endpoints WHERE id = ANY($1)', [ids]);
      const byId = new Map(rows.map((row) => [row.id, row]));
      const byTopic = new Map<string, { key: string; value: Buffer | null }[]>();
      // The current state of each endpoint once, whatever number of changes led to it; a tombstone once deleted.
      for (const entry of pending) {
        const messages = byTopic.get(entry.topic) ?? [];
        if (messages.some((message) => message.key === entry.endpoint_id)) continue;
        const row = byId.get(entry.endpoint_id);
        const value = row && !row.deleted_at ? await this.codec.encode(this.schema.id, endpointRecord(row)) : null;
        messages.push({ key: entry.endpoint_id, value });
        byTopic.set(entry.topic, messages);
      }
      for (const [topic, messages] of byTopic) await this.publisher.publish(topic, messages);
      await client.query('UPDATE outbox SET published_at = now() WHERE id = ANY($1)', [
        pending.map((entry) => entry.id),
      ]);
      return pending.length;
    });
  }
}
