import type { ConsumerConfig, Kafka } from 'kafkajs';
import pino from 'pino';
import { BatchConsumer } from './batch-consumer';

/** The configuration each consumer of a kafkajs client was created with. */
function configuringKafka(): { kafka: Kafka; configs: ConsumerConfig[] } {
  const configs: ConsumerConfig[] = [];
  const consumer = { on: () => undefined, events: { CRASH: 'consumer.crash' }, run: async () => undefined };
  const kafka = {
    consumer: (config: ConsumerConfig) => {
      configs.push(config);
      return { ...consumer, disconnect: async () => undefined, connect: async () => undefined };
    },
  } as unknown as Kafka;
  return { kafka, configs };
}

const common = {
  groupId: 'projector',
  topics: ['delivery-events'],
  logger: pino({ level: 'silent' }),
  handle: async () => undefined,
};

describe('BatchConsumer', () => {
  it('asks the broker to hold a fetch for the bytes or the wait it is given', () => {
    const { kafka, configs } = configuringKafka();
    new BatchConsumer({ kafka, ...common, fetchAtLeast: { bytes: 256 * 1024, waitMs: 25 } });
    expect(configs[0]).toMatchObject({ groupId: 'projector', minBytes: 256 * 1024, maxWaitTimeInMs: 25 });
  });

  it("keeps kafkajs's fetch, answered on the first record, when given none", () => {
    const { kafka, configs } = configuringKafka();
    new BatchConsumer({ kafka, ...common });
    expect(configs[0]?.minBytes).toBeUndefined();
    expect(configs[0]?.maxWaitTimeInMs).toBeUndefined();
  });
});
