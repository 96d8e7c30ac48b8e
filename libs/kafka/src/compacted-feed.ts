import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { restartedAfterAnyCrash } from './group-consumer';

export interface CompactedFeedOptions {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly topic: string;
  readonly name: string;
  readonly logger: Logger;
  /** Applies one record (value null: a tombstone). */
  apply(key: string, message: KafkaMessage): Promise<void>;
}

/**
 * Reads a compacted topic from the beginning into memory, in every instance (a group of its own,
 * never committed), and can wait until it has read everything written so far: a reader that waits
 * sees every change acknowledged before it asked.
 */
export class CompactedFeed {
  private readonly consumer: Consumer;
  private readonly groupId: string;
  private readonly positions = new Map<number, bigint>();
  private readonly waiters = new Set<() => void>();
  private pendingEnds?: Promise<{ partition: number; high: string }[]>;
  private nextEnds?: Promise<{ partition: number; high: string }[]>;

  constructor(private readonly options: CompactedFeedOptions) {
    this.groupId = `${options.name}-${randomUUID()}`;
    this.consumer = restartedAfterAnyCrash(
      options.kafka.consumer({
        groupId: this.groupId,
        readUncommitted: false,
        maxWaitTimeInMs: 100,
      }),
    );
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        if (message.key) await this.options.apply(message.key.toString(), message);
        this.positions.set(partition, BigInt(message.offset) + 1n);
        for (const wake of this.waiters) wake();
      },
    });
    await this.waitUntilCurrent(120_000);
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
    // The group only ever existed for this process; nothing was committed under it.
    await this.options.admin.deleteGroups([this.groupId]).catch(() => undefined);
  }

  /**
   * The topic's end offsets, as of a request sent after this call: one already on its way may have left
   * before what the caller must see was written. Callers that arrive meanwhile share the next request.
   */
  private endOffsets(): Promise<{ partition: number; high: string }[]> {
    if (!this.pendingEnds) return (this.pendingEnds = this.fetchEnds());
    if (!this.nextEnds) {
      this.nextEnds = this.pendingEnds
        .catch(() => undefined)
        .then(() => {
          this.nextEnds = undefined;
          return (this.pendingEnds = this.fetchEnds());
        });
    }
    return this.nextEnds;
  }

  private fetchEnds(): Promise<{ partition: number; high: string }[]> {
    const request: Promise<{ partition: number; high: string }[]> = this.options.admin
      .fetchTopicOffsets(this.options.topic)
      .finally(() => {
        if (this.pendingEnds === request) this.pendingEnds = undefined;
      });
    return request;
  }

  /** Resolves once every record written before this call has been applied. */
  async waitUntilCurrent(timeoutMs = 10_000): Promise<void> {
    const ends = await this.endOffsets();
    const isCurrent = () =>
      ends.every((end) => BigInt(end.high) === 0n || (this.positions.get(end.partition) ?? 0n) >= BigInt(end.high));
    if (isCurrent()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`${this.options.name}: not caught up with ${this.options.topic} within ${timeoutMs} ms`));
      }, timeoutMs);
      const check = () => {
        if (!isCurrent()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
      check();
    });
  }
}
