import type { Kafka } from 'kafkajs';
import pino from 'pino';
import { PartitionTransactions } from './partition-transactions';

/** A kafkajs client whose transactional producers write down, in order, what each transaction was asked. */
function recordingKafka(options: { failCommit?: boolean } = {}) {
  const calls: string[] = [];
  const producers: string[] = [];
  const kafka = {
    producer: ({ transactionalId }: { transactionalId: string }) => {
      producers.push(transactionalId);
      return {
        connect: async () => undefined,
        disconnect: async () => undefined,
        transaction: async () => ({
          sendOffsets: async ({ topics }: { topics: { topic: string; partitions: { offset: string }[] }[] }) => {
            calls.push(`offsets ${topics[0]?.topic}@${topics[0]?.partitions[0]?.offset}`);
          },
          sendBatch: async ({ topicMessages }: { topicMessages: { topic: string; messages: unknown[] }[] }) => {
            calls.push(`records ${topicMessages.map((entry) => `${entry.topic}×${entry.messages.length}`).join(' ')}`);
          },
          commit: async () => {
            calls.push('commit');
            if (options.failCommit) throw new Error('fenced');
          },
          abort: async () => {
            calls.push('abort');
          },
        }),
      };
    },
  } as unknown as Kafka;
  return { kafka, calls, producers };
}

const consumed = { topic: 'retry.1s', partition: 3, nextOffset: '42' };
const records = [
  { topic: 'dispatch', message: { key: 'ep_1', value: Buffer.from('a') } },
  { topic: 'dispatch', message: { key: 'ep_2', value: Buffer.from('b') } },
];

const transactionsOf = (kafka: Kafka) =>
  new PartitionTransactions(kafka, 'retry-scheduler', 'hookstream-retry', pino({ level: 'silent' }));

describe('PartitionTransactions', () => {
  it('adds the consumed offset before the records, so the records are open only until the commit', async () => {
    const { kafka, calls, producers } = recordingKafka();
    const transactions = transactionsOf(kafka);
    await transactions.commit(consumed, records);
    await transactions.commit({ ...consumed, nextOffset: '43' }, records.slice(0, 1));
    expect(calls).toEqual([
      'offsets retry.1s@42',
      'records dispatch×2',
      'commit',
      'offsets retry.1s@43',
      'records dispatch×1',
      'commit',
    ]);
    // One producer per consumed partition, kept from one transaction to the next.
    expect(producers).toEqual(['hookstream-retry-retry.1s-3']);
  });

  it('aborts a transaction that failed and replaces its producer, which kafkajs leaves unusable', async () => {
    const { kafka, calls, producers } = recordingKafka({ failCommit: true });
    const transactions = transactionsOf(kafka);
    await expect(transactions.commit(consumed, records)).rejects.toThrow('fenced');
    await expect(transactions.commit(consumed, records)).rejects.toThrow('fenced');
    expect(calls.filter((call) => call === 'abort')).toHaveLength(2);
    expect(producers).toHaveLength(2);
  });
});
