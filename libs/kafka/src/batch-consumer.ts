import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { groupConsumer } from './group-consumer';

/**
 * Hands whole batches to a handler that makes them durable elsewhere (with the offsets, in the same
 * transaction); the Kafka commit afterwards only saves a restart some re-reading.
 */
export class BatchConsumer {
  private readonly consumer: Consumer;

  constructor(
    private readonly options: {
      kafka: Kafka;
      groupId: string;
      topics: readonly string[];
      logger: Logger;
      /** Batches of different partitions handled at once (1: one after another). */
      partitionsConsumedConcurrently?: number;
      /** `heartbeat` keeps the group membership while the handler waits (e.g. on a lock). */
      handle(
        topic: string,
        partition: number,
        messages: readonly KafkaMessage[],
        heartbeat: () => Promise<void>,
      ): Promise<void>;
    },
  ) {
    this.consumer = groupConsumer(options.kafka, options.groupId);
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    for (const topic of this.options.topics) await this.consumer.subscribe({ topic, fromBeginning: true });
    await this.consumer.run({
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        if (!isRunning() || isStale() || batch.messages.length === 0) return;
        try {
          await this.options.handle(batch.topic, batch.partition, batch.messages, heartbeat);
        } catch (error) {
          this.options.logger.warn(
            { err: error, topic: batch.topic, partition: batch.partition },
            'batch failed; retrying',
          );
          await new Promise((resolve) => setTimeout(resolve, 1000));
          throw error;
        }
        const next = (BigInt(batch.lastOffset()) + 1n).toString();
        resolveOffset(batch.lastOffset());
        await this.consumer
          .commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }])
          .catch((error: unknown) => this.options.logger.debug({ err: error }, 'offset commit failed'));
        await heartbeat();
      },
    });
  }

  stop(): Promise<void> {
    return this.consumer.disconnect();
  }
}
