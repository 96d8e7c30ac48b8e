import type { Admin, Kafka } from 'kafkajs';
import pino from 'pino';
import { CompactedFeed } from './compacted-feed';

/** A feed over an empty topic whose end-offset requests are counted and answered when the test says. */
function feedWithCountedRequests() {
  const requests: { resolve(): void; reject(error: Error): void }[] = [];
  const admin = {
    fetchTopicOffsets: () =>
      new Promise((resolve, reject) => {
        requests.push({ resolve: () => resolve([{ partition: 0, high: '0', low: '0', offset: '0' }]), reject });
      }),
  } as unknown as Admin;
  // The consumer is never started: these tests ask only for end offsets.
  const unused = async () => undefined;
  const consumer = { on: () => undefined, events: { CRASH: 'consumer.crash' }, run: unused, disconnect: unused };
  const kafka = { consumer: () => consumer } as unknown as Kafka;
  const feed = new CompactedFeed({
    kafka,
    admin,
    topic: 'endpoints',
    name: 'test-feed',
    logger: pino({ enabled: false }),
    apply: async () => undefined,
  });
  const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
  return { feed, requests, nextTurn };
}

describe('CompactedFeed.waitUntilCurrent', () => {
  it('asks once for the callers of one turn of the event loop, after they asked', async () => {
    const { feed, requests, nextTurn } = feedWithCountedRequests();
    const since = performance.now();
    const waits = [feed.waitUntilCurrent({ since }), feed.waitUntilCurrent({ since }), feed.waitUntilCurrent()];
    expect(requests).toHaveLength(0);
    await nextTurn();
    expect(requests).toHaveLength(1);
    requests[0]?.resolve();
    await Promise.all(waits);
  });

  it('reuses a request sent after what the caller read, and asks again for something read after it', async () => {
    const { feed, requests, nextTurn } = feedWithCountedRequests();
    const readBefore = performance.now();
    const first = feed.waitUntilCurrent({ since: readBefore });
    await nextTurn();
    requests[0]?.resolve();
    await first;
    // Read before the request was sent: its answer covers it, on its way or (here) answered.
    await feed.waitUntilCurrent({ since: readBefore });
    expect(requests).toHaveLength(1);
    // Read after it: a new request, even while none is on its way.
    const readAfter = feed.waitUntilCurrent({ since: performance.now() });
    await nextTurn();
    expect(requests).toHaveLength(2);
    requests[1]?.resolve();
    await readAfter;
  });

  it('never reuses a failed request', async () => {
    const { feed, requests, nextTurn } = feedWithCountedRequests();
    const since = performance.now();
    const failing = feed.waitUntilCurrent({ since });
    await nextTurn();
    requests[0]?.reject(new Error('broker away'));
    await expect(failing).rejects.toThrow('broker away');
    const again = feed.waitUntilCurrent({ since });
    await nextTurn();
    expect(requests).toHaveLength(2);
    requests[1]?.resolve();
    await again;
  });
});
