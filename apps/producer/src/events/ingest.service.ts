import { Inject, Injectable } from '@nestjs/common';
import { type EventEnvelope, isSystemEventType } from '@hookstream/contracts';
import { newId } from '@hookstream/delivery';
import type { Pool } from '@hookstream/postgres';
import { createHash } from 'node:crypto';
import type { Owner } from '../endpoints/endpoints.repository';
import { ApiError } from '../http/api-error';
import { ProducerContext } from '../producer-context';
import { DATABASE } from '../tokens';
import type { PublishEvent } from './event.schemas';
import { IngestMetrics } from './ingest-metrics';

export interface AcceptedEvent {
  id: string;
  type: string;
  createdAt: string;
}

const IDEMPOTENCY_WINDOW = '24 hours';

/** Validates an event against its type's schema and appends it to the events topic. */
@Injectable()
export class IngestService {
  constructor(
    private readonly context: ProducerContext,
    @Inject(DATABASE) private readonly db: Pool,
    private readonly metrics: IngestMetrics,
  ) {}

  async publish(owner: Owner, input: PublishEvent, idempotencyKey?: string): Promise<AcceptedEvent> {
    const definition = this.context.catalogue.get(input.type);
    if (!definition) {
      throw ApiError.invalid('unknown event type', [
        { field: 'type', message: `"${input.type}" is not in the catalogue (GET /v1/event-types)` },
      ]);
    }
    if (isSystemEventType(definition)) {
      throw ApiError.invalid('system event types cannot be published', [
        { field: 'type', message: `"${input.type}" is sent by hookstream itself, only to the endpoints it concerns` },
      ]);
    }
    const formatVersion = input.formatVersion ?? definition.latestVersion;
    const registered = this.context.schemas.events.get(input.type)?.get(formatVersion);
    if (!registered) {
      throw ApiError.invalid('unknown format version', [
        { field: 'formatVersion', message: `${input.type} has no format version ${formatVersion}` },
      ]);
    }
    const parsed = this.context.catalogue.parseData(input.type, formatVersion, input.data);
    if (!parsed.ok)
      throw ApiError.invalid(`data is not a valid ${input.type} (format version ${formatVersion})`, parsed.errors);

    if (idempotencyKey === undefined) return this.append(owner, input.type, registered.id, parsed.value, newId('evt'));

    const requestHash = createHash('sha256')
      .update(JSON.stringify([input.type, formatVersion, input.data]))
      .digest('hex');
    const eventId = newId('evt');
    // Claim the key, or take over one older than the window; otherwise read who holds it.
    const claimed = await this.db.query<{ event_id: string; request_hash: string; response: AcceptedEvent | null }>(
      `INSERT INTO idempotency_keys (tenant_id, environment, key, request_hash, event_id)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (tenant_id, environment, key) DO UPDATE
         SET request_hash = EXCLUDED.request_hash, event_id = EXCLUDED.event_id, response = NULL, created_at = now()
         WHERE idempotency_keys.created_at < now() - interval '${IDEMPOTENCY_WINDOW}'
       RETURNING event_id, request_hash, response`,
      [owner.tenantId, owner.environment, idempotencyKey, requestHash, eventId],
    );
    const row =
      claimed.rows[0] ??
      (
        await this.db.query<{ event_id: string; request_hash: string; response: AcceptedEvent | null }>(
          'SELECT event_id, request_hash, response FROM idempotency_keys WHERE tenant_id = $1 AND environment = $2 AND key = $3',
          [owner.tenantId, owner.environment, idempotencyKey],
        )
      ).rows[0];
    if (!row)
      throw ApiError.conflict('idempotency_key_in_use', 'a request with this Idempotency-Key is still in progress');
    if (row.event_id !== eventId) {
      if (row.request_hash !== requestHash) {
        throw ApiError.conflict(
          'idempotency_key_reused',
          'this Idempotency-Key was used with a different request in the last 24 hours',
        );
      }
      if (!row.response)
        throw ApiError.conflict('idempotency_key_in_use', 'a request with this Idempotency-Key is still in progress');
      return row.response;
    }
    try {
      const accepted = await this.append(owner, input.type, registered.id, parsed.value, eventId);
      await this.db.query(
        'UPDATE idempotency_keys SET response = $4 WHERE tenant_id = $1 AND environment = $2 AND key = $3',
        [owner.tenantId, owner.environment, idempotencyKey, accepted],
      );
      return accepted;
    } catch (error) {
      // Nothing was accepted: free the key so the client's retry can succeed.
      await this.db
        .query(
          'DELETE FROM idempotency_keys WHERE tenant_id = $1 AND environment = $2 AND key = $3 AND event_id = $4',
          [owner.tenantId, owner.environment, idempotencyKey, eventId],
        )
        .catch(() => undefined);
      throw error;
    }
  }

  /** Answers only after Kafka has the event (idempotent producer, acks = all). */
  private async append(
    owner: Owner,
    type: string,
    schemaId: number,
    data: Record<string, unknown>,
    eventId: string,
  ): Promise<AcceptedEvent> {
    const createdAt = Date.now();
    const envelope: EventEnvelope = {
      eventId,
      tenantId: owner.tenantId,
      environment: owner.environment,
      type,
      createdAt,
      data,
    };
    const value = await this.context.codec.encode(schemaId, envelope);
    try {
      await this.context.publisher.publish(this.context.topics.events, [{ key: owner.tenantId, value }]);
    } catch {
      throw ApiError.unavailable('the event log is unavailable; retry with the same Idempotency-Key');
    }
    this.metrics.ingested.inc({ type, environment: owner.environment });
    return { id: eventId, type, createdAt: new Date(createdAt).toISOString() };
  }
}
