import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { BULK_FETCH_LIMITS, groupConsumer } from './group-consumer';
import { PeriodicCommits } from './offset-committer';
import { PartitionBacklog } from './partition-backlog';
import type { OutgoingRecord } from './send-chunks';
import type { Publisher } from './publisher';

export interface PublishingConsumerOptions {
  readonly kafka: Kafka;
  readonly groupId: string;
  readonly topic: string;
  /** Where the records go: acknowledged by every in-sync replica before their messages count as done. */
  readonly publisher: Publisher;
  readonly logger: Logger;
  /**
   * Turns consumed messages into records, the same records each time it is given the same messages: a
   * restart may give it some again, and the records' own ids make the copies harmless. `takenAt`
   * (`performance.now()`) is when the newest of them was fetched. Throwing tries them again, after a pause.
   */
  handle(messages: readonly KafkaMessage[], partition: number, takenAt: number): Promise<readonly OutgoingRecord[]>;
  /** Called as a batch is taken from the fetch, with the `takenAt` its handling will get: start here what it waits on. */
  onTaken?(partition: number, takenAt: number): void;
  /** Partitions taken from the fetch at once (1 by default). */
  readonly partitionsConsumedConcurrently?: number;
  /** Consumed messages handled and published together (100 by default). */
  readonly messagesPerSlice?: number;
  /** How often the offsets of what was published are committed (500 ms by default). */
  readonly commitIntervalMs?: number;
  /** A test hook: called after a slice's records are acknowledged, before its offset counts as done. */
  afterPublish?(partition: number): void;
}

const DEFAULT_MESSAGES_PER_SLICE = 100;
const DEFAULT_COMMIT_INTERVAL_MS = 500;
/** Slices a partition may have waiting before its fetch waits for them: bounds memory under a backlog. */
const SLICES_QUEUED_PER_PARTITION = 10;

/**
 * Consume → produce, at least once: a slice of a partition's messages becomes records, published with acks
 * from every in-sync replica, and only then may the partition's offset pass the slice. The fetch only queues
 * messages; each partition works off its own backlog in order, one slice after another. kafkajs fetches again
 * only once every batch of the last fetch is handled, so work done inside the fetch would hold every partition's
 * next messages up until the slowest partition is done.
 *
 * Why not a Kafka transaction per slice, for exactly-once records: one costs six broker round trips (add
 * partitions, produce, add offsets, commit offsets, end, and the markers that read_committed readers wait on)
 * against the publish's one; under the benchmark's load a transaction took 175 ms p50. The records a slice
 * yields carry ids derived from the messages (a delivery id), and every reader dedupes on them, so the copies a
 * crash can leave behind are harmless. They are at most what was published in the last commit interval.
 */
export class PublishingConsumer {
  private readonly consumer: Consumer;
  private readonly backlogs = new Map<number, PartitionBacklog>();
  /** The offsets of what was published, committed every interval and as it stops. */
  private readonly commits: PeriodicCommits;
  private hasStarted = false;
  private isStopping = false;

  constructor(private readonly options: PublishingConsumerOptions) {
    this.consumer = groupConsumer(options.kafka, options.groupId, BULK_FETCH_LIMITS);
    this.commits = new PeriodicCommits(
      this.consumer,
      [options.topic],
      options.logger,
      options.commitIntervalMs ?? DEFAULT_COMMIT_INTERVAL_MS,
    );
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      // A partition taken away by a rebalance is someone else's now: what it had queued is theirs to read.
      const assigned = new Set(payload.memberAssignment[this.options.topic] ?? []);
      for (const [partition, backlog] of this.backlogs) {
        if (assigned.has(partition)) continue;
        this.backlogs.delete(partition);
        void backlog.abandon();
      }
    });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      eachBatch: (payload) => this.take(payload),
    });
    this.hasStarted = true;
    this.commits.start();
  }

  /**
   * Stops taking batches, lets each partition finish the slice it is on, commits what was published (what is
   * queued is read again later), then leaves. The group is left last: kafkajs takes no commit once stopped.
   */
  async stop(): Promise<void> {
    this.isStopping = true;
    if (this.hasStarted) this.consumer.pause([{ topic: this.options.topic }]);
    await Promise.all([...this.backlogs.values()].map((backlog) => backlog.abandon()));
    this.backlogs.clear();
    await this.commits.stop();
    await this.consumer.disconnect();
  }

  private async take({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    // A batch fetched before the pause is left for whoever reads the partition next.
    if (this.isStopping || !isRunning() || isStale()) return;
    const backlog = this.backlogFor(batch.partition);
    const takenAt = performance.now();
    backlog.add(batch.messages, BigInt(batch.lastOffset()), takenAt);
    this.options.onTaken?.(batch.partition, takenAt);
    // Moves the fetch position on; what is committed is what was published.
    resolveOffset(batch.lastOffset());
    const limit = SLICES_QUEUED_PER_PARTITION * this.sliceSize;
    while (backlog.size >= limit && isRunning() && !isStale()) {
      await backlog.shrunk(1000);
      await heartbeat();
    }
  }

  private get sliceSize(): number {
    return this.options.messagesPerSlice ?? DEFAULT_MESSAGES_PER_SLICE;
  }

  private backlogFor(partition: number): PartitionBacklog {
    const existing = this.backlogs.get(partition);
    if (existing) return existing;
    const { topic, logger, publisher } = this.options;
    const backlog: PartitionBacklog = new PartitionBacklog({
      sliceSize: this.sliceSize,
      work: async (slice, nextOffset, takenAt) => {
        const records = await this.options.handle(slice, partition, takenAt);
        await publisher.publishRecords(records);
        this.options.afterPublish?.(partition);
        // A partition taken away meanwhile is committed by its new owner, who may be past this already.
        if (this.backlogs.get(partition) === backlog) this.commits.handled(topic, partition, nextOffset);
      },
      onFailure: (error, backoffMs) =>
        logger.warn({ err: error, topic, partition, backoffMs }, 'slice failed; trying it again'),
    });
    this.backlogs.set(partition, backlog);
    return backlog;
  }
}
