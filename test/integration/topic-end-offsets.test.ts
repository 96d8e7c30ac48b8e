// A topic's end offsets in one request: the fan-out asks for the endpoints topic's before every slice of events.
// They must be what a consumer of committed records reads up to, as kafkajs's admin says, in one round trip.
import { TopicEndOffsets } from '@hookstream/kafka';
import { Kafka, logLevel } from 'kafkajs';
import { stackEnv, uniqueName } from '../support/stack';
import { waitFor } from '../support/wait-for';

const prefix = uniqueName('it-end-offsets');
const topic = `${prefix}.endpoints`;
const kafka = new Kafka({ clientId: prefix, brokers: stackEnv.kafkaBrokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const producer = kafka.producer();
const transactional = kafka.producer({ transactionalId: `${prefix}-tx`, idempotent: true, maxInFlightRequests: 1 });
/** The admin, counting the calls that reach it: the reader asks the admin only when its own request failed. */
let adminCalls = 0;
const countingAdmin = new Proxy(admin, {
  get: (target, property, receiver) =>
    property === 'fetchTopicOffsets'
      ? (...args: Parameters<typeof admin.fetchTopicOffsets>) => {
          adminCalls++;
          return target.fetchTopicOffsets(...args);
        }
      : Reflect.get(target, property, receiver),
});
const ends = new TopicEndOffsets(kafka, countingAdmin, topic);

beforeAll(async () => {
  await Promise.all([admin.connect(), producer.connect(), transactional.connect()]);
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
});

afterAll(async () => {
  await ends.close();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await Promise.all([admin.disconnect(), producer.disconnect(), transactional.disconnect()]);
});

const send = (partition: number, count: number) =>
  producer.send({
    topic,
    messages: Array.from({ length: count }, (_, index) => ({ partition, key: `k${index}`, value: 'v' })),
  });

const byPartition = (offsets: { partition: number; high: string }[]) =>
  Object.fromEntries(offsets.map(({ partition, high }) => [partition, high]));

it('reads each partition’s end offset, as the admin does, with kafkajs’s cluster rather than the admin', async () => {
  expect(byPartition(await ends.read())).toEqual({ 0: '0', 1: '0', 2: '0' });
  await send(0, 2);
  await send(2, 5);
  expect(byPartition(await ends.read())).toEqual({ 0: '2', 1: '0', 2: '5' });
  expect(byPartition(await ends.read())).toEqual(byPartition(await admin.fetchTopicOffsets(topic)));
  expect(adminCalls).toBe(0);
});

it('stops at an open transaction’s records, as a consumer of committed records does', async () => {
  const transaction = await transactional.transaction();
  await transaction.send({ topic, messages: [{ partition: 1, key: 'k', value: 'uncommitted' }] });
  expect(byPartition(await ends.read())[1]).toBe('0');
  await transaction.commit();
  // The record and the commit marker after it, once the coordinator has written the marker.
  await waitFor('the committed records', async () => byPartition(await ends.read())[1] === '2' || undefined);
  expect(byPartition(await admin.fetchTopicOffsets(topic))[1]).toBe('2');
  expect(adminCalls).toBe(0);
});
