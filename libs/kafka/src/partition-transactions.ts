import type { Kafka, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { keyHashPartitioner } from './key-hash-partitioner';
import { type OutgoingRecord, sendChunks } from './send-chunks';

/**
 * A partition's next transaction often begins while the coordinator is still completing the last one, and
 * is answered CONCURRENT_TRANSACTIONS until it is done, a few milliseconds later. kafkajs retries that as
 * any error, after 100 ms and more: measured on one transactional hop at 500 records/s, p99 403 ms against
 * 119 ms when retrying from 20 ms, as the Java client does for this case. The total patience for a broker
 * that is really away stays about the same (some 20 s).
 */
const TRANSACTION_RETRY = { initialRetryTime: 20, retries: 10 };

/**
 * Consume → produce with exactly-once effects: records and the consumed offset committed in one Kafka
 * transaction. kafkajs allows one open transaction per producer and has no KIP-447 fencing, so each
 * consumed partition gets its own transactional producer (a stable id, so a restarted instance fences
 * its predecessor's open transaction); one that failed to commit (or was fenced) is replaced, because
 * kafkajs leaves it unusable.
 */
export class PartitionTransactions {
  private readonly producers = new Map<string, Promise<Producer>>();

  constructor(
    private readonly kafka: Kafka,
    private readonly groupId: string,
    private readonly transactionalIdPrefix: string,
    private readonly logger: Logger,
  ) {}

  /** Writes `records` and commits `nextOffset` for the consumed partition, atomically; throws if it could not. */
  async commit(
    consumed: { topic: string; partition: number; nextOffset: string },
    records: readonly OutgoingRecord[],
    beforeCommit?: () => void,
  ): Promise<void> {
    const key = `${consumed.topic}-${consumed.partition}`;
    const producer = await this.producerFor(key);
    const transaction = await producer.transaction();
    try {
      // The offset first, the records last: from a record's append to the commit marker, read-committed
      // consumers read nothing further of its partition, other writers' records included (a dead endpoint's
      // retries would hold up the healthy endpoints beside it). Offsets added last kept that window two round
      // trips longer.
      await transaction.sendOffsets({
        consumerGroupId: this.groupId,
        topics: [
          { topic: consumed.topic, partitions: [{ partition: consumed.partition, offset: consumed.nextOffset }] },
        ],
      });
      for (const topicMessages of sendChunks(records)) await transaction.sendBatch({ topicMessages, acks: -1 });
      beforeCommit?.();
      await transaction.commit();
    } catch (error) {
      this.logger.warn({ err: error, ...consumed }, 'transaction failed; the batch will be consumed again');
      await transaction.abort().catch(() => undefined);
      const failed = this.producers.get(key);
      this.producers.delete(key);
      await failed?.then((p) => p.disconnect()).catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    const producers = await Promise.allSettled(this.producers.values());
    this.producers.clear();
    for (const result of producers) if (result.status === 'fulfilled') await result.value.disconnect();
  }

  private producerFor(key: string): Promise<Producer> {
    let producer = this.producers.get(key);
    if (!producer) {
      const created = this.kafka.producer({
        transactionalId: `${this.transactionalIdPrefix}-${key}`,
        idempotent: true,
        maxInFlightRequests: 1,
        retry: TRANSACTION_RETRY,
        createPartitioner: keyHashPartitioner,
      });
      producer = created.connect().then(() => created);
      this.producers.set(key, producer);
    }
    return producer;
  }
}
