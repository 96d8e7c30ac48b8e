import { Inject, Injectable } from '@nestjs/common';
import {
  type DeliveryRedriven,
  type DeliveryRef,
  deliveryRefOf,
  type DispatchRequested,
  type OrderingPosition,
} from '@hookstream/contracts';
import { decide, DeliveryCommandRefused } from '@hookstream/delivery';
import type { Logger } from '@hookstream/observability';
import type { Pool } from '@hookstream/postgres';
import { EndpointsRepository, type Owner } from '../endpoints/endpoints.repository';
import { ApiError } from '../http/api-error';
import { ProducerContext } from '../producer-context';
import { type DeliveryRow, deliveryStateOf } from '../projector/projection-rows';
import { DATABASE, LOGGER } from '../tokens';

/** Deliveries read per page while recovering an endpoint, so that memory stays bounded. */
const RECOVER_PAGE_SIZE = 100;
/** Event bytes per dispatch publish: the broker refuses a request over 1 MiB by default. */
const MAX_PUBLISH_BYTES = 512 * 1024;

type RedriveReason = 'retry' | 'recover';

interface Redrive {
  readonly delivery: DeliveryRow;
  /** The event as it was written (Avro, Confluent framing), sent again as it was. */
  readonly event: Buffer;
}

/**
 * Sends deliveries again, now: one (`retry`) or every failed and exhausted one of an endpoint since a
 * time (`recover`). Each gets `DeliveryRedriven` on the log and a dispatch request; its attempt
 * numbering continues, and its webhook-id stays the delivery's id.
 */
@Injectable()
export class RedriveService {
  constructor(
    private readonly endpoints: EndpointsRepository,
    private readonly context: ProducerContext,
    @Inject(DATABASE) private readonly db: Pool,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async retry(owner: Owner, deliveryId: string, now = Date.now()): Promise<{ id: string; attempt: number }> {
    const { rows } = await this.db.query<DeliveryRow>(
      'SELECT * FROM deliveries WHERE id = $1 AND tenant_id = $2 AND environment = $3',
      [deliveryId, owner.tenantId, owner.environment],
    );
    const delivery = rows[0];
    if (!delivery) throw ApiError.notFound('delivery');
    try {
      decideRedrive(delivery, now);
    } catch (error) {
      if (error instanceof DeliveryCommandRefused) throw ApiError.conflict('delivery_in_progress', error.message);
      throw error;
    }
    const { rows: found } = await this.db.query<{ payload: Buffer | null; endpoint_status: string | null }>(
      `SELECT e.payload, ep.status AS endpoint_status
         FROM events e LEFT JOIN endpoints ep ON ep.id = $2 AND ep.deleted_at IS NULL
        WHERE e.id = $1`,
      [delivery.event_id, delivery.endpoint_id],
    );
    const event = found[0]?.payload;
    if (!event)
      throw ApiError.conflict('event_unavailable', 'the event of this delivery is not available for a new attempt');
    if (found[0]?.endpoint_status !== 'enabled') {
      throw ApiError.conflict('endpoint_unavailable', 'the endpoint of this delivery is deleted or disabled');
    }
    await this.publish([{ delivery, event }], 'retry', now);
    return { id: delivery.id, attempt: delivery.attempt_count + 1 };
  }

  /**
   * Redrives every failed or exhausted delivery of an endpoint created from `since` up to now, oldest
   * first, a page at a time (keyset on the deliveries_endpoint index) and published in batches.
   */
  async recover(
    owner: Owner,
    endpointId: string,
    since: Date,
    now = Date.now(),
  ): Promise<{ recovering: number; since: string }> {
    const endpoint = await this.endpoints.find(owner, endpointId);
    if (!endpoint) throw ApiError.notFound('endpoint');
    if (endpoint.status !== 'enabled') {
      throw ApiError.conflict('endpoint_unavailable', 'the endpoint is disabled: enable it before recovering');
    }
    let recovering = 0;
    let unavailable = 0;
    let after: DeliveryRow | undefined;
    for (;;) {
      const page = await this.recoverablePage(owner, endpointId, since, new Date(now), after);
      const events = await this.eventsOf(page.map((delivery) => delivery.event_id));
      const redrives = page.flatMap((delivery) => {
        const event = events.get(delivery.event_id);
        return event ? [{ delivery, event }] : [];
      });
      // Events written before payloads were kept (migration 005) cannot be sent again.
      unavailable += page.length - redrives.length;
      // The page holds failed and exhausted deliveries only: a refusal here is a bug, not a conflict.
      for (const redrive of redrives) decideRedrive(redrive.delivery, now);
      for (const batch of batchesOf(redrives, MAX_PUBLISH_BYTES)) await this.publish(batch, 'recover', now);
      recovering += redrives.length;
      if (page.length < RECOVER_PAGE_SIZE) break;
      after = page[page.length - 1];
    }
    this.logger.info(
      { endpointId, tenantId: owner.tenantId, since: since.toISOString(), recovering, unavailable },
      'endpoint recovering',
    );
    return { recovering, since: since.toISOString() };
  }

  /** Failed and exhausted deliveries of the endpoint in [since, until], after `after` in (created_at, id) order. */
  private async recoverablePage(
    owner: Owner,
    endpointId: string,
    since: Date,
    until: Date,
    after: DeliveryRow | undefined,
  ): Promise<DeliveryRow[]> {
    const values: unknown[] = [owner.tenantId, owner.environment, endpointId, since, until, RECOVER_PAGE_SIZE];
    const keyset = after ? 'AND (created_at, id) > ($7::timestamptz, $8)' : '';
    if (after) values.push(after.created_at, after.id);
    const { rows } = await this.db.query<DeliveryRow>(
      `SELECT * FROM deliveries
        WHERE tenant_id = $1 AND environment = $2 AND endpoint_id = $3 AND status IN ('failed', 'exhausted')
          AND created_at >= $4 AND created_at <= $5 ${keyset}
        ORDER BY created_at, id
        LIMIT $6`,
      values,
    );
    return rows;
  }

  /** The ordering key and number the sequencer gave each of these deliveries of per-key endpoints. */
  private async orderingPositions(deliveryIds: readonly string[]): Promise<Map<string, OrderingPosition>> {
    const { rows } = await this.db.query<{ delivery_id: string; ordering_key: string; sequence: string }>(
      'SELECT delivery_id, ordering_key, sequence FROM ordering_numbered WHERE delivery_id = ANY($1)',
      [deliveryIds],
    );
    return new Map(
      rows.map((row) => [row.delivery_id, { orderingKey: row.ordering_key, sequence: Number(row.sequence) }]),
    );
  }

  private async eventsOf(eventIds: readonly string[]): Promise<Map<string, Buffer>> {
    if (eventIds.length === 0) return new Map();
    const { rows } = await this.db.query<{ id: string; payload: Buffer }>(
      'SELECT id, payload FROM events WHERE id = ANY($1) AND payload IS NOT NULL',
      [[...new Set(eventIds)]],
    );
    return new Map(rows.map((row) => [row.id, row.payload]));
  }

  /**
   * `DeliveryRedriven` first, then the dispatch requests: an attempt's record then always follows the
   * redrive on the delivery's partition of the log, so the projection never reopens a finished attempt.
   */
  private async publish(redrives: readonly Redrive[], reason: RedriveReason, now: number): Promise<void> {
    if (redrives.length === 0) return;
    const { codec, schemas, topics, publisher } = this.context;
    const redriven = await Promise.all(
      redrives.map(async ({ delivery }) => {
        const record: DeliveryRedriven = {
          attempt: delivery.attempt_count + 1,
          reason,
          redrivenAt: now,
          ...refOf(delivery),
        };
        return { key: delivery.id, value: await codec.encode(schemas.internal['delivery-redriven'].id, record) };
      }),
    );
    const positions = await this.orderingPositions(redrives.map(({ delivery }) => delivery.id));
    const dispatches = await Promise.all(
      redrives.map(async ({ delivery, event }) => {
        // An ordered delivery keeps its place: its body says so, and its success lets its key move on.
        const position = positions.get(delivery.id);
        const record: DispatchRequested = {
          formatVersion: delivery.format_version ?? 1,
          attempt: delivery.attempt_count + 1,
          event,
          requestedAt: now,
          isTest: delivery.is_test,
          orderingKey: position?.orderingKey ?? null,
          sequence: position?.sequence ?? null,
          ...refOf(delivery),
        };
        return {
          key: delivery.endpoint_id,
          value: await codec.encode(schemas.internal['dispatch-requested'].id, record),
        };
      }),
    );
    await publisher.publish(topics.deliveryEvents, redriven);
    await publisher.publish(topics.dispatch, dispatches);
  }
}

function refOf(delivery: DeliveryRow): DeliveryRef {
  return deliveryRefOf(deliveryStateOf(delivery, []));
}

/** The domain's word on one more attempt now; throws DeliveryCommandRefused when it may not have one. */
function decideRedrive(delivery: DeliveryRow, now: number): void {
  decide({ type: 'RetryNow', now }, deliveryStateOf(delivery, []));
}

/** Consecutive batches whose events add up to at most `maxBytes` (a larger event travels alone). */
function batchesOf(redrives: readonly Redrive[], maxBytes: number): Redrive[][] {
  const batches: Redrive[][] = [];
  let current: Redrive[] = [];
  let bytes = 0;
  for (const redrive of redrives) {
    if (current.length > 0 && bytes + redrive.event.length > maxBytes) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(redrive);
    bytes += redrive.event.length;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
