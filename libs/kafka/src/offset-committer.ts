import type { Consumer } from 'kafkajs';
import type { Logger } from 'pino';

/**
 * Commits a consumer's offsets of one topic, outside kafkajs's own commits: each partition's only when it moved
 * since the last commit that went through. A failed commit is tried again with the next call.
 */
export class OffsetCommitter {
  private readonly committed = new Map<number, bigint>();

  constructor(
    private readonly consumer: Consumer,
    private readonly topic: string,
    private readonly logger: Logger,
  ) {}

  /** `offsets`: per partition, the offset to resume from (undefined: nothing to commit yet). */
  async commit(offsets: Iterable<readonly [number, bigint | undefined]>): Promise<void> {
    const moved = [];
    for (const [partition, offset] of offsets) {
      if (offset === undefined || offset === this.committed.get(partition)) continue;
      moved.push({ topic: this.topic, partition, offset: offset.toString() });
    }
    if (moved.length === 0) return;
    try {
      await this.consumer.commitOffsets(moved);
      for (const { partition, offset } of moved) this.committed.set(partition, BigInt(offset));
    } catch (error) {
      this.logger.warn({ err: error }, 'offset commit failed; will retry');
    }
  }

  /** The partition is someone else's now: what was committed for it says nothing any more. */
  forget(partition: number): void {
    this.committed.delete(partition);
  }
}

/**
 * A group consumer's offsets of handled messages, committed every `intervalMs` and once more on `stop`, off the
 * messages' path. A partition a rebalance took away is forgotten: it is someone else's to commit now.
 */
export class PeriodicCommits {
  /** Per topic and partition, the offset to resume from: every message before it is handled. */
  private readonly done = new Map<string, Map<number, bigint>>();
  private readonly committers: Map<string, OffsetCommitter>;
  private timer?: NodeJS.Timeout;

  constructor(
    consumer: Consumer,
    topics: readonly string[],
    logger: Logger,
    private readonly intervalMs: number,
  ) {
    this.committers = new Map(topics.map((topic) => [topic, new OffsetCommitter(consumer, topic, logger)]));
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      for (const [topic, done] of this.done) {
        const assigned = new Set(payload.memberAssignment[topic] ?? []);
        for (const partition of done.keys()) {
          if (assigned.has(partition)) continue;
          done.delete(partition);
          this.committers.get(topic)?.forget(partition);
        }
      }
    });
  }

  /** Everything of the partition before `nextOffset` is handled. */
  handled(topic: string, partition: number, nextOffset: bigint): void {
    const done = this.done.get(topic) ?? new Map<number, bigint>();
    done.set(partition, nextOffset);
    this.done.set(topic, done);
  }

  start(): void {
    this.timer = setInterval(() => void this.commit(), this.intervalMs);
  }

  /** Commits what was handled. Call it before the consumer stops: kafkajs refuses commits once it has stopped. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.commit();
  }

  private async commit(): Promise<void> {
    for (const [topic, done] of this.done) await this.committers.get(topic)?.commit(done);
  }
}
