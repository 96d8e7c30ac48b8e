import type { Kafka, Producer } from 'kafkajs';
import { keyHashPartitioner } from './key-hash-partitioner';
import { PublishTimeoutError } from './publish-timeout';
import { MAX_SEND_BYTES, type OutgoingRecord, recordBytes, sendChunks } from './send-chunks';

/** A record to publish; headers carry markers that are not part of the value's schema. */
export interface PublishedMessage {
  readonly key: string;
  readonly value: Buffer | null;
  readonly headers?: Readonly<Record<string, string>>;
}

interface Pending {
  readonly records: readonly OutgoingRecord[];
  readonly bytes: number;
  /** The request carrying these records, once one is sent. */
  sending?: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

export interface PublisherOptions {
  /**
   * A publish not acknowledged within this rejects with `PublishTimeoutError` (undefined: it waits as long
   * as kafkajs retries, which is minutes while the broker is down). Records still queued then are dropped.
   */
  readonly timeoutMs?: number;
  /**
   * The least time between two produce requests (0 by default: none). While records keep coming, each request
   * then carries all that arrived since the one before, as Kafka's `linger.ms` batches them; after a quiet spell
   * the first goes out at once. Every request costs both ends a round of syscalls and wake-ups, which at a few
   * hundred records a second is most of the CPU a record costs. A full request never waits.
   */
  readonly requestGapMs?: number;
}

/**
 * An idempotent producer that returns only once every in-sync replica has the records (acks = -1).
 * Idempotence allows one request in flight, so publishes that arrive while one is in flight are
 * grouped into the next request: many concurrent callers share one round trip instead of queueing.
 */
export class Publisher {
  private readonly producer: Producer;
  private queue: Pending[] = [];
  private isSending = false;
  private lastRequestAt = -Infinity;

  constructor(
    kafka: Kafka,
    private readonly options: PublisherOptions = {},
  ) {
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: keyHashPartitioner });
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  async disconnect(): Promise<void> {
    while (this.isSending || this.queue.length > 0) await new Promise((resolve) => setTimeout(resolve, 10));
    await this.producer.disconnect();
  }

  publish(topic: string, messages: readonly PublishedMessage[]): Promise<void> {
    return this.publishRecords(messages.map((message) => ({ topic, message: { ...message } })));
  }

  /** Records for any topics, acknowledged together. */
  publishRecords(records: readonly OutgoingRecord[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const bytes = records.reduce((sum, record) => sum + recordBytes(record.message), 0);
      const { timeoutMs } = this.options;
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => this.expire(pending, timeoutMs), timeoutMs);
      const pending: Pending = {
        records,
        bytes,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.queue.push(pending);
      void this.drain();
    });
  }

  /** Out of time: dropped if still queued, so that it is never sent; otherwise its request's outcome is open. */
  private expire(pending: Pending, timeoutMs: number): void {
    const queued = this.queue.indexOf(pending);
    if (queued >= 0) this.queue.splice(queued, 1);
    pending.reject(new PublishTimeoutError(timeoutMs, queued >= 0 ? undefined : pending.sending));
  }

  private async drain(): Promise<void> {
    if (this.isSending) return;
    this.isSending = true;
    try {
      while (this.queue.length > 0) {
        const gapLeft = this.requestGapLeft();
        if (gapLeft > 0) {
          await new Promise((resolve) => setTimeout(resolve, gapLeft));
          // What waited may have timed out meanwhile: the queue is looked at again.
          continue;
        }
        const batch: Pending[] = [];
        let bytes = 0;
        while (this.queue.length > 0 && (batch.length === 0 || bytes + (this.queue[0]?.bytes ?? 0) <= MAX_SEND_BYTES)) {
          const next = this.queue.shift() as Pending;
          batch.push(next);
          bytes += next.bytes;
        }
        this.lastRequestAt = performance.now();
        const records = batch.flatMap((pending) => pending.records);
        // One request unless a single publish is larger than a request may be.
        const sending = (async () => {
          for (const topicMessages of sendChunks(records)) await this.producer.sendBatch({ acks: -1, topicMessages });
        })();
        // Handled here; a caller that timed out may also wait on it (PublishTimeoutError.stillSending).
        sending.catch(() => undefined);
        for (const pending of batch) pending.sending = sending;
        try {
          await sending;
          for (const pending of batch) pending.resolve();
        } catch (error) {
          for (const pending of batch) pending.reject(error);
        }
      }
    } finally {
      this.isSending = false;
    }
  }

  /** Milliseconds until the gap since the last request is over; 0 also when a full request is queued already. */
  private requestGapLeft(): number {
    const left = this.lastRequestAt + (this.options.requestGapMs ?? 0) - performance.now();
    if (left <= 0) return 0;
    let queuedBytes = 0;
    for (const pending of this.queue) queuedBytes += pending.bytes;
    return queuedBytes >= MAX_SEND_BYTES ? 0 : left;
  }
}
