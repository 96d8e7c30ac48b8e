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
  /** A test hook: called after the records are sent, before the transaction commits. */
  beforeCommit?(partition: number): void;
}

/** Consume → produce with exactly-once effects: a batch's records and its offsets in one Kafka transaction. */
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
      eachBatch: (payload) => this.processBatch(payload),
    });
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
    await this.transactions.close();
  }

  private async processBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (!isRunning() || isStale() || batch.messages.length === 0) return;
    const lastOffset = batch.lastOffset();
    const records = await this.options.handle(batch.messages, batch.partition);
    await this.transactions.commit(
      { topic: batch.topic, partition: batch.partition, nextOffset: String(BigInt(lastOffset) + 1n) },
      records,
      () => this.options.beforeCommit?.(batch.partition),
    );
    resolveOffset(lastOffset);
    await heartbeat();
  }
}
