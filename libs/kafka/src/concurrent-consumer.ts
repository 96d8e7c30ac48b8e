import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { groupConsumer } from './group-consumer';
import { OffsetCommitter } from './offset-committer';
import { OffsetTracker } from './offset-tracker';

export interface ConcurrentConsumerOptions {
  readonly kafka: Kafka;
  readonly groupId: string;
  readonly topic: string;
  readonly logger: Logger;
  /** Messages being worked on (taken, not finished, not parked), across partitions. */
  readonly maxBuffered: number;
  /**
   * Messages the handler holds parked (waiting on something else, such as an open circuit): they do
   * not count against maxBuffered, so a stalled key never starves the others, up to maxParked.
   */
  readonly parkedCount?: () => number;
  readonly maxParked?: number;
  readonly commitIntervalMs?: number;
  /**
   * Processes one message; resolves once its effects are durable. It may wait (a rate limit, an open
   * circuit) without holding up other messages. A rejection is retried with backoff, never skipped.
   */
  handle(message: KafkaMessage, partition: number): Promise<void>;
}

/**
 * Consumes a topic with many messages in flight per partition, so one slow key never stalls the
 * others. The fetch loop only hands messages out; each partition is committed up to its lowest
 * unfinished offset, so a crash re-delivers (never loses) what was in flight.
 */
export class ConcurrentConsumer {
  private readonly consumer: Consumer;
  private readonly trackers = new Map<number, OffsetTracker>();
  private readonly committer: OffsetCommitter;
  private buffered = 0;
  private readonly capacityWaiters: (() => void)[] = [];
  private commitTimer?: NodeJS.Timeout;
  private isStopping = false;

  constructor(private readonly options: ConcurrentConsumerOptions) {
    this.consumer = groupConsumer(options.kafka, options.groupId);
    this.committer = new OffsetCommitter(this.consumer, options.topic, options.logger);
  }

  get inFlight(): number {
    return this.buffered;
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      // Partitions taken away by a rebalance are someone else's now: stop committing them.
      const assigned = new Set(payload.memberAssignment[this.options.topic] ?? []);
      for (const partition of this.trackers.keys()) {
        if (!assigned.has(partition)) {
          this.trackers.delete(partition);
          this.committer.forget(partition);
        }
      }
    });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 4,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        const tracker = this.trackerFor(batch.partition);
        for (const message of batch.messages) {
          if (!isRunning() || isStale() || this.isStopping) return;
          while (this.isFull()) {
            // Wait for room, but heartbeat at least every second, or the group evicts this member.
            await Promise.race([
              new Promise<void>((resolve) => this.capacityWaiters.push(resolve)),
              new Promise((resolve) => setTimeout(resolve, 1000)),
            ]);
            await heartbeat();
            if (!isRunning() || isStale() || this.isStopping) return;
          }
          const offset = BigInt(message.offset);
          tracker.begin(offset);
          this.buffered++;
          void this.process(message, batch.partition).finally(() => {
            tracker.finish(offset);
            this.buffered--;
            this.capacityWaiters.shift()?.();
          });
          // Moves the fetch position on; what is committed is decided by the tracker.
          resolveOffset(message.offset);
        }
        tracker.passed(BigInt(batch.lastOffset()));
        await heartbeat();
      },
    });
    this.commitTimer = setInterval(() => void this.commit(), this.options.commitIntervalMs ?? 1000);
  }

  /**
   * Stops taking messages, waits for those being worked on (up to the timeout), commits, then leaves the group:
   * kafkajs takes no commit once the consumer has stopped, so fetching is paused instead until then. Parked
   * messages are not waited for (an endpoint down for an hour would hold every deploy for the whole timeout):
   * uncommitted, they are redelivered to whoever consumes the partition next, as work unfinished at the deadline is.
   */
  async stop(timeoutMs: number): Promise<void> {
    this.isStopping = true;
    for (const wake of this.capacityWaiters.splice(0)) wake();
    if (this.commitTimer) this.consumer.pause([{ topic: this.options.topic }]);
    const deadline = Date.now() + timeoutMs;
    while (this.buffered > this.parked && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    const { parked } = this;
    const inFlight = this.buffered - parked;
    if (inFlight > 0) {
      this.options.logger.warn({ inFlight, parked }, 'stopping with work in flight; it will be redelivered');
    } else if (parked > 0) {
      this.options.logger.info({ parked }, 'stopping with messages parked; they will be redelivered');
    }
    clearInterval(this.commitTimer);
    await this.commit();
    await this.consumer.disconnect();
  }

  /** Messages taken that the handler holds parked, as it reports them. */
  private get parked(): number {
    return this.options.parkedCount?.() ?? 0;
  }

  private isFull(): boolean {
    const { parked } = this;
    return this.buffered - parked >= this.options.maxBuffered || parked >= (this.options.maxParked ?? Infinity);
  }

  private trackerFor(partition: number): OffsetTracker {
    let tracker = this.trackers.get(partition);
    if (!tracker) {
      tracker = new OffsetTracker();
      this.trackers.set(partition, tracker);
    }
    return tracker;
  }

  private async process(message: KafkaMessage, partition: number): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.options.handle(message, partition);
      } catch (error) {
        const backoffMs = Math.min(30_000, 100 * 2 ** attempt);
        this.options.logger.warn(
          { err: error, topic: this.options.topic, partition, offset: message.offset, backoffMs },
          'processing failed; retrying',
        );
        await new Promise((resolve) => setTimeout(resolve, backoffMs));
      }
    }
  }

  private commit(): Promise<void> {
    const offsets = [...this.trackers].map(([partition, tracker]) => [partition, tracker.committable()] as const);
    return this.committer.commit(offsets);
  }
}
