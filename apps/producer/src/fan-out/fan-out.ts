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
  quarantineRecord,
  type QuarantineWriter,
  type RegisteredSchemas,
  TransactionalBatchConsumer,
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
  /** Partitions fanned out at once. */
  readonly concurrency: number;
  readonly logger: Logger;
  /** Sets aside endpoint records that can never be decoded (the endpoints feed commits no offsets). */
  readonly quarantine: QuarantineWriter;
  /** Test hook (local mode only): dies between sending a batch's records and committing them. */
  readonly crashBeforeCommit?: boolean;
}

/**
 * Turns each event into one delivery per subscribed endpoint: `DeliveryScheduled` on the delivery
 * log and a dispatch request keyed by endpoint, committed with the consumed offsets in one Kafka
 * transaction. Endpoints come from the compacted endpoints topic, held in memory.
 */
export class FanOut {
  private readonly directory = new EndpointDirectory<DirectoryEntry>();
  private readonly feed: CompactedFeed;
  private readonly consumer: TransactionalBatchConsumer;

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
    this.consumer = new TransactionalBatchConsumer({
      kafka: options.kafka,
      groupId: options.groupId,
      topic: options.topics.events,
      transactionalIdPrefix: options.groupId,
      partitionsConsumedConcurrently: options.concurrency,
      logger: options.logger,
      handle: (messages, partition) => this.fanOut(messages, partition),
      beforeCommit: options.crashBeforeCommit ? () => process.kill(process.pid, 'SIGKILL') : undefined,
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

  private async fanOut(messages: readonly KafkaMessage[], partition: number): Promise<OutgoingRecord[]> {
    // Endpoint changes acknowledged before these events were written are applied before they fan out.
    await this.feed.waitUntilCurrent();
    const { codec, schemas, topics, catalogue } = this.options;
    const records: OutgoingRecord[] = [];
    for (const message of messages) {
      if (!message.value) continue;
      // A test event comes with its own delivery, to the endpoint being tested: no one else gets it.
      if (isTestEventRecord(message.headers)) continue;
      const decoded = await decodeOrPoison(message.value, (bytes) => codec.decode<EventEnvelope>(bytes));
      if (decoded.failure) {
        // Written in this slice's transaction, with the offsets: quarantined once, and the partition moves on.
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
