import { Inject, Injectable } from '@nestjs/common';
import type { DeliveryRedriven, DispatchRequested } from '@hookstream/contracts';
import { decide, DeliveryCommandRefused, type DeliveryState } from '@hookstream/delivery';
import type { Pool } from '@hookstream/postgres';
import type { Owner } from '../endpoints/endpoints.repository';
import { ApiError } from '../http/api-error';
import { ProducerContext } from '../producer-context';
import { DATABASE } from '../tokens';
import { StatusQueries } from './status-queries';

/** One more attempt of a delivery, now: `DeliveryRedriven` on the log and a dispatch request. */
@Injectable()
export class RedriveService {
  constructor(
    private readonly queries: StatusQueries,
    private readonly context: ProducerContext,
    @Inject(DATABASE) private readonly db: Pool,
  ) {}

  async retry(owner: Owner, deliveryId: string, now = Date.now()): Promise<{ id: string; attempt: number }> {
    const delivery = await this.queries.delivery(owner, deliveryId);
    const ref = {
      deliveryId: delivery.id,
      eventId: delivery.eventId,
      tenantId: owner.tenantId,
      environment: owner.environment,
      endpointId: delivery.endpointId,
      eventType: delivery.eventType,
    };
    const state: DeliveryState = {
      ...ref,
      status: delivery.status as 'pending' | 'succeeded' | 'failed' | 'exhausted',
      formatVersion: delivery.formatVersion,
      transactionId: delivery.transactionId,
      attempts: [],
      nextAttemptAt: delivery.nextAttemptAt ? Date.parse(delivery.nextAttemptAt) : null,
      createdAt: Date.parse(delivery.createdAt),
      updatedAt: Date.parse(delivery.updatedAt),
    };
    try {
      decide({ type: 'RetryNow', now }, state);
    } catch (error) {
      if (error instanceof DeliveryCommandRefused) throw ApiError.conflict('delivery_in_progress', error.message);
      throw error;
    }
    const { rows } = await this.db.query<{ payload: Buffer | null; endpoint_status: string | null }>(
      `SELECT e.payload, ep.status AS endpoint_status
         FROM events e LEFT JOIN endpoints ep ON ep.id = $2 AND ep.deleted_at IS NULL
        WHERE e.id = $1`,
      [delivery.eventId, delivery.endpointId],
    );
    const row = rows[0];
    if (!row?.payload)
      throw ApiError.conflict('event_unavailable', 'the event of this delivery is not available for a new attempt');
    if (row.endpoint_status !== 'enabled') {
      throw ApiError.conflict('endpoint_unavailable', 'the endpoint of this delivery is deleted or disabled');
    }
    const attempt = delivery.attemptCount + 1;
    const redriven: DeliveryRedriven = { ...ref, attempt, reason: 'retry', redrivenAt: now };
    const dispatch: DispatchRequested = {
      ...ref,
      formatVersion: delivery.formatVersion ?? 1,
      attempt,
      event: row.payload,
      requestedAt: now,
    };
    const { codec, schemas, topics, publisher } = this.context;
    await Promise.all([
      publisher.publish(topics.deliveryEvents, [
        { key: delivery.id, value: await codec.encode(schemas.internal['delivery-redriven'].id, redriven) },
      ]),
      publisher.publish(topics.dispatch, [
        { key: delivery.endpointId, value: await codec.encode(schemas.internal['dispatch-requested'].id, dispatch) },
      ]),
    ]);
    return { id: delivery.id, attempt };
  }
}
