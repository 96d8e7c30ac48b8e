import type { KafkaMessage } from 'kafkajs';

/** The longest pause between two tries of a failing slice: how late a partition resumes at most. */
const MAX_RETRY_BACKOFF_MS = 2000;

export interface PartitionBacklogOptions {
  /** Messages worked on at once, at most. */
  readonly sliceSize: number;
  /**
   * Makes a slice's effects durable; `nextOffset` is the partition's offset to resume from once they are, and
   * `takenAt` when the slice's newest message was taken from a fetch (so written before then). A rejection
   * keeps the slice at the head of the backlog, tried again.
   */
  work(slice: readonly KafkaMessage[], nextOffset: bigint, takenAt: number): Promise<void>;
  /** Told of a failed try, before the pause that follows it. */
  onFailure(error: unknown, backoffMs: number): void;
}

/**
 * One partition's messages taken from the fetch and not yet worked off, worked off in offset order, a slice
 * at a time. A message fetched again (the fetch restarts from the committed offset after a rebalance or a
 * consumer restart) is taken once.
 */
export class PartitionBacklog {
  private queued: { readonly message: KafkaMessage; readonly takenAt: number }[] = [];
  /** The offset after everything taken: where the next fetch of this partition starts. */
  private fetchedUpTo?: bigint;
  private working?: Promise<void>;
  private isAbandoned = false;
  private readonly shrinkWaiters = new Set<() => void>();

  constructor(private readonly options: PartitionBacklogOptions) {}

  get size(): number {
    return this.queued.length;
  }

  /**
   * Takes a fetched batch. `lastOffset` is the batch's last offset, which may be a transaction marker
   * past its last message: committing past it keeps the partition's lag at 0 once all is done. `takenAt`: when
   * it came from the fetch.
   */
  add(messages: readonly KafkaMessage[], lastOffset: bigint, takenAt: number): void {
    if (this.isAbandoned) return;
    const from = this.fetchedUpTo;
    for (const message of messages)
      if (from === undefined || BigInt(message.offset) >= from) this.queued.push({ message, takenAt });
    if (from === undefined || lastOffset + 1n > from) this.fetchedUpTo = lastOffset + 1n;
    this.workOffIfIdle();
  }

  /** Resolves once the backlog shrank (a slice was worked off), or after `timeoutMs`. */
  shrunk(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.shrinkWaiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, timeoutMs);
      this.shrinkWaiters.add(wake);
    });
  }

  /** Drops what is queued (the partition is someone else's now) and waits for the slice in work, if any. */
  async abandon(): Promise<void> {
    this.isAbandoned = true;
    this.queued = [];
    for (const wake of this.shrinkWaiters) wake();
    await this.working;
  }

  private workOffIfIdle(): void {
    if (this.working || this.isAbandoned || this.queued.length === 0) return;
    this.working = this.workOff().finally(() => {
      this.working = undefined;
      // Messages may have come between the last look at the queue and now.
      this.workOffIfIdle();
    });
  }

  private async workOff(): Promise<void> {
    let failures = 0;
    while (this.queued.length > 0 && !this.isAbandoned) {
      const slice = this.queued.slice(0, this.options.sliceSize);
      const last = slice[slice.length - 1] as (typeof slice)[number];
      const nextOffset =
        slice.length === this.queued.length ? (this.fetchedUpTo as bigint) : BigInt(last.message.offset) + 1n;
      try {
        await this.options.work(
          slice.map((entry) => entry.message),
          nextOffset,
          last.takenAt,
        );
      } catch (error) {
        const backoffMs = Math.min(MAX_RETRY_BACKOFF_MS, 100 * 2 ** failures++);
        this.options.onFailure(error, backoffMs);
        await new Promise((resolve) => setTimeout(resolve, backoffMs));
        continue;
      }
      failures = 0;
      // Abandoned meanwhile: the queue was emptied, and this slice is not at its head any more.
      if (!this.isAbandoned) this.queued.splice(0, slice.length);
      for (const wake of this.shrinkWaiters) wake();
    }
  }
}
