import {
  type DeliveryScheduled,
  type DispatchRequested,
  type EventEnvelope,
  orderingKeyOf,
  orderingRecordKey,
  type TopicNames,
} from '@hookstream/contracts';
import { deliveryIdFor } from '@hookstream/delivery';

/** The endpoint a delivery is for: its id, format version and ordering (`none` when not given). */
export interface DeliveryTarget {
  readonly id: string;
  readonly formatVersion: number;
  readonly ordering?: string;
}

/**
 * The two records that start a delivery of an event to an endpoint, as the fan-out and a targeted
 * delivery both write them: `DeliveryScheduled` for the delivery log, `DispatchRequested` (the event's
 * bytes as they were written) for the dispatcher, the first attempt requested now.
 */
export function firstDeliveryRecords(input: {
  readonly envelope: Pick<EventEnvelope, 'eventId' | 'tenantId' | 'environment' | 'type' | 'data'>;
  /** The event as written on the events topic (Confluent framing). */
  readonly eventBytes: Buffer;
  readonly endpoint: DeliveryTarget;
  /** The registry id of the endpoint's format version, the schema the body is rendered in. */
  readonly schemaId: number | null;
  readonly isTest: boolean;
  readonly now: number;
}): { deliveryId: string; scheduled: DeliveryScheduled; dispatch: DispatchRequested } {
  const { envelope, endpoint, now, isTest } = input;
  const deliveryId = deliveryIdFor(envelope.eventId, endpoint.id);
  const common = {
    deliveryId,
    eventId: envelope.eventId,
    tenantId: envelope.tenantId,
    environment: envelope.environment,
    endpointId: endpoint.id,
    eventType: envelope.type,
    formatVersion: endpoint.formatVersion,
    isTest,
  };
  const transactionId = envelope.data['transactionId'];
  // A per-key endpoint's delivery is numbered by the sequencer before it goes (see dispatchDestination).
  const orderingKey = endpoint.ordering === 'per-key' && !isTest ? orderingKeyOf(envelope.type, envelope.data) : null;
  return {
    deliveryId,
    // `common` last: fields after a spread cost a hidden class per object (see deliveryRefOf).
    scheduled: {
      schemaId: input.schemaId,
      transactionId: typeof transactionId === 'string' ? transactionId : null,
      scheduledAt: now,
      ...common,
    },
    dispatch: { attempt: 1, event: input.eventBytes, requestedAt: now, orderingKey, sequence: null, ...common },
  };
}

/** Where a first dispatch request goes: to the dispatcher, or first to the sequencer when it is ordered by key. */
export function dispatchDestination(topics: TopicNames, dispatch: DispatchRequested): { topic: string; key: string } {
  return dispatch.orderingKey
    ? { topic: topics.ordering, key: orderingRecordKey(dispatch.endpointId, dispatch.orderingKey) }
    : { topic: topics.dispatch, key: dispatch.endpointId };
}
