import type { CircuitClosed, CircuitOpened } from '@hookstream/contracts';
import { type AttemptSummary, type DeliveryEvent, type DeliveryState, evolve, UNKNOWN } from '@hookstream/delivery';
import { decodeOrPoison, type KafkaMessage, type PermanentDecodeFailure } from '@hookstream/kafka';
import { type PoolClient, withoutNulCharacters } from '@hookstream/postgres';
import { type DeliveryLogDecoder, toDeliveryEvent } from './log-records';
import { type AttemptRow, type DeliveryRow, deliveryStateOf } from './projection-rows';
import type { ProjectionTables } from './projection-tables';

type Known = Exclude<DeliveryState, { status: 'unknown' }>;

/**
 * Folds delivery-log records into the projection tables (deliveries, attempts, endpoint health,
 * format-version usage) with batched upserts, inside the caller's transaction. Counters only grow
 * for rows new to the tables, so applying records the tables already hold changes nothing; the
 * caller's offsets make sure it never has to. Rows shared between partitions (an endpoint's health,
 * a version's usage) are upserted in key order, so batches written side by side wait, not deadlock.
 */
export class DeliveryLogWriter {
  constructor(
    private readonly decoder: DeliveryLogDecoder,
    private readonly tables: ProjectionTables,
  ) {}

  /** `onPoison`, when given, is handed each record that can never be decoded (otherwise garbage is skipped and an unknown schema throws). */
  async apply(
    client: PoolClient,
    messages: readonly KafkaMessage[],
    onPoison?: (message: KafkaMessage, failure: PermanentDecodeFailure) => Promise<void>,
  ): Promise<void> {
    const events: DeliveryEvent[] = [];
    const circuits = new Map<string, { state: 'open' | 'closed'; at: number }>();
    for (const message of messages) {
      let decoded: Awaited<ReturnType<DeliveryLogDecoder['decode']>>;
      if (onPoison) {
        const result = await decodeOrPoison(message.value, (bytes) => this.decoder.decode(bytes));
        if (result.failure) {
          await onPoison(message, result.failure);
          continue;
        }
        decoded = result.value;
      } else decoded = await this.decoder.decode(message.value);
      if (!decoded) continue;
      if (decoded.name === 'circuit-opened') {
        const opened = decoded.record as CircuitOpened;
        circuits.set(opened.endpointId, { state: 'open', at: opened.openedAt });
      } else if (decoded.name === 'circuit-closed') {
        const closed = decoded.record as CircuitClosed;
        circuits.set(closed.endpointId, { state: 'closed', at: closed.closedAt });
      } else {
        const event = toDeliveryEvent(decoded.name, decoded.record);
        if (event) events.push(event);
      }
    }
    if (circuits.size > 0) await this.saveCircuits(client, circuits);
    if (events.length === 0) return;
    const before = await this.load(client, [...new Set(events.map((event) => event.deliveryId))]);
    const after = new Map<string, DeliveryState>(before);
    for (const event of events) after.set(event.deliveryId, evolve(after.get(event.deliveryId) ?? UNKNOWN, event));
    const states = [...after.values()].filter((state): state is Known => state.status !== 'unknown');
    await this.saveDeliveries(client, states);
    await this.saveAttempts(client, states);
    await this.saveFormatVersions(
      client,
      states.filter((state) => state.formatVersion !== null && !before.get(state.deliveryId)?.formatVersion),
    );
  }

  private async load(client: PoolClient, ids: string[]): Promise<Map<string, Known>> {
    const deliveries = await client.query<DeliveryRow>(`SELECT * FROM ${this.tables.deliveries} WHERE id = ANY($1)`, [
      ids,
    ]);
    // Most records are a delivery's first attempt or its scheduling: nothing to read from attempts.
    const attempted = deliveries.rows.filter((row) => row.attempt_count > 0).map((row) => row.id);
    const attempts =
      attempted.length === 0
        ? []
        : (
            await client.query<AttemptRow>(
              `SELECT * FROM ${this.tables.attempts} WHERE delivery_id = ANY($1) ORDER BY delivery_id, n`,
              [attempted],
            )
          ).rows;
    const attemptsOf = new Map<string, AttemptSummary[]>();
    for (const row of attempts) {
      let summaries = attemptsOf.get(row.delivery_id);
      if (!summaries) attemptsOf.set(row.delivery_id, (summaries = []));
      summaries.push({
        n: row.n,
        at: row.at.getTime(),
        statusCode: row.status_code,
        latencyMs: row.latency_ms,
        errorClass: row.error_class,
        error: row.error,
        responseBody: row.response_body,
      });
    }
    return new Map(deliveries.rows.map((row) => [row.id, deliveryStateOf(row, attemptsOf.get(row.id) ?? [])]));
  }

  private async saveDeliveries(client: PoolClient, states: readonly Known[]): Promise<void> {
    await client.query(
      `INSERT INTO ${this.tables.deliveries} (id, tenant_id, environment, event_id, event_type, endpoint_id, status,
                               attempt_count, last_status_code, next_attempt_at, format_version, transaction_id,
                               created_at, updated_at, schema_id, is_test, exhausted_reason)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[],
                            $9::int[], $10::timestamptz[], $11::int[], $12::text[], $13::timestamptz[], $14::timestamptz[],
                            $15::int[], $16::boolean[], $17::text[])
       ON CONFLICT (id) DO UPDATE SET
         status = EXCLUDED.status, attempt_count = EXCLUDED.attempt_count, last_status_code = EXCLUDED.last_status_code,
         next_attempt_at = EXCLUDED.next_attempt_at, format_version = EXCLUDED.format_version,
         schema_id = EXCLUDED.schema_id, is_test = EXCLUDED.is_test, exhausted_reason = EXCLUDED.exhausted_reason,
         transaction_id = EXCLUDED.transaction_id, created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at`,
      columns(
        states.map((state) => [
          state.deliveryId,
          state.tenantId,
          state.environment,
          state.eventId,
          state.eventType,
          state.endpointId,
          state.status,
          state.attempts.length,
          state.attempts[state.attempts.length - 1]?.statusCode ?? null,
          state.nextAttemptAt === null ? null : new Date(state.nextAttemptAt),
          state.formatVersion,
          withoutNulCharacters(state.transactionId),
          new Date(state.createdAt),
          new Date(state.updatedAt),
          state.schemaId,
          state.isTest,
          state.exhaustedReason,
        ]),
        17,
      ),
    );
  }

  private async saveAttempts(client: PoolClient, states: readonly Known[]): Promise<void> {
    const attempts = states.flatMap((state) =>
      state.attempts.map((a) => [
        state.deliveryId,
        a.n,
        new Date(a.at),
        a.statusCode,
        a.latencyMs,
        a.errorClass,
        withoutNulCharacters(a.error),
        withoutNulCharacters(a.responseBody),
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
      `INSERT INTO ${this.tables.attempts} (delivery_id, n, at, status_code, latency_ms, error_class, error, response_body)
       SELECT * FROM unnest($1::text[], $2::int[], $3::timestamptz[], $4::int[], $5::int[], $6::text[], $7::text[], $8::text[])
       ON CONFLICT (delivery_id, n) DO NOTHING
       RETURNING delivery_id, at, error_class, latency_ms`,
      columns(attempts, 8),
    );
    const endpointOf = new Map(states.map((state) => [state.deliveryId, state.endpointId]));
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
  ): Promise<void> {
    const hourly = this.tables.endpoint_attempts_hourly;
    const health = this.tables.endpoint_health;
    await client.query(
      `INSERT INTO ${hourly} (endpoint_id, hour, successes, failures, latency_ms_sum)
       SELECT endpoint_id, date_trunc('hour', at), count(*) FILTER (WHERE ok), count(*) FILTER (WHERE NOT ok), sum(latency)
         FROM unnest($1::text[], $2::timestamptz[], $3::boolean[], $4::int[]) AS a(endpoint_id, at, ok, latency)
        GROUP BY 1, 2
        ORDER BY 1, 2
       ON CONFLICT (endpoint_id, hour) DO UPDATE SET
         successes = ${hourly}.successes + EXCLUDED.successes,
         failures = ${hourly}.failures + EXCLUDED.failures,
         latency_ms_sum = ${hourly}.latency_ms_sum + EXCLUDED.latency_ms_sum`,
      columns(attempts.map((a) => [a.endpointId, a.at, a.isSuccess, a.latencyMs])),
    );
    await client.query(
      `INSERT INTO ${health} (endpoint_id, last_success_at, last_failure_at)
       SELECT endpoint_id, max(at) FILTER (WHERE ok), max(at) FILTER (WHERE NOT ok)
         FROM unnest($1::text[], $2::timestamptz[], $3::boolean[]) AS a(endpoint_id, at, ok)
        GROUP BY 1
        ORDER BY 1
       ON CONFLICT (endpoint_id) DO UPDATE SET
         last_success_at = GREATEST(${health}.last_success_at, EXCLUDED.last_success_at),
         last_failure_at = GREATEST(${health}.last_failure_at, EXCLUDED.last_failure_at)`,
      columns(attempts.map((a) => [a.endpointId, a.at, a.isSuccess])),
    );
  }

  private async saveCircuits(
    client: PoolClient,
    circuits: Map<string, { state: 'open' | 'closed'; at: number }>,
  ): Promise<void> {
    const health = this.tables.endpoint_health;
    await client.query(
      `INSERT INTO ${health} (endpoint_id, circuit_state, circuit_changed_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[])
       ON CONFLICT (endpoint_id) DO UPDATE SET circuit_state = EXCLUDED.circuit_state, circuit_changed_at = EXCLUDED.circuit_changed_at
       WHERE ${health}.circuit_changed_at IS NULL OR ${health}.circuit_changed_at <= EXCLUDED.circuit_changed_at`,
      columns([...circuits].map(([endpointId, change]) => [endpointId, change.state, new Date(change.at)])),
    );
  }

  /** Counts each delivery once, when its format version first becomes known. */
  private async saveFormatVersions(client: PoolClient, states: readonly Known[]): Promise<void> {
    if (states.length === 0) return;
    const versions = this.tables.event_type_versions;
    await client.query(
      `INSERT INTO ${versions} (tenant_id, environment, event_type, format_version, deliveries, first_delivery_at, last_delivery_at)
       SELECT tenant_id, environment, event_type, format_version, count(*), min(created_at), max(created_at)
         FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::timestamptz[])
              AS d(tenant_id, environment, event_type, format_version, created_at)
        GROUP BY 1, 2, 3, 4
        ORDER BY 1, 2, 3, 4
       ON CONFLICT (tenant_id, environment, event_type, format_version) DO UPDATE SET
         deliveries = ${versions}.deliveries + EXCLUDED.deliveries,
         first_delivery_at = LEAST(${versions}.first_delivery_at, EXCLUDED.first_delivery_at),
         last_delivery_at = GREATEST(${versions}.last_delivery_at, EXCLUDED.last_delivery_at)`,
      columns(
        states.map((state) => [
          state.tenantId,
          state.environment,
          state.eventType,
          state.formatVersion,
          new Date(state.createdAt),
        ]),
      ),
    );
  }
}

/** Rows → one array per column, as `unnest` takes them. */
export function columns(rows: readonly unknown[][], width = rows[0]?.length ?? 0): unknown[][] {
  return Array.from({ length: width }, (_, index) => rows.map((row) => row[index]));
}
