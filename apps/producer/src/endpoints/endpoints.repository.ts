import { Inject, Injectable } from '@nestjs/common';
import type { Environment } from '@hookstream/contracts';
import type { EndpointSubscription } from '@hookstream/delivery';
import { type Pool, type PoolClient, withTransaction } from '@hookstream/postgres';
import { DATABASE } from '../tokens';
import { OUTBOX_CHANNEL } from './outbox-relay';

export interface EndpointRow {
  id: string;
  tenant_id: string;
  environment: Environment;
  url: string;
  description: string | null;
  event_types: string[];
  format_version: number;
  timeout_ms: number;
  rate_limit_per_second: number | null;
  retry_schedule: string[] | null;
  ordering: string;
  status: 'enabled' | 'disabled';
  sealed_secret: Buffer;
  previous_sealed_secret: Buffer | null;
  previous_secret_expires_at: Date | null;
  version: string;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
  disabled_reason: string | null;
}

/** The endpoint's subscription, as if enabled: which types it receives, whatever its status now. */
export function subscriptionOf(row: EndpointRow): EndpointSubscription {
  return {
    endpointId: row.id,
    tenantId: row.tenant_id,
    environment: row.environment,
    eventTypes: row.event_types,
    status: 'enabled',
  };
}

export interface EndpointValues {
  url: string;
  description: string | null;
  eventTypes: string[];
  formatVersion: number;
  timeoutMs: number;
  rateLimitPerSecond: number | null;
  retrySchedule: string[] | null;
  ordering: string;
  status: 'enabled' | 'disabled';
}

export interface EndpointHealth {
  attempts24h: number;
  successRate24h: number | null;
  averageLatencyMs24h: number | null;
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  circuitState: string;
}

export interface FailingEndpoint {
  id: string;
  tenant_id: string;
  environment: Environment;
  /** The row's version when found failing: a change since then (re-enabled, edited) is a new endpoint state. */
  version: string;
}

export interface Owner {
  readonly tenantId: string;
  readonly environment: Environment;
}

/**
 * Endpoints in Postgres, their system of record. Every change also goes to the outbox in the same
 * transaction; the relay publishes it to the compacted endpoints topic.
 */
@Injectable()
export class EndpointsRepository {
  constructor(@Inject(DATABASE) private readonly db: Pool) {}

  async create(
    owner: Owner,
    id: string,
    values: EndpointValues,
    sealedSecret: Buffer,
    topic: string,
  ): Promise<EndpointRow> {
    return withTransaction(this.db, async (client) => {
      const { rows } = await client.query<EndpointRow>(
        `INSERT INTO endpoints (id, tenant_id, environment, url, description, event_types, format_version, timeout_ms,
                                rate_limit_per_second, retry_schedule, ordering, status, sealed_secret)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING *`,
        [
          id,
          owner.tenantId,
          owner.environment,
          values.url,
          values.description,
          values.eventTypes,
          values.formatVersion,
          values.timeoutMs,
          values.rateLimitPerSecond,
          values.retrySchedule,
          values.ordering,
          values.status,
          sealedSecret,
        ],
      );
      await this.announce(client, topic, id);
      return rows[0] as EndpointRow;
    });
  }

  async find(owner: Owner, id: string): Promise<EndpointRow | undefined> {
    const { rows } = await this.db.query<EndpointRow>(
      'SELECT * FROM endpoints WHERE id = $1 AND tenant_id = $2 AND environment = $3 AND deleted_at IS NULL',
      [id, owner.tenantId, owner.environment],
    );
    return rows[0];
  }

  async list(owner: Owner, formatVersion?: number): Promise<EndpointRow[]> {
    const { rows } = await this.db.query<EndpointRow>(
      `SELECT * FROM endpoints
        WHERE tenant_id = $1 AND environment = $2 AND deleted_at IS NULL AND ($3::int IS NULL OR format_version = $3)
        ORDER BY created_at, id`,
      [owner.tenantId, owner.environment, formatVersion ?? null],
    );
    return rows;
  }

  /** Applies `change` to the current row under a row lock; undefined if there is no such endpoint. */
  async update(
    owner: Owner,
    id: string,
    topic: string,
    change: (row: EndpointRow) => Partial<EndpointValues> & {
      sealedSecret?: Buffer;
      previousSealedSecret?: Buffer;
      previousSecretExpiresAt?: Date;
    },
  ): Promise<EndpointRow | undefined> {
    return withTransaction(this.db, async (client) => {
      const { rows } = await client.query<EndpointRow>(
        'SELECT * FROM endpoints WHERE id = $1 AND tenant_id = $2 AND environment = $3 AND deleted_at IS NULL FOR UPDATE',
        [id, owner.tenantId, owner.environment],
      );
      const current = rows[0];
      if (!current) return undefined;
      const next = change(current);
      const { rows: updated } = await client.query<EndpointRow>(
        `UPDATE endpoints SET
           url = COALESCE($2, url), description = CASE WHEN $3::boolean THEN $4 ELSE description END,
           event_types = COALESCE($5, event_types), format_version = COALESCE($6, format_version),
           timeout_ms = COALESCE($7, timeout_ms),
           rate_limit_per_second = CASE WHEN $8::boolean THEN $9 ELSE rate_limit_per_second END,
           retry_schedule = CASE WHEN $10::boolean THEN $11 ELSE retry_schedule END,
           ordering = COALESCE($12, ordering), status = COALESCE($13, status),
           disabled_reason = CASE WHEN $13 IS NULL THEN disabled_reason ELSE NULL END,
           sealed_secret = COALESCE($14, sealed_secret),
           previous_sealed_secret = CASE WHEN $14 IS NULL THEN previous_sealed_secret ELSE $15 END,
           previous_secret_expires_at = CASE WHEN $14 IS NULL THEN previous_secret_expires_at ELSE $16 END,
           version = version + 1, updated_at = now()
         WHERE id = $1 RETURNING *`,
        [
          id,
          next.url ?? null,
          'description' in next,
          next.description ?? null,
          next.eventTypes ?? null,
          next.formatVersion ?? null,
          next.timeoutMs ?? null,
          'rateLimitPerSecond' in next,
          next.rateLimitPerSecond ?? null,
          'retrySchedule' in next,
          next.retrySchedule ?? null,
          next.ordering ?? null,
          next.status ?? null,
          next.sealedSecret ?? null,
          next.previousSealedSecret ?? null,
          next.previousSecretExpiresAt ?? null,
        ],
      );
      await this.announce(client, topic, id);
      return updated[0];
    });
  }

  /** Health over the last 24 hours, from the delivery projections, for the given endpoints. */
  async health(ids: readonly string[]): Promise<Map<string, EndpointHealth>> {
    if (ids.length === 0) return new Map();
    const { rows } = await this.db.query<{
      endpoint_id: string;
      successes: string | null;
      failures: string | null;
      latency_ms_sum: string | null;
      last_success_at: Date | null;
      last_failure_at: Date | null;
      circuit_state: string | null;
    }>(
      `SELECT ids.id AS endpoint_id, w.successes, w.failures, w.latency_ms_sum, h.last_success_at, h.last_failure_at, h.circuit_state
         FROM unnest($1::text[]) AS ids(id)
         LEFT JOIN LATERAL (
           SELECT sum(successes) AS successes, sum(failures) AS failures, sum(latency_ms_sum) AS latency_ms_sum
             FROM endpoint_attempts_hourly WHERE endpoint_id = ids.id AND hour > now() - interval '24 hours'
         ) w ON true
         LEFT JOIN endpoint_health h ON h.endpoint_id = ids.id`,
      [ids],
    );
    return new Map(
      rows.map((row) => {
        const successes = Number(row.successes ?? 0);
        const attempts = successes + Number(row.failures ?? 0);
        return [
          row.endpoint_id,
          {
            attempts24h: attempts,
            successRate24h: attempts === 0 ? null : successes / attempts,
            averageLatencyMs24h: attempts === 0 ? null : Math.round(Number(row.latency_ms_sum ?? 0) / attempts),
            lastSuccessAt: row.last_success_at?.toISOString() ?? null,
            lastFailureAt: row.last_failure_at?.toISOString() ?? null,
            circuitState: row.circuit_state ?? 'closed',
          },
        ];
      }),
    );
  }

  /**
   * Enabled endpoints none of whose attempts succeeded for `windowMs`: the last attempt failed, and a
   * failed attempt at least `windowMs` old follows both the last success and the endpoint's last change
   * (any change, such as re-enabling it or a new URL, starts the count again). Only deliveries created
   * within that streak are looked at, which keeps the deliveries_endpoint scan between two bounds.
   */
  async continuouslyFailing(windowMs: number, limit: number): Promise<FailingEndpoint[]> {
    const { rows } = await this.db.query<FailingEndpoint>(
      `SELECT e.id, e.tenant_id, e.environment, e.version
         FROM endpoints e
         JOIN endpoint_health h ON h.endpoint_id = e.id
         CROSS JOIN LATERAL (
           SELECT greatest(coalesce(h.last_success_at, '-infinity'), e.updated_at) AS streak_start,
                  now() - make_interval(secs => $1::float8 / 1000) AS cutoff
         ) w
        WHERE e.status = 'enabled' AND e.deleted_at IS NULL
          AND h.last_failure_at > coalesce(h.last_success_at, '-infinity')
          AND w.streak_start < w.cutoff
          AND EXISTS (
            SELECT 1 FROM deliveries d JOIN attempts a ON a.delivery_id = d.id
             WHERE d.tenant_id = e.tenant_id AND d.environment = e.environment AND d.endpoint_id = e.id
               AND d.created_at > w.streak_start AND d.created_at <= w.cutoff
               AND a.error_class IS NOT NULL AND a.at > w.streak_start AND a.at <= w.cutoff
             LIMIT 1)
        ORDER BY e.id
        LIMIT $2`,
      [windowMs, limit],
    );
    return rows;
  }

  /** The engine disables an endpoint (a 410 Gone, days of failures); a no-op if it already is. */
  async disable(id: string, reason: string, topic: string): Promise<boolean> {
    return withTransaction(this.db, async (client) => {
      const { rowCount } = await client.query(
        `UPDATE endpoints SET status = 'disabled', disabled_reason = $2, version = version + 1, updated_at = now()
          WHERE id = $1 AND status = 'enabled' AND deleted_at IS NULL`,
        [id, reason],
      );
      if (rowCount === 0) return false;
      await this.announce(client, topic, id);
      return true;
    });
  }

  async softDelete(owner: Owner, id: string, topic: string): Promise<boolean> {
    return withTransaction(this.db, async (client) => {
      const { rowCount } = await client.query(
        `UPDATE endpoints SET deleted_at = now(), version = version + 1, updated_at = now()
          WHERE id = $1 AND tenant_id = $2 AND environment = $3 AND deleted_at IS NULL`,
        [id, owner.tenantId, owner.environment],
      );
      if (rowCount === 0) return false;
      await this.announce(client, topic, id);
      return true;
    });
  }

  private async announce(client: PoolClient, topic: string, endpointId: string): Promise<void> {
    await client.query('INSERT INTO outbox (topic, key, endpoint_id) VALUES ($1, $2, $2)', [topic, endpointId]);
    await client.query(`NOTIFY ${OUTBOX_CHANNEL}`);
  }
}
