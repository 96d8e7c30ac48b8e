/**
 * A minimal in-process queue: `enqueue` returns at once and a worker drains the events one by one.
 * It is the example's stand-in for a durable queue (a jobs table, SQS, BullMQ, …): events queued
 * here are lost if the process dies before processing them, so production needs a durable one.
 */
export class InProcessQueue<T> {
  private readonly pending: T[] = [];
  private isDraining = false;

  constructor(
    private readonly process: (item: T) => Promise<void>,
    private readonly onError: (item: T, error: unknown) => void,
  ) {}

  enqueue(item: T): void {
    this.pending.push(item);
    if (!this.isDraining) void this.drain();
  }

  get size(): number {
    return this.pending.length;
  }

  private async drain(): Promise<void> {
    this.isDraining = true;
    for (let item = this.pending.shift(); item !== undefined; item = this.pending.shift()) {
      try {
        await this.process(item);
      } catch (error) {
        this.onError(item, error);
      }
    }
    this.isDraining = false;
  }
}
