import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { BULK_FETCH_LIMITS, groupConsumer } from './group-consumer';
import { PeriodicCommits } from './offset-committer';

/** The longest wait between two tries of a batch during an outage: how late it resumes at most. */
const OUTAGE_MAX_BACKOFF_MS = 2000;
/** How often the Kafka offsets of handled batches are committed. */
const COMMIT_INTERVAL_MS = 500;

/**
 * Hands whole batches to a handler that makes them durable elsewhere (with the offsets, in the same
 * transaction, or idempotently); the Kafka commit only saves a restart some re-reading, so it is made every
 * half second rather than after each batch, off the batches' path (per batch it was up to 75 commits a
 * second per group at 500 events/s).
 */
export class BatchConsumer {
  private readonly consumer: Consumer;
  private readonly commits: PeriodicCommits;
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
      /**
       * A fetch is answered once it has this many bytes or has waited this long (kafkajs: at once, on the first
       * record). For a handler in no hurry whose work is cheaper in bulk.
       */
      fetchAtLeast?: { readonly bytes: number; readonly waitMs: number };
      /** `heartbeat` keeps the group membership while the handler waits (e.g. on a lock). */
      handle(
        topic: string,
        partition: number,
        messages: readonly KafkaMessage[],
        heartbeat: () => Promise<void>,
      ): Promise<void>;
    },
  ) {
    const { fetchAtLeast } = options;
    this.consumer = groupConsumer(options.kafka, options.groupId, {
      ...BULK_FETCH_LIMITS,
      ...(fetchAtLeast ? { minBytes: fetchAtLeast.bytes, maxWaitTimeInMs: fetchAtLeast.waitMs } : {}),
    });
    this.commits = new PeriodicCommits(this.consumer, options.topics, options.logger, COMMIT_INTERVAL_MS);
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
        resolveOffset(batch.lastOffset());
        this.commits.handled(batch.topic, batch.partition, BigInt(batch.lastOffset()) + 1n);
        await heartbeat();
      },
    });
    this.commits.start();
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

  /** Commits what was handled, then stops (kafkajs commits nothing once stopped): what is in hand is read again. */
  async stop(): Promise<void> {
    await this.commits.stop();
    await this.consumer.disconnect();
  }
}
