import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from '@hookstream/postgres';
import type { Owner } from '../endpoints/endpoints.repository';
import { ApiError } from '../http/api-error';
import type { AttemptRow, DeliveryRow } from '../projector/projection-rows';
import { DATABASE } from '../tokens';

export interface DeliverySummary {
  id: string;
  eventId: string;
  endpointId: string;
  eventType: string;
  status: string;
  attemptCount: number;
  formatVersion: number | null;
  /** The registry id of that format version's schema. */
  schemaId: number | null;
  transactionId: string | null;
  /** A sample event's delivery, sent by `POST /v1/endpoints/:id/test`. */
  isTest: boolean;
  createdAt: string;
  nextAttemptAt: string | null;
  /** Why an exhausted delivery gets no further attempt (`ExhaustedReason`); null for any other status. */
  exhaustedReason: string | null;
}

export interface DeliveryDetail extends DeliverySummary {
  lastStatusCode: number | null;
  /** For a per-key endpoint's delivery once numbered: its key, its number, and whether it waits for the one before it. */
  ordering: { key: string; sequence: number; waiting: boolean } | null;
  updatedAt: string;
  attempts: {
    n: number;
    at: string;
    statusCode: number | null;
    latencyMs: number;
    errorClass: string | null;
    error: string | null;
    responseBody: string | null;
  }[];
}

export interface DeliveryFilters {
  endpointId?: string;
  eventType?: string;
  status?: string;
  transactionId?: string;
  since?: string;
  until?: string;
  limit: number;
  cursor?: string;
}

const summary = (row: DeliveryRow): DeliverySummary => ({
  id: row.id,
  eventId: row.event_id,
  endpointId: row.endpoint_id,
  eventType: row.event_type,
  status: row.status,
  attemptCount: row.attempt_count,
  formatVersion: row.format_version,
  schemaId: row.schema_id,
  transactionId: row.transaction_id,
  isTest: row.is_test,
  createdAt: row.created_at.toISOString(),
  nextAttemptAt: row.next_attempt_at?.toISOString() ?? null,
  exhaustedReason: row.exhausted_reason,
});

/** Keyset cursor: the (created_at, id) of the last row of a page, opaque to clients. */
const encodeCursor = (row: DeliveryRow) =>
  Buffer.from(JSON.stringify([row.created_at.toISOString(), row.id])).toString('base64url');

function decodeCursor(cursor: string): [string, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string') {
      // A tampered time would otherwise reach Postgres as a bad timestamptz: a 500 instead of a 400.
      const createdAt = new Date(value[0]);
      if (!Number.isNaN(createdAt.getTime())) return [createdAt.toISOString(), value[1]];
    }
  } catch {
    // answered below
  }
  throw ApiError.invalid('the cursor is not one this API gave out', [{ field: 'cursor', message: 'invalid cursor' }]);
}

/** A time filter (gRPC does not validate it as REST does): a 400, never a bad timestamptz reaching Postgres. */
function instant(field: string, value: string): string {
  const time = new Date(value);
  if (Number.isNaN(time.getTime()))
    throw ApiError.invalid(`${field} is not a time`, [{ field, message: 'invalid time' }]);
  return time.toISOString();
}

/** Status queries over the projections; REST and gRPC both call these. */
@Injectable()
export class StatusQueries {
  constructor(@Inject(DATABASE) private readonly db: Pool) {}

  async delivery(owner: Owner, id: string): Promise<DeliveryDetail> {
    const { rows } = await this.db.query<DeliveryRow>(
      'SELECT * FROM deliveries WHERE id = $1 AND tenant_id = $2 AND environment = $3',
      [id, owner.tenantId, owner.environment],
    );
    const row = rows[0];
    if (!row) throw ApiError.notFound('delivery');
    const attempts = await this.db.query<AttemptRow>('SELECT * FROM attempts WHERE delivery_id = $1 ORDER BY n', [id]);
    const ordering = await this.db.query<{ ordering_key: string; sequence: string; waiting: boolean }>(
      `SELECT n.ordering_key, n.sequence,
              EXISTS (SELECT 1 FROM ordering_waiting w
                       WHERE w.endpoint_id = n.endpoint_id AND w.ordering_key = n.ordering_key
                         AND w.sequence = n.sequence) AS waiting
         FROM ordering_numbered n WHERE n.delivery_id = $1`,
      [id],
    );
    const position = ordering.rows[0];
    return {
      ...summary(row),
      lastStatusCode: row.last_status_code,
      ordering: position
        ? { key: position.ordering_key, sequence: Number(position.sequence), waiting: position.waiting }
        : null,
      updatedAt: row.updated_at.toISOString(),
      attempts: attempts.rows.map((a) => ({
        n: a.n,
        at: a.at.toISOString(),
        statusCode: a.status_code,
        latencyMs: a.latency_ms,
        errorClass: a.error_class,
        error: a.error,
        responseBody: a.response_body,
      })),
    };
  }

  async deliveries(
    owner: Owner,
    filters: DeliveryFilters,
  ): Promise<{ data: DeliverySummary[]; nextCursor: string | null }> {
    const where = ['tenant_id = $1', 'environment = $2'];
    const values: unknown[] = [owner.tenantId, owner.environment];
    const add = (clause: string, value: unknown) => {
      values.push(value);
      where.push(clause.replace('?', `$${values.length}`));
    };
    if (filters.endpointId) add('endpoint_id = ?', filters.endpointId);
    if (filters.eventType) add('event_type = ?', filters.eventType);
    if (filters.status) add('status = ?', filters.status);
    if (filters.transactionId) add('transaction_id = ?', filters.transactionId);
    if (filters.since) add('created_at >= ?', instant('since', filters.since));
    if (filters.until) add('created_at < ?', instant('until', filters.until));
    if (filters.cursor) {
      const [createdAt, id] = decodeCursor(filters.cursor);
      values.push(createdAt, id);
      where.push(`(created_at, id) < ($${values.length - 1}::timestamptz, $${values.length})`);
    }
    values.push(filters.limit + 1);
    const { rows } = await this.db.query<DeliveryRow>(
      `SELECT * FROM deliveries WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT $${values.length}`,
      values,
    );
    const page = rows.slice(0, filters.limit);
    const last = page[page.length - 1];
    return { data: page.map(summary), nextCursor: rows.length > filters.limit && last ? encodeCursor(last) : null };
  }

  async event(owner: Owner, id: string) {
    const { rows } = await this.db.query<{ id: string; type: string; created_at: Date; data: Record<string, unknown> }>(
      'SELECT id, type, created_at, data FROM events WHERE id = $1 AND tenant_id = $2 AND environment = $3',
      [id, owner.tenantId, owner.environment],
    );
    const row = rows[0];
    if (!row) throw ApiError.notFound('event');
    const deliveries = await this.db.query<{ id: string; endpoint_id: string; status: string }>(
      'SELECT id, endpoint_id, status FROM deliveries WHERE event_id = $1 AND tenant_id = $2 AND environment = $3 ORDER BY id',
      [id, owner.tenantId, owner.environment],
    );
    return {
      id: row.id,
      type: row.type,
      createdAt: row.created_at.toISOString(),
      data: row.data,
      deliveries: deliveries.rows.map((d) => ({ id: d.id, endpointId: d.endpoint_id, status: d.status })),
    };
  }
}
