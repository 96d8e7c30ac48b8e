import type { Kafka, Producer } from 'kafkajs';

/** An idempotent producer that returns only once every in-sync replica has the record (acks = -1). */
export class Publisher {
  private readonly producer: Producer;

  constructor(kafka: Kafka) {
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }

  async publish(topic: string, messages: { key: string; value: Buffer | null }[]): Promise<void> {
    await this.producer.send({ topic, acks: -1, messages });
  }
}
