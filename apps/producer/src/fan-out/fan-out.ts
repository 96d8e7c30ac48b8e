import {
  type EndpointConfigured,
  type EventCatalogue,
  type EventEnvelope,
  isSystemEventType,
  isTestEventRecord,
  type TopicNames,
} from '@hookstream/contracts';
import { EndpointDirectory, type EndpointSubscription } from '@hookstream/delivery';
import {
  type Admin,
  type AvroCodec,
  CompactedFeed,
  decodeOrPoison,
  type Kafka,
  type KafkaMessage,
  type OutgoingRecord,
  type Publisher,
  PublishingConsumer,
  quarantineRecord,
  type QuarantineWriter,
  type RegisteredSchemas,
} from '@hookstream/kafka';
import type { Logger } from '@hookstream/observability';
import { dispatchDestination, firstDeliveryRecords } from './first-delivery-records';

type DirectoryEntry = EndpointSubscription & { readonly formatVersion: number; readonly ordering: string };

export interface FanOutOptions {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly codec: AvroCodec;
  readonly schemas: RegisteredSchemas;
  readonly catalogue: EventCatalogue;
  readonly topics: TopicNames;
  readonly groupId: string;
  /** Its own: an ingest's answer never waits behind a fan-out's records. */
  readonly publisher: Publisher;
  /** Partitions fanned out at once. */
  readonly concurrency: number;
  readonly logger: Logger;
  /** Sets aside endpoint records that can never be decoded (the endpoints feed commits no offsets). */
  readonly quarantine: QuarantineWriter;
  /** Test hook (local mode only): dies between publishing a slice's records and committing its offset. */
  readonly crashBeforeCommit?: boolean;
}

/**
 * Turns each event into one delivery per subscribed endpoint: `DeliveryScheduled` on the delivery log and a
 * dispatch request keyed by endpoint, published before the consumed offset moves past the event. A restart
 * may fan an event out again: the delivery id is derived from the event and the endpoint, and every reader
 * dedupes on it. Endpoints come from the compacted endpoints topic, held in memory.
 */
export class FanOut {
  private readonly directory = new EndpointDirectory<DirectoryEntry>();
  private readonly feed: CompactedFeed;
  private readonly consumer: PublishingConsumer;

  constructor(private readonly options: FanOutOptions) {
    this.feed = new CompactedFeed({
      kafka: options.kafka,
      admin: options.admin,
      topic: options.topics.endpoints,
      name: `${options.groupId}-endpoints`,
      logger: options.logger,
      apply: async (key, message) => {
        if (!message.value) return this.directory.remove(key);
        const decoded = await decodeOrPoison(message.value, (bytes) => options.codec.decode<EndpointConfigured>(bytes));
        if (decoded.failure) {
          options.logger.warn(
            { key, offset: message.offset, reason: decoded.failure.reason },
            'endpoint record quarantined',
          );
          const source = { group: `${options.groupId}-endpoints` };
          return options.quarantine.put(options.topics.endpoints, message, decoded.failure.reason, source);
        }
        const { value } = decoded.value;
        this.directory.upsert({
          endpointId: value.endpointId,
          tenantId: value.tenantId,
          environment: value.environment,
          eventTypes: value.eventTypes,
          status: value.status,
          formatVersion: value.formatVersion,
          ordering: value.ordering,
        });
      },
    });
    this.consumer = new PublishingConsumer({
      kafka: options.kafka,
      groupId: options.groupId,
      topic: options.topics.events,
      publisher: options.publisher,
      partitionsConsumedConcurrently: options.concurrency,
      logger: options.logger,
      // The endpoints' end offsets are asked for as the events come, while earlier slices are still published.
      onTaken: (_partition, takenAt) => void this.feed.waitUntilCurrent({ since: takenAt }).catch(() => undefined),
      handle: (messages, partition, takenAt) => this.fanOut(messages, partition, takenAt),
      afterPublish: options.crashBeforeCommit ? () => process.kill(process.pid, 'SIGKILL') : undefined,
    });
  }

  async start(): Promise<void> {
    await this.feed.start();
    await this.consumer.start();
  }

  async stop(): Promise<void> {
    await this.consumer.stop();
    await this.feed.stop();
  }

  private async fanOut(
    messages: readonly KafkaMessage[],
    partition: number,
    takenAt: number,
  ): Promise<OutgoingRecord[]> {
    // Endpoint changes acknowledged before these events were written (so before they were fetched) apply to them.
    await this.feed.waitUntilCurrent({ since: takenAt });
    const { codec, schemas, topics, catalogue } = this.options;
    const records: OutgoingRecord[] = [];
    for (const message of messages) {
      if (!message.value) continue;
      // A test event comes with its own delivery, to the endpoint being tested: no one else gets it.
      if (isTestEventRecord(message.headers)) continue;
      const decoded = await decodeOrPoison(message.value, (bytes) => codec.decode<EventEnvelope>(bytes));
      if (decoded.failure) {
        // Published with the slice's records, before its offset moves on: the partition moves on past it.
        const source = { partition, group: this.options.groupId };
        records.push(quarantineRecord(topics.quarantine, topics.events, message, decoded.failure.reason, source));
        continue;
      }
      const event = decoded.value.value;
      const definition = catalogue.get(event.type);
      // A system event comes with its own deliveries, to the endpoints it is about: it has no subscribers.
      if (isSystemEventType(definition)) continue;
      const isOptIn = definition?.optIn ?? false;
      const now = Date.now();
      for (const endpoint of this.directory.subscribers(event.tenantId, event.environment, event.type, isOptIn)) {
        const { deliveryId, scheduled, dispatch } = firstDeliveryRecords({
          envelope: event,
          eventBytes: message.value,
          endpoint: { id: endpoint.endpointId, formatVersion: endpoint.formatVersion, ordering: endpoint.ordering },
          schemaId: schemas.events.get(event.type)?.get(endpoint.formatVersion)?.id ?? null,
          isTest: false,
          now,
        });
        const destination = dispatchDestination(topics, dispatch);
        records.push(
          {
            topic: topics.deliveryEvents,
            message: {
              key: deliveryId,
              value: await codec.encode(schemas.internal['delivery-scheduled'].id, scheduled),
            },
          },
          {
            topic: destination.topic,
            message: {
              key: destination.key,
              value: await codec.encode(schemas.internal['dispatch-requested'].id, dispatch),
            },
          },
        );
      }
    }
    return records;
  }
}
