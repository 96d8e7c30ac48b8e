import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { groupConsumer } from './group-consumer';

/** The longest wait between two tries of a batch during an outage: how late it resumes at most. */
const OUTAGE_MAX_BACKOFF_MS = 2000;

/**
 * Hands whole batches to a handler that makes them durable elsewhere (with the offsets, in the same
 * transaction); the Kafka commit afterwards only saves a restart some re-reading.
 */
export class BatchConsumer {
  private readonly consumer: Consumer;
  /** When the current outage of `options.outage.dependency` began. */
  private outageSince?: number;

  constructor(
    private readonly options: {
      kafka: Kafka;
      groupId: string;
      topics: readonly string[];
      logger: Logger;
      /**
       * Errors meaning that a dependency is down for a while (Postgres restarting): the batch is tried again
       * in place, backing off and heartbeating, told once per outage. Failed back to kafkajs instead, it
       * would be logged at each retry and, once kafkajs is out of retries, restart the consumer.
       */
      outage?: { readonly dependency: string; isOutage(error: unknown): boolean };
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
          await this.handleThroughOutages(
            () => this.options.handle(batch.topic, batch.partition, batch.messages, heartbeat),
            heartbeat,
            () => isRunning() && !isStale(),
          );
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

  private async handleThroughOutages(
    handle: () => Promise<void>,
    heartbeat: () => Promise<void>,
    isCurrent: () => boolean,
  ): Promise<void> {
    const { outage, logger } = this.options;
    for (let attempt = 0; ; attempt++) {
      try {
        await handle();
        if (this.outageSince !== undefined) {
          logger.info({ downForMs: Date.now() - this.outageSince }, `${outage?.dependency} is back; consuming again`);
          this.outageSince = undefined;
        }
        return;
      } catch (error) {
        if (!outage?.isOutage(error) || !isCurrent()) throw error;
        if (this.outageSince === undefined) {
          this.outageSince = Date.now();
          logger.warn({ err: error }, `${outage.dependency} is unavailable; retrying until it is back`);
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(OUTAGE_MAX_BACKOFF_MS, 100 * 2 ** attempt)));
        await heartbeat();
      }
    }
  }

  stop(): Promise<void> {
    return this.consumer.disconnect();
  }
}
