import { setTimeout as sleep } from 'node:timers/promises';
import type { EventCatalogue, EventEnvelope, TopicNames } from '@hookstream/contracts';
import {
  type AvroCodec,
  BatchConsumer,
  decodeOrPoison,
  type Kafka,
  type KafkaMessage,
  type PermanentDecodeFailure,
  type QuarantineWriter,
  type RegisteredSchemas,
} from '@hookstream/kafka';
import type { Logger } from '@hookstream/observability';
import {
  isDatabaseUnavailable,
  type Pool,
  type PoolClient,
  withoutNulCharacters,
  withTransaction,
} from '@hookstream/postgres';
import { columns, DeliveryLogWriter } from './delivery-log-writer';
import { DeliveryLogDecoder } from './log-records';
import { LIVE_TABLES, PROJECTION, PROJECTION_LOCK } from './projection-tables';

/**
 * The single writer of the delivery projections: events (from the events topic) and deliveries with
 * their attempts (folded from the delivery log with `evolve`). Each batch is written in one
 * transaction together with the next offset of its partition, so a replay or a crash never counts
 * anything twice.
 */
export class Projector {
  private readonly consumer: BatchConsumer;
  private readonly deliveryLog: DeliveryLogWriter;
  private readonly lastProjected = new Map<string, number>();

  constructor(
    private readonly deps: {
      kafka: Kafka;
      db: Pool;
      codec: AvroCodec;
      schemas: RegisteredSchemas;
      catalogue: EventCatalogue;
      topics: TopicNames;
      groupId: string;
      logger: Logger;
      /** Sets aside records that can never be decoded, before their batch's offsets commit. */
      quarantine: QuarantineWriter;
      /** Partitions projected at once, each in its own transaction. */
      concurrency: number;
      /** Test hook (local mode only): dies inside the first delivery-log batch's transaction, before it commits. */
      crashBeforeCommit?: boolean;
    },
  ) {
    this.deliveryLog = new DeliveryLogWriter(new DeliveryLogDecoder(deps.codec), LIVE_TABLES);
    this.consumer = new BatchConsumer({
      kafka: deps.kafka,
      groupId: deps.groupId,
      topics: [deps.topics.events, deps.topics.deliveryEvents],
      logger: deps.logger,
      // Partitions hold different deliveries: their batches are written side by side.
      partitionsConsumedConcurrently: deps.concurrency,
      // Kafka keeps the log meanwhile: the projections catch up once Postgres is back.
      outage: { dependency: 'Postgres', isOutage: isDatabaseUnavailable },
      handle: (topic, partition, messages, heartbeat) => this.project(topic, partition, messages, heartbeat),
    });
  }

  start(): Promise<void> {
    return this.consumer.start();
  }

  stop(): Promise<void> {
    return this.consumer.stop();
  }

  /** Per topic, the Kafka timestamp (ms) of the latest record whose batch this projector committed. */
  get lastProjectedTimestamps(): ReadonlyMap<string, number> {
    return this.lastProjected;
  }

  private async project(
    topic: string,
    partition: number,
    messages: readonly KafkaMessage[],
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    await withTransaction(this.deps.db, async (client) => {
      await this.waitWhileRebuilding(client, heartbeat);
      // Creates the partition's row on first sight, and locks it either way.
      const { rows } = await client.query<{ next_offset: string }>(
        `INSERT INTO projection_offsets (projection, topic, partition, next_offset) VALUES ($1, $2, $3, 0)
         ON CONFLICT (projection, topic, partition) DO UPDATE SET next_offset = projection_offsets.next_offset
         RETURNING next_offset`,
        [PROJECTION, topic, partition],
      );
      const next = BigInt(rows[0]?.next_offset ?? 0);
      // Messages a crash made us read again are already in the tables.
      const fresh = messages.filter((message) => BigInt(message.offset) >= next && message.value);
      // Poison is quarantined inside the transaction, before its offset commits: at worst twice, never lost.
      const onPoison = (message: KafkaMessage, failure: PermanentDecodeFailure) => {
        this.deps.logger.warn(
          { topic, partition, offset: message.offset, reason: failure.reason },
          'record quarantined',
        );
        return this.deps.quarantine.put(topic, message, failure.reason, { partition, group: this.deps.groupId });
      };
      if (topic === this.deps.topics.events) await this.projectEvents(client, fresh, onPoison);
      else await this.deliveryLog.apply(client, fresh, onPoison);
      const last = messages[messages.length - 1];
      if (last) {
        await client.query(
          'UPDATE projection_offsets SET next_offset = $4 WHERE projection = $1 AND topic = $2 AND partition = $3',
          [PROJECTION, topic, partition, (BigInt(last.offset) + 1n).toString()],
        );
      }
      if (this.deps.crashBeforeCommit && topic === this.deps.topics.deliveryEvents)
        process.kill(process.pid, 'SIGKILL');
    });
    // Set only once the batch's transaction has committed: what the read models show.
    const timestamp = Number(messages[messages.length - 1]?.timestamp);
    if (timestamp > (this.lastProjected.get(topic) ?? 0)) this.lastProjected.set(topic, timestamp);
  }

  private async projectEvents(
    client: PoolClient,
    messages: readonly KafkaMessage[],
    onPoison: (message: KafkaMessage, failure: PermanentDecodeFailure) => Promise<void>,
  ): Promise<void> {
    const rows: [string, string, string, string, Date, string, number, Buffer][] = [];
    for (const message of messages) {
      const value = message.value as Buffer;
      const decoded = await decodeOrPoison(value, (bytes) => this.deps.codec.decode<EventEnvelope>(bytes));
      if (decoded.failure) {
        await onPoison(message, decoded.failure);
        continue;
      }
      const { value: event, schemaId } = decoded.value;
      const version = this.deps.schemas.events.get(event.type);
      const formatVersion =
        [...(version?.entries() ?? [])].find(([, registered]) => registered.id === schemaId)?.[0] ?? 1;
      const data = this.deps.catalogue.renderData(event.type, formatVersion, event.data);
      rows.push([
        event.eventId,
        event.tenantId,
        event.environment,
        event.type,
        new Date(event.createdAt),
        // The log keeps the exact bytes (`payload`); jsonb cannot hold U+0000.
        JSON.stringify(withoutNulCharacters(data)),
        schemaId,
        value,
      ]);
    }
    if (rows.length === 0) return;
    await client.query(
      `INSERT INTO events (id, tenant_id, environment, type, created_at, data, schema_id, payload)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::jsonb[], $7::int[], $8::bytea[])
       ON CONFLICT (id) DO NOTHING`,
      columns(rows),
    );
  }

  /**
   * A rebuild holds the projection lock exclusively while it compares and swaps; wait, staying in the group.
   * Also sets the transaction's synchronous_commit off.
   */
  private async waitWhileRebuilding(client: PoolClient, heartbeat: () => Promise<void>): Promise<void> {
    for (let waited = false; ; waited = true) {
      // In the same round trip: no waiting for the WAL flush. A commit lost to a Postgres crash loses its
      // offsets with it, and the batch is simply projected again from Kafka.
      const { rows } = await client.query<{ acquired: boolean }>(
        `SELECT pg_try_advisory_xact_lock_shared($1) AS acquired, set_config('synchronous_commit', 'off', true)`,
        [PROJECTION_LOCK],
      );
      if (rows[0]?.acquired) {
        if (waited) this.deps.logger.info('projector resumed after a rebuild');
        return;
      }
      if (!waited) this.deps.logger.info('projector paused while a rebuild holds the projection tables');
      await heartbeat();
      await sleep(200);
    }
  }
}
