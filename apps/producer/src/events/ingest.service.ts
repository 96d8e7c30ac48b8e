import { Inject, Injectable } from '@nestjs/common';
import { type EventEnvelope, isSystemEventType } from '@hookstream/contracts';
import { newId } from '@hookstream/delivery';
import { PublishTimeoutError } from '@hookstream/kafka';
import type { Logger } from '@hookstream/observability';
import type { Pool } from '@hookstream/postgres';
import { createHash } from 'node:crypto';
import type { Owner } from '../endpoints/endpoints.repository';
import type { ProducerConfig } from '../config';
import { ApiError, UNAVAILABLE_RETRY_AFTER_SECONDS } from '../http/api-error';
import { ProducerContext } from '../producer-context';
import { DATABASE, LOGGER, PRODUCER_CONFIG } from '../tokens';
import type { PublishEvent } from './event.schemas';
import { type AcceptedEvent, IdempotencyKeys } from './idempotency-keys';
import { IngestMetrics } from './ingest-metrics';

export type { AcceptedEvent } from './idempotency-keys';

/** Validates an event against its type's schema and appends it to the events topic. */
@Injectable()
export class IngestService {
  private readonly keys: IdempotencyKeys;
  /** Long enough that a retry finds the claim of the attempt that failed no longer held. */
  private readonly retryAfterSeconds: number;

  constructor(
    private readonly context: ProducerContext,
    @Inject(DATABASE) db: Pool,
    @Inject(PRODUCER_CONFIG) config: ProducerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly metrics: IngestMetrics,
  ) {
    this.keys = new IdempotencyKeys(db, config.publishTimeoutMs);
    this.retryAfterSeconds = Math.max(UNAVAILABLE_RETRY_AFTER_SECONDS, Math.ceil(config.publishTimeoutMs / 1000));
  }

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
    const claim = await this.keys.claim(owner, idempotencyKey, requestHash, newId('evt'));
    if (claim.kind === 'reused') {
      throw ApiError.conflict(
        'idempotency_key_reused',
        'this Idempotency-Key was used with a different request in the last 24 hours',
      );
    }
    if (claim.kind === 'in-progress')
      throw ApiError.conflict('idempotency_key_in_use', 'a request with this Idempotency-Key is still in progress');
    if (claim.kind === 'answered') return claim.response;
    const record = (accepted: AcceptedEvent) => this.keys.record(owner, idempotencyKey, accepted);
    // A failed publish keeps the claim (see IdempotencyKeys); one that lands after its timeout is recorded then.
    const accepted = await this.append(owner, input.type, registered.id, parsed.value, claim.eventId, record);
    // The event is in the log: a 202 even if the answer cannot be recorded (a retry then publishes it again, same id).
    await record(accepted).catch((error: unknown) =>
      this.logger.warn({ err: error, eventId: accepted.id }, 'accepted event not recorded under its Idempotency-Key'),
    );
    return accepted;
  }

  /** Answers only after Kafka has the event (idempotent producer, acks = all). */
  private async append(
    owner: Owner,
    type: string,
    schemaId: number,
    data: Record<string, unknown>,
    eventId: string,
    onLateLanding?: (accepted: AcceptedEvent) => Promise<void>,
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
    const accepted = { id: eventId, type, createdAt: new Date(createdAt).toISOString() };
    try {
      await this.context.publisher.publish(this.context.topics.events, [{ key: owner.tenantId, value }]);
    } catch (error) {
      if (error instanceof PublishTimeoutError)
        error.stillSending?.then(() => onLateLanding?.(accepted)).catch(() => undefined);
      // Without an Idempotency-Key, an event whose publish timed out in flight may still land: a retry
      // would then add a second event. With one, the retry gets the same event id (IdempotencyKeys).
      throw ApiError.unavailable(
        'the event log did not acknowledge the event; retry with the same Idempotency-Key',
        this.retryAfterSeconds,
      );
    }
    this.metrics.ingested.inc({ type, environment: owner.environment });
    return accepted;
  }
}
