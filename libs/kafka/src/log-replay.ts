import { randomUUID } from 'node:crypto';
import type { Admin, Kafka, KafkaMessage } from 'kafkajs';

/** Offsets `[from, to)` of one partition; `to - 1` must be a record a consumer has seen (not a marker). */
export interface ReplayRange {
  readonly partition: number;
  readonly from: bigint;
  readonly to: bigint;
}

/**
 * Reads ranges of a topic's partitions once, in a group of its own that commits nothing and is deleted
 * afterwards, handing each batch's records inside the ranges to `apply` (in offset order per
 * partition). Resolves when every range has been applied.
 */
export async function replayLog(options: {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly topic: string;
  readonly name: string;
  readonly ranges: readonly ReplayRange[];
  apply(partition: number, messages: readonly KafkaMessage[]): Promise<void>;
  onProgress?(records: number): void;
}): Promise<void> {
  const pending = new Map(options.ranges.filter((range) => range.from < range.to).map((r) => [r.partition, r]));
  if (pending.size === 0) return;
  const groupId = `${options.name}-${randomUUID()}`;
  const consumer = options.kafka.consumer({ groupId, readUncommitted: false, maxWaitTimeInMs: 100 });
  let settle!: (error?: unknown) => void;
  const finished = new Promise<void>((resolve, reject) => {
    settle = (error) => (error === undefined ? resolve() : reject(error));
  });
  // A crash kafkajs does not restart from would otherwise leave the replay waiting for ever.
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) settle(payload.error);
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: options.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, heartbeat, isRunning }) => {
        const range = pending.get(batch.partition);
        if (!range || !isRunning()) return;
        const inRange = batch.messages.filter((m) => BigInt(m.offset) >= range.from && BigInt(m.offset) < range.to);
        try {
          if (inRange.length > 0) await options.apply(batch.partition, inRange);
        } catch (error) {
          settle(error);
          return;
        }
        options.onProgress?.(inRange.length);
        await heartbeat();
        if (BigInt(batch.lastOffset()) >= range.to - 1n) {
          pending.delete(batch.partition);
          if (pending.size === 0) settle();
        }
      },
    });
    // Records before `from` would be skipped anyway; seeking saves reading them.
    for (const range of pending.values())
      consumer.seek({ topic: options.topic, partition: range.partition, offset: range.from.toString() });
    await finished;
  } finally {
    await consumer.disconnect();
    await options.admin.deleteGroups([groupId]).catch(() => undefined);
  }
}
