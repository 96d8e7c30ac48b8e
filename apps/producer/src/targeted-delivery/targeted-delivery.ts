import { type EventEnvelope, TEST_EVENT_HEADER, TEST_EVENT_HEADER_VALUE, type TopicNames } from '@hookstream/contracts';
import type { AvroCodec, PublishedMessage, Publisher, RegisteredSchemas } from '@hookstream/kafka';
import { type DeliveryTarget, dispatchDestination, firstDeliveryRecords } from '../fan-out/first-delivery-records';

/** An event meant for one endpoint only, rather than for every subscriber. */
export interface TargetedEvent {
  readonly envelope: EventEnvelope;
  /** The format version `envelope.data` is written in. */
  readonly writtenInVersion: number;
  readonly endpoint: DeliveryTarget;
  /** A sample event (`POST /v1/endpoints/:id/test`): marked on its records and its webhook requests. */
  readonly isTest: boolean;
}

/** An event already on the events topic, for one endpoint. */
export interface LoggedDelivery {
  readonly envelope: EventEnvelope;
  /** The event as it was written (Confluent framing). */
  readonly eventBytes: Buffer;
  readonly endpoint: DeliveryTarget;
}

export interface TargetedDeliveryDeps {
  readonly publisher: Publisher;
  readonly codec: AvroCodec;
  readonly schemas: RegisteredSchemas;
  readonly topics: TopicNames;
}

/**
 * Sends events to the one endpoint each is for, outside the fan-out: the event on the events topic (so
 * `GET /v1/events/:id` finds it), then its delivery as the fan-out writes one (`DeliveryScheduled` on
 * the delivery log, `DispatchRequested` for the dispatcher), rendered in the endpoint's format version.
 * The fan-out skips such events: system types by their type, test events by their record header.
 */
export class TargetedDelivery {
  constructor(private readonly deps: TargetedDeliveryDeps) {}

  /** Returns once Kafka has every record; the delivery ids are `deliveryIdFor(eventId, endpointId)`. */
  async send(events: readonly TargetedEvent[]): Promise<void> {
    if (events.length === 0) return;
    const { publisher, topics } = this.deps;
    const encoded = await Promise.all(events.map((event) => this.encode(event)));
    // The log first (the event, its delivery), then the request to send it.
    await Promise.all([
      publisher.publish(
        topics.events,
        encoded.map((records) => records.event),
      ),
      publisher.publish(
        topics.deliveryEvents,
        encoded.map((records) => records.scheduled),
      ),
    ]);
    await this.publishDispatches(encoded.map((records) => records.dispatch));
  }

  /**
   * Deliveries of events already on the events topic (a replay), written as the fan-out writes them:
   * `DeliveryScheduled` on the delivery log, then `DispatchRequested`. Returns once Kafka has them.
   */
  async schedule(deliveries: readonly LoggedDelivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    const { publisher, topics } = this.deps;
    const encoded = await Promise.all(
      deliveries.map((delivery) => this.encodeDelivery({ ...delivery, isTest: false })),
    );
    await publisher.publish(
      topics.deliveryEvents,
      encoded.map((records) => records.scheduled),
    );
    await this.publishDispatches(encoded.map((records) => records.dispatch));
  }

  /** Each dispatch request to its topic: the dispatcher's, or the sequencer's for a per-key endpoint. */
  private async publishDispatches(dispatches: readonly { topic: string; message: PublishedMessage }[]): Promise<void> {
    const byTopic = new Map<string, PublishedMessage[]>();
    for (const { topic, message } of dispatches) byTopic.set(topic, [...(byTopic.get(topic) ?? []), message]);
    await Promise.all([...byTopic].map(([topic, messages]) => this.deps.publisher.publish(topic, messages)));
  }

  private async encode({ envelope, writtenInVersion, endpoint, isTest }: TargetedEvent): Promise<{
    event: PublishedMessage;
    scheduled: PublishedMessage;
    dispatch: { topic: string; message: PublishedMessage };
  }> {
    const writer = this.deps.schemas.events.get(envelope.type)?.get(writtenInVersion);
    if (!writer) throw new Error(`${envelope.type} v${writtenInVersion} is not registered`);
    const eventBytes = await this.deps.codec.encode(writer.id, envelope);
    return {
      event: {
        key: envelope.tenantId,
        value: eventBytes,
        ...(isTest ? { headers: { [TEST_EVENT_HEADER]: TEST_EVENT_HEADER_VALUE } } : {}),
      },
      ...(await this.encodeDelivery({ envelope, eventBytes, endpoint, isTest })),
    };
  }

  private async encodeDelivery({
    envelope,
    eventBytes,
    endpoint,
    isTest,
  }: LoggedDelivery & { isTest: boolean }): Promise<{
    scheduled: PublishedMessage;
    dispatch: { topic: string; message: PublishedMessage };
  }> {
    const { codec, schemas } = this.deps;
    const rendered = schemas.events.get(envelope.type)?.get(endpoint.formatVersion);
    if (!rendered) throw new Error(`${envelope.type} v${endpoint.formatVersion} is not registered`);
    const { deliveryId, scheduled, dispatch } = firstDeliveryRecords({
      envelope,
      eventBytes,
      endpoint,
      schemaId: rendered.id,
      isTest,
      now: Date.now(),
    });
    const destination = dispatchDestination(this.deps.topics, dispatch);
    return {
      scheduled: { key: deliveryId, value: await codec.encode(schemas.internal['delivery-scheduled'].id, scheduled) },
      dispatch: {
        topic: destination.topic,
        message: {
          key: destination.key,
          value: await codec.encode(schemas.internal['dispatch-requested'].id, dispatch),
        },
      },
    };
  }
}
