import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { groupConsumer } from './group-consumer';
import { type OutgoingRecord, PartitionTransactions } from './partition-transactions';

export interface TransactionalBatchOptions {
  readonly kafka: Kafka;
  readonly groupId: string;
  readonly topic: string;
  /** Stable per consumed partition, so a restarted instance fences its predecessor's open transaction. */
  readonly transactionalIdPrefix: string;
  readonly logger: Logger;
  /** Turns consumed messages into records; throwing retries the batch from its first message. */
  handle(messages: readonly KafkaMessage[], partition: number): Promise<readonly OutgoingRecord[]>;
  /** Partitions worked on at once (1 by default); each has its own transactional producer. */
  readonly partitionsConsumedConcurrently?: number;
  /** Consumed messages per transaction (100 by default): bounds a transaction's records and time. */
  readonly messagesPerTransaction?: number;
  /** A test hook: called after the records are sent, before the transaction commits. */
  beforeCommit?(partition: number): void;
}

const DEFAULT_MESSAGES_PER_TRANSACTION = 100;

/**
 * Consume → produce with exactly-once effects: a slice of a batch's records and its offsets in one Kafka
 * transaction. A fetched batch can hold thousands of events, each fanning out to many endpoints: in slices, a
 * transaction stays a few megabytes, and the group hears a heartbeat between them.
 */
export class TransactionalBatchConsumer {
  private readonly consumer: Consumer;
  private readonly transactions: PartitionTransactions;

  constructor(private readonly options: TransactionalBatchOptions) {
    this.consumer = groupConsumer(options.kafka, options.groupId);
    this.transactions = new PartitionTransactions(
      options.kafka,
      options.groupId,
      options.transactionalIdPrefix,
      options.logger,
    );
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      eachBatch: (payload) => this.processBatch(payload),
    });
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
    await this.transactions.close();
  }

  private async processBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const sliceSize = this.options.messagesPerTransaction ?? DEFAULT_MESSAGES_PER_TRANSACTION;
    for (let start = 0; start < batch.messages.length; start += sliceSize) {
      if (!isRunning() || isStale()) return;
      const slice = batch.messages.slice(start, start + sliceSize);
      // The batch's own last offset for the final slice: it also covers control records after the last message.
      const isFinal = start + sliceSize >= batch.messages.length;
      const lastOffset = isFinal ? batch.lastOffset() : (slice[slice.length - 1] as KafkaMessage).offset;
      const records = await this.options.handle(slice, batch.partition);
      await this.transactions.commit(
        { topic: batch.topic, partition: batch.partition, nextOffset: String(BigInt(lastOffset) + 1n) },
        records,
        () => this.options.beforeCommit?.(batch.partition),
      );
      resolveOffset(lastOffset);
      await heartbeat();
    }
  }
}
