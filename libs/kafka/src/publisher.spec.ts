import type { Kafka } from 'kafkajs';
import { PublishTimeoutError } from './publish-timeout';
import { Publisher } from './publisher';
import { MAX_SEND_BYTES } from './send-chunks';

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

describe('Publisher with a request gap', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /** Lets the publisher's promises run, without moving the clock. */
  const settleMicrotasks = () => jest.advanceTimersByTimeAsync(0);

  /** A publisher whose first request (to topic `first`) went out at once and was acknowledged. */
  async function afterFirstRequest(options: { requestGapMs: number; timeoutMs?: number }) {
    const { kafka, sends } = stalledKafka();
    const publisher = new Publisher(kafka, options);
    const first = publisher.publish('first', [message]);
    await settleMicrotasks();
    expect(sends).toHaveLength(1);
    sends[0]?.settle();
    await first;
    return { publisher, sends };
  }

  it('sends after a quiet spell at once, and what comes within the gap in one request at its end', async () => {
    const { publisher, sends } = await afterFirstRequest({ requestGapMs: 10 });

    const grouped = [publisher.publish('second', [message]), publisher.publish('third', [message])];
    await jest.advanceTimersByTimeAsync(9);
    expect(sends).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(sends.map((send) => send.topics)).toEqual([['first'], ['second', 'third']]);
    sends[1]?.settle();
    await Promise.all(grouped);

    await jest.advanceTimersByTimeAsync(50);
    const afterQuiet = publisher.publish('fourth', [message]);
    await settleMicrotasks();
    expect(sends).toHaveLength(3);
    sends[2]?.settle();
    await afterQuiet;
  });

  it('sends nothing for a publish that timed out while it waited for the gap', async () => {
    const { publisher, sends } = await afterFirstRequest({ requestGapMs: 100, timeoutMs: 50 });
    const late = publisher.publish('late', [message]).catch((thrown: unknown) => thrown);
    await jest.advanceTimersByTimeAsync(50);
    expect(await late).toBeInstanceOf(PublishTimeoutError);
    await jest.advanceTimersByTimeAsync(100);
    expect(sends.map((send) => send.topics)).toEqual([['first']]);
  });

  it('sends a full request without waiting for the gap', async () => {
    const { publisher, sends } = await afterFirstRequest({ requestGapMs: 1000 });
    const full = publisher.publish('full', [{ key: 'k', value: Buffer.alloc(MAX_SEND_BYTES) }]);
    await settleMicrotasks();
    expect(sends.map((send) => send.topics)).toEqual([['first'], ['full']]);
    sends[1]?.settle();
    await full;
  });
});
