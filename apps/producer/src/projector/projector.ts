import type {
  CircuitClosed,
  CircuitOpened,
  EventCatalogue,
  EventEnvelope,
  InternalRecordName,
  TopicNames,
} from '@hookstream/contracts';
import { type AttemptSummary, type DeliveryEvent, type DeliveryState, evolve, UNKNOWN } from '@hookstream/delivery';
import {
  type AvroCodec,
  BatchConsumer,
  type Kafka,
  type KafkaMessage,
  type RegisteredSchemas,
  schemaIdOf,
} from '@hookstream/kafka';
import type { Logger } from '@hookstream/observability';
import { type Pool, type PoolClient, withTransaction } from '@hookstream/postgres';
import { toDeliveryEvent } from './log-records';
import type { AttemptRow, DeliveryRow } from './projection-rows';

const PROJECTION = 'deliveries';

/**
 * The single writer of the delivery projections: events (from the events topic) and deliveries with
 * their attempts (folded from the delivery log with `evolve`). Each batch is written in one
 * transaction together with the next offset of its partition, so a replay or a crash never counts
 * anything twice.
 */
export class Projector {
  private readonly consumer: BatchConsumer;
  private readonly recordNames: ReadonlyMap<number, InternalRecordName>;

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
      /** Test hook (local mode only): dies inside the first delivery-log batch's transaction, before it commits. */
      crashBeforeCommit?: boolean;
    },
  ) {
    this.recordNames = new Map(
      Object.entries(deps.schemas.internal).map(([name, schema]) => [schema.id, name as InternalRecordName]),
    );
    this.consumer = new BatchConsumer({
      kafka: deps.kafka,
      groupId: deps.groupId,
      topics: [deps.topics.events, deps.topics.deliveryEvents],
      logger: deps.logger,
      handle: (topic, partition, messages) => this.project(topic, partition, messages),
    });
  }

  start(): Promise<void> {
    return this.consumer.start();
  }

  stop(): Promise<void> {
    return this.consumer.stop();
  }

  private async project(topic: string, partition: number, messages: readonly KafkaMessage[]): Promise<void> {
    await withTransaction(this.deps.db, async (client) => {
      await client.query(
        `INSERT INTO projection_offsets (projection, topic, partition, next_offset) VALUES ($1, $2, $3, 0)
         ON CONFLICT DO NOTHING`,
        [PROJECTION, topic, partition],
      );
      const { rows } = await client.query<{ next_offset: string }>(
        'SELECT next_offset FROM projection_offsets WHERE projection = $1 AND topic = $2 AND partition = $3 FOR UPDATE',
        [PROJECTION, topic, partition],
      );
      const next = BigInt(rows[0]?.next_offset ?? 0);
      // Messages a crash made us read again are already in the tables.
      const fresh = messages.filter((message) => BigInt(message.offset) >= next && message.value);
      if (topic === this.deps.topics.events) await this.projectEvents(client, fresh);
      else await this.projectDeliveries(client, fresh);
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
  }

  private async projectEvents(client: PoolClient, messages: readonly KafkaMessage[]): Promise<void> {
    const rows: [string, string, string, string, Date, string, number, Buffer][] = [];
    for (const message of messages) {
      const value = message.value as Buffer;
      if (value[0] !== 0) continue;
      const { value: event, schemaId } = await this.deps.codec.decode<EventEnvelope>(value);
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
        JSON.stringify(data),
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

  private async projectDeliveries(client: PoolClient, messages: readonly KafkaMessage[]): Promise<void> {
    const events: DeliveryEvent[] = [];
    const circuits = new Map<string, { state: 'open' | 'closed'; at: number }>();
    for (const message of messages) {
      const value = message.value as Buffer;
      if (value[0] !== 0 || value.length < 5) continue;
      const name = this.recordNames.get(schemaIdOf(value));
      if (!name) continue;
      const record = (await this.deps.codec.decode(value)).value;
      if (name === 'circuit-opened') {
        const opened = record as CircuitOpened;
        circuits.set(opened.endpointId, { state: 'open', at: opened.openedAt });
        continue;
      }
      if (name === 'circuit-closed') {
        const closed = record as CircuitClosed;
        circuits.set(closed.endpointId, { state: 'closed', at: closed.closedAt });
        continue;
      }
      const event = toDeliveryEvent(name, record);
      if (event) events.push(event);
    }
    if (circuits.size > 0) await this.saveCircuits(client, circuits);
    if (events.length === 0) return;
    const ids = [...new Set(events.map((event) => event.deliveryId))];
    const states = await this.load(client, ids);
    for (const event of events) states.set(event.deliveryId, evolve(states.get(event.deliveryId) ?? UNKNOWN, event));
    await this.save(client, [...states.values()]);
  }

  private async load(client: PoolClient, ids: string[]): Promise<Map<string, DeliveryState>> {
    const [deliveries, attempts] = await Promise.all([
      client.query<DeliveryRow>('SELECT * FROM deliveries WHERE id = ANY($1)', [ids]),
      client.query<AttemptRow>('SELECT * FROM attempts WHERE delivery_id = ANY($1) ORDER BY delivery_id, n', [ids]),
    ]);
    const attemptsOf = new Map<string, AttemptSummary[]>();
    for (const row of attempts.rows) {
      attemptsOf.set(row.delivery_id, [
        ...(attemptsOf.get(row.delivery_id) ?? []),
        {
          n: row.n,
          at: row.at.getTime(),
          statusCode: row.status_code,
          latencyMs: row.latency_ms,
          errorClass: row.error_class,
          error: row.error,
          responseBody: row.response_body,
        },
      ]);
    }
    return new Map(
      deliveries.rows.map((row) => [
        row.id,
        {
          deliveryId: row.id,
          eventId: row.event_id,
          tenantId: row.tenant_id,
          environment: row.environment,
          endpointId: row.endpoint_id,
          eventType: row.event_type,
          status: row.status,
          formatVersion: row.format_version,
          transactionId: row.transaction_id,
          attempts: attemptsOf.get(row.id) ?? [],
          nextAttemptAt: row.next_attempt_at?.getTime() ?? null,
          createdAt: row.created_at.getTime(),
          updatedAt: row.updated_at.getTime(),
        },
      ]),
    );
  }

  /** Batched upserts: one statement for the deliveries, one for their attempts. */
  private async save(client: PoolClient, states: DeliveryState[]): Promise<void> {
    const known = states.filter(
      (state): state is Exclude<DeliveryState, { status: 'unknown' }> => state.status !== 'unknown',
    );
    await client.query(
      `INSERT INTO deliveries (id, tenant_id, environment, event_id, event_type, endpoint_id, status, attempt_count,
                               last_status_code, next_attempt_at, format_version, transaction_id, created_at, updated_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[],
                            $9::int[], $10::timestamptz[], $11::int[], $12::text[], $13::timestamptz[], $14::timestamptz[])
       ON CONFLICT (id) DO UPDATE SET
         status = EXCLUDED.status, attempt_count = EXCLUDED.attempt_count, last_status_code = EXCLUDED.last_status_code,
         next_attempt_at = EXCLUDED.next_attempt_at, format_version = EXCLUDED.format_version,
         transaction_id = EXCLUDED.transaction_id, created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at`,
      columns(
        known.map((state) => {
          const last = state.attempts[state.attempts.length - 1];
          return [
            state.deliveryId,
            state.tenantId,
            state.environment,
            state.eventId,
            state.eventType,
            state.endpointId,
            state.status,
            state.attempts.length,
            last?.statusCode ?? null,
            state.nextAttemptAt === null ? null : new Date(state.nextAttemptAt),
            state.formatVersion,
            state.transactionId,
            new Date(state.createdAt),
            new Date(state.updatedAt),
          ];
        }),
        14,
      ),
    );
    const attempts = known.flatMap((state) =>
      state.attempts.map((a) => [
        state.deliveryId,
        a.n,
        new Date(a.at),
        a.statusCode,
        a.latencyMs,
        a.errorClass,
        withoutNul(a.error),
        withoutNul(a.responseBody),
      ]),
    );
    if (attempts.length === 0) return;
    // Only attempts new to the table count towards health, so a replay never counts twice.
    const inserted = await client.query<{
      delivery_id: string;
      at: Date;
      error_class: string | null;
      latency_ms: number;
    }>(
      `INSERT INTO attempts (delivery_id, n, at, status_code, latency_ms, error_class, error, response_body)
       SELECT * FROM unnest($1::text[], $2::int[], $3::timestamptz[], $4::int[], $5::int[], $6::text[], $7::text[], $8::text[])
       ON CONFLICT (delivery_id, n) DO NOTHING
       RETURNING delivery_id, at, error_class, latency_ms`,
      columns(attempts, 8),
    );
    const endpointOf = new Map(known.map((state) => [state.deliveryId, state.endpointId]));
    const fresh = inserted.rows.map((row) => ({
      endpointId: endpointOf.get(row.delivery_id) as string,
      at: row.at,
      isSuccess: row.error_class === null,
      latencyMs: row.latency_ms,
    }));
    if (fresh.length > 0) await this.saveHealth(client, fresh);
  }

  private async saveHealth(
    client: PoolClient,
    attempts: { endpointId: string; at: Date; isSuccess: boolean; latencyMs: number }[],
  ) {
    await client.query(
      `INSERT INTO endpoint_attempts_hourly (endpoint_id, hour, successes, failures, latency_ms_sum)
       SELECT endpoint_id, date_trunc('hour', at), count(*) FILTER (WHERE ok), count(*) FILTER (WHERE NOT ok), sum(latency)
         FROM unnest($1::text[], $2::timestamptz[], $3::boolean[], $4::int[]) AS a(endpoint_id, at, ok, latency)
        GROUP BY 1, 2
       ON CONFLICT (endpoint_id, hour) DO UPDATE SET
         successes = endpoint_attempts_hourly.successes + EXCLUDED.successes,
         failures = endpoint_attempts_hourly.failures + EXCLUDED.failures,
         latency_ms_sum = endpoint_attempts_hourly.latency_ms_sum + EXCLUDED.latency_ms_sum`,
      columns(attempts.map((a) => [a.endpointId, a.at, a.isSuccess, a.latencyMs])),
    );
    await client.query(
      `INSERT INTO endpoint_health (endpoint_id, last_success_at, last_failure_at)
       SELECT endpoint_id, max(at) FILTER (WHERE ok), max(at) FILTER (WHERE NOT ok)
         FROM unnest($1::text[], $2::timestamptz[], $3::boolean[]) AS a(endpoint_id, at, ok)
        GROUP BY 1
       ON CONFLICT (endpoint_id) DO UPDATE SET
         last_success_at = GREATEST(endpoint_health.last_success_at, EXCLUDED.last_success_at),
         last_failure_at = GREATEST(endpoint_health.last_failure_at, EXCLUDED.last_failure_at)`,
      columns(attempts.map((a) => [a.endpointId, a.at, a.isSuccess])),
    );
  }

  private async saveCircuits(client: PoolClient, circuits: Map<string, { state: 'open' | 'closed'; at: number }>) {
    const rows = [...circuits].map(([endpointId, change]) => [endpointId, change.state, new Date(change.at)]);
    await client.query(
      `INSERT INTO endpoint_health (endpoint_id, circuit_state, circuit_changed_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[])
       ON CONFLICT (endpoint_id) DO UPDATE SET circuit_state = EXCLUDED.circuit_state, circuit_changed_at = EXCLUDED.circuit_changed_at
       WHERE endpoint_health.circuit_changed_at IS NULL OR endpoint_health.circuit_changed_at <= EXCLUDED.circuit_changed_at`,
      columns(rows),
    );
  }
}

/** Rows → one array per column, as `unnest` takes them. */
function columns(rows: readonly unknown[][], width = rows[0]?.length ?? 0): unknown[][] {
  return Array.from({ length: width }, (_, index) => rows.map((row) => row[index]));
}

/** Postgres text cannot hold NUL; a receiver's answer may. */
function withoutNul(text: string | null): string | null {
  return text === null ? null : text.replaceAll('\u0000', '');
}
