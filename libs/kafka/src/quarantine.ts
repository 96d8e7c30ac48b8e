import type { Kafka, KafkaMessage, Producer } from 'kafkajs';
import { keyHashPartitioner } from './key-hash-partitioner';
import type { OutgoingRecord } from './send-chunks';

/** Where a quarantined record was consumed: its partition, and the consumer group that set it aside. */
export interface QuarantineSource {
  readonly partition?: number;
  readonly group?: string;
}

/** A record we cannot read, set aside as it came (bytes and key) with why and where from: nothing is lost. */
export function quarantineRecord(
  quarantineTopic: string,
  sourceTopic: string,
  message: KafkaMessage,
  reason: string,
  source: QuarantineSource = {},
): OutgoingRecord {
  const headers: Record<string, string> = {
    'hookstream-reason': reason,
    'hookstream-source-topic': sourceTopic,
    'hookstream-source-offset': message.offset,
  };
  if (source.partition !== undefined) headers['hookstream-source-partition'] = String(source.partition);
  if (source.group !== undefined) headers['hookstream-consumer-group'] = source.group;
  return {
    topic: quarantineTopic,
    message: { key: message.key ?? null, value: message.value ?? null, headers },
  };
}

/**
 * Writes quarantine records for consumers that commit their offsets without a Kafka transaction: the
 * record is acknowledged (acks = -1) before the caller moves on, so at worst a crash quarantines it twice.
 * Its producer connects on first use: most processes never quarantine anything.
 */
export class QuarantineWriter {
  private producer?: Promise<Producer>;
  private previous: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly kafka: Kafka,
    readonly topic: string,
  ) {}

  /** Resolves once the record is acknowledged; puts are sent one after another (an idempotent producer, one request in flight). */
  put(sourceTopic: string, message: KafkaMessage, reason: string, source: QuarantineSource = {}): Promise<void> {
    const record = quarantineRecord(this.topic, sourceTopic, message, reason, source);
    const sent = this.previous.then(async () => {
      const producer = await this.connected();
      await producer.send({ topic: record.topic, acks: -1, messages: [record.message] });
    });
    this.previous = sent.catch(() => undefined);
    return sent;
  }

  async disconnect(): Promise<void> {
    await this.previous;
    const producer = this.producer;
    this.producer = undefined;
    if (producer) await (await producer.catch(() => undefined))?.disconnect();
  }

  private connected(): Promise<Producer> {
    if (!this.producer) {
      const producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        createPartitioner: keyHashPartitioner,
      });
      this.producer = producer.connect().then(() => producer);
      this.producer.catch(() => (this.producer = undefined));
    }
    return this.producer;
  }
}
