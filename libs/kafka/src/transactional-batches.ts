import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Message, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { groupConsumer } from './group-consumer';

export interface OutgoingRecord {
  readonly topic: string;
  readonly message: Message;
}

export interface TransactionalBatchOptions {
  readonly kafka: Kafka;
  readonly groupId: string;
  readonly topic: string;
  /** Stable per consumed partition, so a restarted instance fences its predecessor's open transaction. */
  readonly transactionalIdPrefix: string;
  readonly logger: Logger;
  /** Turns consumed messages into records; throwing retries the batch from its first message. */
  handle(messages: readonly KafkaMessage[], partition: number): Promise<readonly OutgoingRecord[]>;
  /** A test hook: called after the records are sent, before the transaction commits. */
  beforeCommit?(partition: number): void;
}

/**
 * Consume → produce with exactly-once effects: the records a batch yields and the batch's offsets are
 * committed in one Kafka transaction. kafkajs allows one open transaction per producer and has no
 * KIP-447 fencing, so each consumed partition gets its own transactional producer; one that failed
 * to commit (or was fenced) is replaced, because kafkajs leaves it unusable.
 */
export class TransactionalBatchConsumer {
  private readonly consumer: Consumer;
  private readonly producers = new Map<number, Promise<Producer>>();

  constructor(private readonly options: TransactionalBatchOptions) {
    this.consumer = groupConsumer(options.kafka, options.groupId);
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.processBatch(payload),
    });
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
    const producers = await Promise.allSettled(this.producers.values());
    for (const result of producers) if (result.status === 'fulfilled') await result.value.disconnect();
    this.producers.clear();
  }

  private producerFor(partition: number): Promise<Producer> {
    let producer = this.producers.get(partition);
    if (!producer) {
      const created = this.options.kafka.producer({
        transactionalId: `${this.options.transactionalIdPrefix}-${this.options.topic}-${partition}`,
        idempotent: true,
        maxInFlightRequests: 1,
      });
      producer = created.connect().then(() => created);
      this.producers.set(partition, producer);
    }
    return producer;
  }

  private async discardProducer(partition: number): Promise<void> {
    const producer = this.producers.get(partition);
    this.producers.delete(partition);
    await producer?.then((p) => p.disconnect()).catch(() => undefined);
  }

  private async processBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (!isRunning() || isStale() || batch.messages.length === 0) return;
    const lastOffset = batch.lastOffset();
    const records = await this.options.handle(batch.messages, batch.partition);
    const producer = await this.producerFor(batch.partition);
    const transaction = await producer.transaction();
    try {
      const byTopic = new Map<string, Message[]>();
      for (const record of records) byTopic.set(record.topic, [...(byTopic.get(record.topic) ?? []), record.message]);
      if (byTopic.size > 0) {
        await transaction.sendBatch({
          topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
          acks: -1,
        });
      }
      await transaction.sendOffsets({
        consumerGroupId: this.options.groupId,
        topics: [
          { topic: batch.topic, partitions: [{ partition: batch.partition, offset: String(BigInt(lastOffset) + 1n) }] },
        ],
      });
      this.options.beforeCommit?.(batch.partition);
      await transaction.commit();
    } catch (error) {
      await transaction.abort().catch(() => undefined);
      await this.discardProducer(batch.partition);
      this.options.logger.warn(
        { err: error, topic: batch.topic, partition: batch.partition },
        'transaction failed; retrying the batch',
      );
      throw error;
    }
    resolveOffset(lastOffset);
    await heartbeat();
  }
}
