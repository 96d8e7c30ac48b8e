import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { groupConsumer } from './group-consumer';
import { PartitionTransactions } from './partition-transactions';
import type { OutgoingRecord } from './send-chunks';

export interface DelayedRecordsOptions {
  readonly kafka: Kafka;
  readonly groupId: string;
  /** Topics whose records fall due in offset order within a partition (fixed-delay tiers). */
  readonly topics: readonly string[];
  readonly transactionalIdPrefix: string;
  readonly logger: Logger;
  /** When a record falls due, in ms since the epoch. */
  dueAt(message: KafkaMessage): Promise<number>;
  /** The records a due record turns into; written with the consumed offset in one transaction. */
  fire(message: KafkaMessage, topic: string, partition: number): Promise<readonly OutgoingRecord[]>;
  /** Called once a fired record's transaction committed, with how late it fired. */
  onFired?(topic: string, latenessMs: number): void;
  readonly now?: () => number;
}

/**
 * Durable delays on Kafka. A partition's due records go out (with the consumed offset, in one Kafka
 * transaction); when its head is not due yet, the partition is paused and resumed by a timer exactly
 * when the head falls due: no polling, and a consumer that waits still heartbeats, so rebalances
 * work. Unresolved records are fetched again on resume (eachBatch without auto-resolve; eachMessage
 * would mark a record processed even when we pause on it). A rebalance drops every timer and resumes
 * every paused partition: each assigned partition's head is read and gated again.
 */
export class DelayedRecordsConsumer {
  private readonly consumer: Consumer;
  private readonly transactions: PartitionTransactions;
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; topic: string; partition: number }>();
  private readonly now: () => number;

  constructor(private readonly options: DelayedRecordsOptions) {
    // A short fetch wait: a resumed partition is fetched within ~100 ms, not after a 5 s long poll.
    this.consumer = groupConsumer(options.kafka, options.groupId, { maxWaitTimeInMs: 100 });
    this.transactions = new PartitionTransactions(
      options.kafka,
      options.groupId,
      options.transactionalIdPrefix,
      options.logger,
    );
    this.now = options.now ?? Date.now;
  }

  async start(): Promise<void> {
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => this.rearm());
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...this.options.topics], fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.processBatch(payload),
    });
  }

  async stop(): Promise<void> {
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await this.consumer.disconnect();
    await this.transactions.close();
  }

  /** Partitions waiting for their head to fall due (for metrics and tests). */
  get waitingPartitions(): number {
    return this.timers.size;
  }

  private async processBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (!isRunning() || isStale() || batch.messages.length === 0) return;
    const now = this.now();
    const due: { message: KafkaMessage; dueAt: number }[] = [];
    let headDueAt: number | undefined;
    for (const message of batch.messages) {
      const dueAt = await this.options.dueAt(message);
      if (dueAt > now) {
        headDueAt = dueAt;
        break;
      }
      due.push({ message, dueAt });
    }
    const lastDue = due[due.length - 1];
    if (lastDue) {
      const records = (
        await Promise.all(due.map(({ message }) => this.options.fire(message, batch.topic, batch.partition)))
      ).flat();
      // All due: past the batch's last offset, so transaction markers after it are not read again.
      const lastOffset = headDueAt === undefined ? batch.lastOffset() : lastDue.message.offset;
      await this.transactions.commit(
        { topic: batch.topic, partition: batch.partition, nextOffset: String(BigInt(lastOffset) + 1n) },
        records,
      );
      resolveOffset(lastOffset);
      const firedAt = this.now();
      for (const { dueAt } of due) this.options.onFired?.(batch.topic, Math.max(0, firedAt - dueAt));
    }
    if (headDueAt !== undefined) this.waitUntil(batch.topic, batch.partition, headDueAt);
    await heartbeat();
  }

  private waitUntil(topic: string, partition: number, dueAt: number): void {
    const key = `${topic}\u0000${partition}`;
    const waiting = this.timers.get(key);
    if (waiting) clearTimeout(waiting.timer);
    this.consumer.pause([{ topic, partitions: [partition] }]);
    const timer = setTimeout(
      () => {
        this.timers.delete(key);
        this.consumer.resume([{ topic, partitions: [partition] }]);
      },
      Math.min(Math.max(0, dueAt - this.now()), MAX_TIMER_MS),
    );
    this.timers.set(key, { timer, topic, partition });
  }

  /** After a rebalance, paused partitions stay paused in kafkajs but our timers may no longer apply. */
  private rearm(): void {
    for (const { timer, topic, partition } of this.timers.values()) {
      clearTimeout(timer);
      this.consumer.resume([{ topic, partitions: [partition] }]);
    }
    this.timers.clear();
  }
}

/** setTimeout's limit (about 24.8 days); a longer wait simply re-gates the head when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;
