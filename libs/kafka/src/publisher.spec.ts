import type { Kafka } from 'kafkajs';
import { PublishTimeoutError } from './publish-timeout';
import { Publisher } from './publisher';

/** A producer whose sends wait until the test settles them, one at a time. */
function stalledKafka() {
  const sends: { topics: string[]; settle(error?: Error): void }[] = [];
  const producer = {
    sendBatch: jest.fn(
      ({ topicMessages }: { topicMessages: { topic: string }[] }) =>
        new Promise<void>((resolve, reject) =>
          sends.push({
            topics: topicMessages.map((entry) => entry.topic),
            settle: (error) => (error ? reject(error) : resolve()),
          }),
        ),
    ),
  };
  return { kafka: { producer: () => producer } as unknown as Kafka, sends };
}

const message = { key: 'k', value: Buffer.from('v') };

describe('Publisher with a timeout', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('rejects a publish still queued at its timeout and never sends it', async () => {
    const { kafka, sends } = stalledKafka();
    const publisher = new Publisher(kafka, { timeoutMs: 1000 });
    const inFlight = publisher.publish('first', [message]);
    const queued = publisher.publish('second', [message]);
    inFlight.catch(() => undefined);
    jest.advanceTimersByTime(1000);
    const error = await queued.catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(PublishTimeoutError);
    expect((error as PublishTimeoutError).stillSending).toBeUndefined();
    sends[0]?.settle();
    await jest.runAllTimersAsync();
    expect(sends.map((send) => send.topics)).toEqual([['first']]);
  });

  it('rejects a publish in flight at its timeout, saying when its request lands', async () => {
    const { kafka, sends } = stalledKafka();
    const publisher = new Publisher(kafka, { timeoutMs: 1000 });
    const publish = publisher.publish('first', [message]).catch((thrown: unknown) => thrown);
    await Promise.resolve();
    jest.advanceTimersByTime(1000);
    const error = (await publish) as PublishTimeoutError;
    expect(error).toBeInstanceOf(PublishTimeoutError);
    let landed = false;
    void error.stillSending?.then(() => (landed = true));
    sends[0]?.settle();
    await jest.runAllTimersAsync();
    expect(landed).toBe(true);
  });

  it('resolves a publish acknowledged in time', async () => {
    const { kafka, sends } = stalledKafka();
    const publisher = new Publisher(kafka, { timeoutMs: 1000 });
    const publish = publisher.publish('first', [message]);
    await Promise.resolve();
    sends[0]?.settle();
    await expect(publish).resolves.toBeUndefined();
  });
});
