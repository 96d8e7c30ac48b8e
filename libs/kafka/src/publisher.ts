import type { Kafka, Producer } from 'kafkajs';

/** A record to publish; headers carry markers that are not part of the value's schema. */
export interface PublishedMessage {
  readonly key: string;
  readonly value: Buffer | null;
  readonly headers?: Readonly<Record<string, string>>;
}

interface Pending {
  readonly topic: string;
  readonly messages: readonly PublishedMessage[];
  resolve(): void;
  reject(error: unknown): void;
}

const MAX_BATCH_MESSAGES = 2000;

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
      this.queue.push({ topic, messages, resolve, reject });
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.isSending) return;
    this.isSending = true;
    try {
      while (this.queue.length > 0) {
        const batch: Pending[] = [];
        let size = 0;
        while (
          this.queue.length > 0 &&
          (batch.length === 0 || size + (this.queue[0]?.messages.length ?? 0) <= MAX_BATCH_MESSAGES)
        ) {
          const next = this.queue.shift() as Pending;
          batch.push(next);
          size += next.messages.length;
        }
        const byTopic = new Map<string, PublishedMessage[]>();
        for (const pending of batch)
          byTopic.set(pending.topic, [...(byTopic.get(pending.topic) ?? []), ...pending.messages]);
        try {
          await this.producer.sendBatch({
            acks: -1,
            topicMessages: [...byTopic].map(([topic, messages]) => ({
              topic,
              messages: messages.map((m) => ({ ...m })),
            })),
          });
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
