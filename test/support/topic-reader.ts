import { createSchemaRegistry } from '@hookstream/kafka';
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { stackEnv } from './stack';
import { waitFor } from './wait-for';

export interface ReadRecord<T> {
  readonly key: string | null;
  readonly value: T;
  readonly partition: number;
  readonly offset: string;
}

/**
 * Reads a topic from the beginning with a throwaway group, decoding Avro values, until `isDone` holds,
 * then a little longer so that a record too many would show.
 */
export async function readTopic<T>(
  topic: string,
  isDone: (records: ReadRecord<T>[]) => boolean,
  { readUncommitted = false, settleMs = 1500, timeoutMs = 60_000 } = {},
): Promise<ReadRecord<T>[]> {
  const kafka = new Kafka({ clientId: 'test-reader', brokers: stackEnv.kafkaBrokers, logLevel: logLevel.NOTHING });
  const registry = createSchemaRegistry(stackEnv.registryUrl);
  const groupId = `test-reader-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, readUncommitted, maxWaitTimeInMs: 100 });
  const records: ReadRecord<T>[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message, partition }) => {
        records.push({
          key: message.key?.toString() ?? null,
          value: (message.value ? await registry.decode(message.value) : null) as T,
          partition,
          offset: message.offset,
        });
      },
    });
    await waitFor(`records on ${topic}`, () => isDone(records), { timeoutMs });
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    return [...records];
  } finally {
    await consumer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}
