import type { Kafka, Producer } from 'kafkajs';
import { MAX_SEND_BYTES, recordBytes, sendChunks } from './send-chunks';

/** A record to publish; headers carry markers that are not part of the value's schema. */
export interface PublishedMessage {
  readonly key: string;
  readonly value: Buffer | null;
  readonly headers?: Readonly<Record<string, string>>;
}

interface Pending {
  readonly topic: string;
  readonly messages: readonly PublishedMessage[];
  readonly bytes: number;
  resolve(): void;
  reject(error: unknown): void;
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

  constructor(kafka: Kafka) {
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  async disconnect(): Promise<void> {
    while (this.isSending || this.queue.length > 0) await new Promise((resolve) => setTimeout(resolve, 10));
    await this.producer.disconnect();
  }

  publish(topic: string, messages: readonly PublishedMessage[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const bytes = messages.reduce((sum, message) => sum + recordBytes(message), 0);
      this.queue.push({ topic, messages, bytes, resolve, reject });
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.isSending) return;
    this.isSending = true;
    try {
      while (this.queue.length > 0) {
        const batch: Pending[] = [];
        let bytes = 0;
        while (this.queue.length > 0 && (batch.length === 0 || bytes + (this.queue[0]?.bytes ?? 0) <= MAX_SEND_BYTES)) {
          const next = this.queue.shift() as Pending;
          batch.push(next);
          bytes += next.bytes;
        }
        const records = batch.flatMap((pending) =>
          pending.messages.map((message) => ({ topic: pending.topic, message: { ...message } })),
        );
        try {
          // One request unless a single publish is larger than a request may be.
          for (const topicMessages of sendChunks(records)) await this.producer.sendBatch({ acks: -1, topicMessages });
          for (const pending of batch) pending.resolve();
        } catch (error) {
          for (const pending of batch) pending.reject(error);
        }
      }
    } finally {
      this.isSending = false;
    }
  }
}
