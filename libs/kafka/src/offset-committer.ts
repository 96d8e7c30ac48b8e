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
