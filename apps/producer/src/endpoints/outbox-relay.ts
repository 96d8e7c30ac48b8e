import type { EndpointConfigured } from '@hookstream/contracts';
import type { AvroCodec, Publisher, RegisteredSchema } from '@hookstream/kafka';
import type { Logger } from '@hookstream/observability';
import { type Pool, withTransaction } from '@hookstream/postgres';
import type { PoolClient } from '@hookstream/postgres';
import type { EndpointRow } from './endpoints.repository';

/** The relay listens here; a change to the outbox notifies it, in the change's transaction. */
export const OUTBOX_CHANNEL = 'hookstream_outbox';

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
 * notification was missed, and flushed by the API before it answers a change. Only the entries for its own
 * topic: a database shared with another deployment (another topic prefix) holds theirs too, for their relay.
 */
export class OutboxRelay {
  private listener?: PoolClient;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private isRequested = false;
  private sweeps = 0;
  private isFailing = false;
  private isStopped = false;

  constructor(
    private readonly db: Pool,
    private readonly topic: string,
    private readonly publisher: Publisher,
    private readonly codec: AvroCodec,
    private readonly schema: RegisteredSchema,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.listener = await this.db.connect();
    this.listener.on('notification', () => void this.flush().catch(() => undefined));
    await this.listener.query(`LISTEN ${OUTBOX_CHANNEL}`);
    this.timer = setInterval(() => void this.sweep(), SWEEP_INTERVAL_MS);
    await this.flush();
  }

  async stop(): Promise<void> {
    this.isStopped = true;
    clearInterval(this.timer);
    this.listener?.removeAllListeners('notification');
    // A failed run was logged; whatever its outcome, the listener goes back, or the pool could never end.
    await this.running?.catch(() => undefined);
    // Still listening: closed, rather than handed to the pool's next user with its notifications.
    this.listener?.release(true);
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
    if (this.isStopped) return Promise.resolve();
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
      const { rows: pending } = await client.query<{ id: string; endpoint_id: string }>(
        `SELECT id, endpoint_id FROM outbox WHERE published_at IS NULL AND topic = $1
          ORDER BY id LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`,
        [this.topic],
      );
      if (pending.length === 0) return 0;
      const ids = [...new Set(pending.map((entry) => entry.endpoint_id))];
      const { rows } = await client.query<EndpointRow>('SELECT * FROM endpoints WHERE id = ANY($1)', [ids]);
      const byId = new Map(rows.map((row) => [row.id, row]));
      // The current state of each endpoint once, whatever number of changes led to it; a tombstone once deleted.
      const messages: { key: string; value: Buffer | null }[] = [];
      for (const endpointId of ids) {
        const row = byId.get(endpointId);
        const value = row && !row.deleted_at ? await this.codec.encode(this.schema.id, endpointRecord(row)) : null;
        messages.push({ key: endpointId, value });
      }
      await this.publisher.publish(this.topic, messages);
      await client.query('UPDATE outbox SET published_at = now() WHERE id = ANY($1)', [
        pending.map((entry) => entry.id),
      ]);
      return pending.length;
    });
  }
}
