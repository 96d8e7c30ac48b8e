// A consumer kafkajs gives up on (a crash after a non-retriable error, such as no group coordinator
// while a broker starts) is started again by groupConsumer, with its handlers, instead of staying dead.
import { groupConsumer } from '@hookstream/kafka';
import { Kafka, KafkaJSNonRetriableError, logLevel } from 'kafkajs';
import { cleanUp } from '../support/clean-up';
import { stackEnv, uniqueName } from '../support/stack';
import { waitFor } from '../support/wait-for';

const prefix = uniqueName('it-group-consumer');
const topic = `${prefix}.records`;
const kafka = new Kafka({ clientId: prefix, brokers: stackEnv.kafkaBrokers, logLevel: logLevel.NOTHING });

afterAll(() => cleanUp(prefix, []));

it('runs again after a crash kafkajs would not restart from, and reads what it had not committed', async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: [{ value: 'first' }, { value: 'second' }] });

  const consumer = groupConsumer(kafka, `${prefix}-group`);
  const crashes: boolean[] = [];
  consumer.on(consumer.events.CRASH, ({ payload }) => crashes.push(payload.restart));
  const seen: string[] = [];
  let hasFailed = false;
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (!hasFailed) {
          hasFailed = true;
          throw new KafkaJSNonRetriableError('a failure kafkajs does not restart from');
        }
        seen.push(String(message.value));
      },
    });
    await waitFor('both records, after the restart', () => seen.length >= 2, { timeoutMs: 30_000 });
    expect(crashes).toEqual([false]);
    expect(seen).toEqual(['first', 'second']);
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
    await admin.disconnect();
  }
});
