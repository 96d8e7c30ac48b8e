import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { restartedAfterAnyCrash } from './group-consumer';
import { type EndOffsets, TopicEndOffsets } from './topic-end-offsets';

interface EndsRequest {
  /** `performance.now()`: finer than a millisecond, so a request sent after a caller's `since` compares later. */
  readonly sentAt: number;
  readonly ends: Promise<EndOffsets>;
}

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
  private readonly topicEnds: TopicEndOffsets;
  /** The newest request for the topic's end offsets. */
  private latestEnds?: EndsRequest;
  private nextEnds?: Promise<EndOffsets>;

  constructor(private readonly options: CompactedFeedOptions) {
    this.groupId = `${options.name}-${randomUUID()}`;
    this.topicEnds = new TopicEndOffsets(options.kafka, options.admin, options.topic);
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
    await this.waitUntilCurrent({ timeoutMs: 120_000 });
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
    await this.topicEnds.close();
    // The group only ever existed for this process; nothing was committed under it.
    await this.options.admin.deleteGroups([this.groupId]).catch(() => undefined);
  }

  /**
   * The topic's end offsets, as of a request sent after `since`: the newest request when it was, on its way or
   * answered; else one sent once the callers of this turn of the event loop have asked (a fetch's batches are
   * taken in one turn), without waiting for requests on their way.
   */
  private endOffsets(since: number): Promise<EndOffsets> {
    const latest = this.latestEnds;
    if (latest && latest.sentAt > since) return latest.ends;
    this.nextEnds ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      this.nextEnds = undefined;
      return this.requestEnds().ends;
    });
    return this.nextEnds;
  }

  private requestEnds(): EndsRequest {
    const request: EndsRequest = {
      sentAt: performance.now(),
      ends: this.topicEnds.read(),
    };
    // A failed request is never reused.
    request.ends.catch(() => {
      if (this.latestEnds === request) this.latestEnds = undefined;
    });
    this.latestEnds = request;
    return request;
  }

  /**
   * Resolves once every record written before `since` (`performance.now()`; by default, this call) has been
   * applied. A caller that read something at `since` knows then that every change written before it is applied.
   */
  async waitUntilCurrent(options: { since?: number; timeoutMs?: number } = {}): Promise<void> {
    const { since = performance.now(), timeoutMs = 10_000 } = options;
    const ends = await this.endOffsets(since);
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
