import { createRequire } from 'node:module';
import { fixKafkajsRequestQueue } from './kafkajs-request-queue-fix';

interface Queue {
  push(request: { entry: Entry; expectResponse: boolean; sendRequest(): void }): void;
  fulfillRequest(response: { correlationId: number; payload: Buffer; size: number }): void;
  maybeThrottle(milliseconds: number): void;
  destroy(): void;
}
interface Entry {
  correlationId: number;
  apiKey: number;
  apiName: string;
  apiVersion: number;
  resolve(): void;
  reject(error: unknown): void;
}

const RequestQueue = createRequire(__filename)('kafkajs/src/network/requestQueue') as new (options: object) => Queue;

/** A queue of one connection, as kafkajs builds it, recording which requests went out on the socket. */
function connectionQueue(maxInFlightRequests: number | null = null) {
  const queue = new RequestQueue({
    maxInFlightRequests,
    requestTimeout: 30_000,
    enforceRequestTimeout: false,
    clientId: 'test',
    broker: 'localhost:9092',
    logger: { debug: () => undefined, warn: () => undefined },
  });
  const sent: number[] = [];
  const send = (correlationId: number) =>
    queue.push({
      entry: {
        correlationId,
        apiKey: 0,
        apiName: 'Produce',
        apiVersion: 3,
        resolve: () => undefined,
        reject: () => undefined,
      },
      expectResponse: true,
      sendRequest: () => sent.push(correlationId),
    });
  const answer = (correlationId: number) => queue.fulfillRequest({ correlationId, payload: Buffer.alloc(0), size: 0 });
  return { queue, sent, send, answer };
}

describe('fixKafkajsRequestQueue', () => {
  beforeAll(() => expect(fixKafkajsRequestQueue()).toBe(true));
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('applies to the installed kafkajs (an upgrade must look again at whether it still needs it)', () => {
    expect(fixKafkajsRequestQueue()).toBe(true);
  });

  it('leaves no timer behind once every request is answered', () => {
    const { sent, send, answer } = connectionQueue();
    send(1);
    answer(1);
    expect(sent).toEqual([1]);
    // Unfixed, a check is scheduled here and reschedules itself every millisecond for ever.
    expect(jest.getTimerCount()).toBe(0);
  });

  it('sends a request held by the in-flight limit when the one in flight is answered', () => {
    const { sent, send, answer } = connectionQueue(1);
    send(1);
    send(2);
    expect(sent).toEqual([1]);
    answer(1);
    expect(sent).toEqual([1, 2]);
    answer(2);
    // The check scheduled while 2 waited runs once, finds nothing waiting, and schedules no other.
    jest.advanceTimersByTime(10);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('sends a request held by a throttle when the throttle ends, with nothing else to wake it', () => {
    const { queue, sent, send } = connectionQueue();
    queue.maybeThrottle(50);
    send(1);
    jest.advanceTimersByTime(49);
    expect(sent).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(sent).toEqual([1]);
    expect(jest.getTimerCount()).toBe(0);
  });
});
