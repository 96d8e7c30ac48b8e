// A consumer that stops cleanly commits what it handled: started again, it handles nothing twice. The fan-out
// (a consume → produce hop) and the dispatcher (many messages in flight) stop like this at every deploy.
import { ConcurrentConsumer, type ConcurrentConsumerOptions, PublishingConsumer, Publisher } from '@hookstream/kafka';
import { Kafka, logLevel } from 'kafkajs';
import pino from 'pino';
import { stackEnv, uniqueName } from '../support/stack';
import { waitFor } from '../support/wait-for';

const prefix = uniqueName('it-clean-stop');
const kafka = new Kafka({ clientId: prefix, brokers: stackEnv.kafkaBrokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const publisher = new Publisher(kafka);
const logger = pino({ enabled: false });
const topics: string[] = [];
const groups: string[] = [];
/** Longer than a test: only the commit made as a consumer stops can count. */
const NO_PERIODIC_COMMIT_MS = 600_000;

beforeAll(() => Promise.all([admin.connect(), publisher.connect()]));

afterAll(async () => {
  await admin.deleteGroups(groups).catch(() => undefined);
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await Promise.all([admin.disconnect(), publisher.disconnect()]);
});

/** A topic of one partition (read in order), and a group of the test's own. */
async function topicAndGroup(name: string): Promise<{ topic: string; groupId: string }> {
  const topic = `${prefix}.${name}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  topics.push(topic);
  groups.push(`${prefix}-${name}`);
  return { topic, groupId: `${prefix}-${name}` };
}

const records = (from: number, count: number) =>
  Array.from({ length: count }, (_, index) => ({
    key: `k${from + index}`,
    value: Buffer.from(`record ${from + index}`),
  }));

const committedOffset = async (groupId: string, topic: string) =>
  (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions[0]?.offset;

/** A dispatcher-like consumer of the topic that commits only as it stops. */
const concurrentConsumer = (
  { topic, groupId }: { topic: string; groupId: string },
  handle: ConcurrentConsumerOptions['handle'],
  parkedCount?: () => number,
) =>
  new ConcurrentConsumer({
    kafka,
    groupId,
    topic,
    logger,
    maxBuffered: 100,
    commitIntervalMs: NO_PERIODIC_COMMIT_MS,
    parkedCount,
    handle,
  });

it('the publishing consumer commits what it published as it stops, so that started again it publishes nothing twice', async () => {
  const { topic: source, groupId } = await topicAndGroup('source');
  const { topic: target } = await topicAndGroup('target');
  const published = async () => Number((await admin.fetchTopicOffsets(target))[0]?.high ?? 0);
  // Each source record is published again, unchanged, to the target topic.
  const hop = () =>
    new PublishingConsumer({
      kafka,
      groupId,
      topic: source,
      publisher,
      logger,
      commitIntervalMs: NO_PERIODIC_COMMIT_MS,
      handle: async (messages) =>
        messages.map((message) => ({ topic: target, message: { key: message.key, value: message.value } })),
    });

  await publisher.publish(source, records(0, 10));
  const first = hop();
  await first.start();
  await waitFor('the 10 records published', async () => (await published()) >= 10, { timeoutMs: 30_000 });
  await first.stop();
  expect(await committedOffset(groupId, source)).toBe('10');

  const second = hop();
  await second.start();
  try {
    await publisher.publish(source, records(10, 1));
    // Anything read again would be published before record 10.
    await waitFor('record 10 published', async () => (await published()) >= 11, { timeoutMs: 30_000 });
    expect(await published()).toBe(11);
  } finally {
    await second.stop();
  }
});

it('the concurrent consumer commits what it handled as it stops, so that started again it handles nothing twice', async () => {
  const { topic, groupId } = await topicAndGroup('dispatch');
  const consumer = (handled: string[]) =>
    concurrentConsumer({ topic, groupId }, async (message) => void handled.push(String(message.value)));

  await publisher.publish(topic, records(0, 10));
  const handledFirst: string[] = [];
  const first = consumer(handledFirst);
  await first.start();
  await waitFor('the 10 records handled', () => handledFirst.length >= 10, { timeoutMs: 30_000 });
  await first.stop(5_000);
  expect(await committedOffset(groupId, topic)).toBe('10');

  const handledSecond: string[] = [];
  const second = consumer(handledSecond);
  await second.start();
  try {
    await publisher.publish(topic, records(10, 1));
    await waitFor('record 10 handled', () => handledSecond.includes('record 10'), { timeoutMs: 30_000 });
    expect(handledSecond).toEqual(['record 10']);
  } finally {
    await second.stop(5_000);
  }
});

it('the concurrent consumer stops without waiting for a parked message, which is consumed again after it', async () => {
  const { topic, groupId } = await topicAndGroup('parked');
  let parked = 0;
  const consumer = (handled: string[], parksRecord5: boolean) =>
    concurrentConsumer(
      { topic, groupId },
      async (message) => {
        if (parksRecord5 && String(message.value) === 'record 5') {
          // As behind a circuit that stays open.
          parked++;
          return new Promise<void>(() => undefined);
        }
        handled.push(String(message.value));
      },
      () => parked,
    );

  await publisher.publish(topic, records(0, 10));
  const handledFirst: string[] = [];
  const first = consumer(handledFirst, true);
  await first.start();
  await waitFor('9 records handled, 1 parked', () => handledFirst.length >= 9 && parked === 1, { timeoutMs: 30_000 });
  // A deadline far longer than the test: a stop that waited for the parked record would time the test out.
  await first.stop(NO_PERIODIC_COMMIT_MS);
  expect(await committedOffset(groupId, topic)).toBe('5');

  const handledSecond: string[] = [];
  const second = consumer(handledSecond, false);
  await second.start();
  try {
    await waitFor('records 5 to 9 handled', () => handledSecond.length >= 5, { timeoutMs: 30_000 });
    expect([...handledSecond].sort()).toEqual(['record 5', 'record 6', 'record 7', 'record 8', 'record 9']);
  } finally {
    await second.stop(5_000);
  }
});
