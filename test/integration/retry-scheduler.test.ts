// The retry schedule held in time by the retry scheduler: delays on Kafka tier topics, exhaustion,
// and a scheduler killed while retries wait, which fires each of them once after its restart.
import { deliveryIdFor } from '@hookstream/delivery';
import { startDispatcher, startProducer, startRetryScheduler, type RunningApp } from '../support/app-process';
import { apiClient, samplePayin, type ApiCall } from '../support/api';
import { cleanUp } from '../support/clean-up';
import { type ReceivedWebhook, TestReceiver } from '../support/receiver';
import { uniqueName } from '../support/stack';
import { waitFor } from '../support/wait-for';

interface Delivery {
  status: string;
  attemptCount: number;
  attempts: { n: number; statusCode: number | null; at: string }[];
}

const prefix = uniqueName('it-retry');
const receiver = new TestReceiver();
const running = new Set<RunningApp>();
let api: ApiCall;
let key: string;
let receiverUrl: string;
let scheduler: RunningApp;

beforeAll(async () => {
  receiverUrl = await receiver.listen();
  const producer = await startProducer(prefix);
  running.add(producer.app);
  // No jitter: the gaps between attempts are the schedule's, to the tier.
  running.add(await startDispatcher(prefix, { RETRY_JITTER: '0' }));
  scheduler = await startRetryScheduler(prefix);
  running.add(scheduler);
  api = apiClient(producer.baseUrl);
  key = (
    await api<{ keys: { sandbox: string } }>('POST', '/v1/admin/tenants', {
      key: 'dev-admin-token',
      body: { name: 'retries' },
    })
  ).body.keys.sandbox;
});

afterAll(async () => {
  await Promise.all([...running].map((app) => app.stop()));
  await receiver.close();
  await cleanUp(prefix, api?.tenantIds);
});

async function endpoint(path: string, retrySchedule: string[]): Promise<string> {
  const created = await api<{ id: string }>('POST', '/v1/endpoints', {
    key,
    body: { url: `${receiverUrl}${path}`, eventTypes: ['payin.succeeded'], retrySchedule },
  });
  expect(created.status).toBe(201);
  return created.body.id;
}

async function publish(): Promise<string> {
  const published = await api<{ id: string }>('POST', '/v1/events', {
    key,
    body: { type: 'payin.succeeded', data: samplePayin() },
  });
  expect(published.status).toBe(202);
  return published.body.id;
}

/** Answers `status` to the first `failures` requests of each webhook-id on the path, then 200. */
function failFirst(path: string, failures: number, status = 500): void {
  const seen = new Map<string, number>();
  receiver.answer(path, (request, response) => {
    const id = String(request.headers['webhook-id']);
    const count = (seen.get(id) ?? 0) + 1;
    seen.set(id, count);
    response.writeHead(count <= failures ? status : 200).end();
  });
}

/** How many requests each webhook-id got. */
function requestsPerWebhook(requests: readonly ReceivedWebhook[]): number[] {
  const counts = new Map<string, number>();
  for (const request of requests) {
    const id = String(request.headers['webhook-id']);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return [...counts.values()];
}

const delivery = (id: string) => api<Delivery>('GET', `/v1/deliveries/${id}`, { key });

describe('retry scheduler', () => {
  it('holds the schedule: 1 s, 2 s, 4 s between attempts, then succeeded after 4 attempts', async () => {
    failFirst('/flaky', 3);
    const endpointId = await endpoint('/flaky', ['1s', '2s', '4s', '4s']);
    const deliveryId = deliveryIdFor(await publish(), endpointId);

    const done = await waitFor(
      'the delivery to succeed',
      async () => {
        const response = await delivery(deliveryId);
        return response.body.status === 'succeeded' ? response.body : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(done.attempts.map((attempt) => [attempt.n, attempt.statusCode])).toEqual([
      [1, 500],
      [2, 500],
      [3, 500],
      [4, 200],
    ]);
    const requests = receiver.on('/flaky').map((request) => request.receivedAt);
    expect(requests).toHaveLength(4);
    const gaps = requests.slice(1).map((at, index) => at - (requests[index] as number));
    [1000, 2000, 4000].forEach((expected, index) => {
      expect(gaps[index]).toBeGreaterThanOrEqual(expected - 50);
      expect(gaps[index]).toBeLessThan(expected + 1000);
    });
  });

  it('exhausts a delivery after the schedule: exactly 3 attempts with ["1s","1s"]', async () => {
    receiver.answer('/down', 500);
    const endpointId = await endpoint('/down', ['1s', '1s']);
    const deliveryId = deliveryIdFor(await publish(), endpointId);

    const exhausted = await waitFor(
      'the delivery to be exhausted',
      async () => {
        const response = await delivery(deliveryId);
        return response.body.status === 'exhausted' ? response.body : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(exhausted.attempts.map((attempt) => attempt.n)).toEqual([1, 2, 3]);
    // Each attempt was projected in a round of its own: the count carries the attempts before it.
    expect(exhausted.attemptCount).toBe(3);
    // Nothing more comes: the schedule is spent.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(receiver.on('/down')).toHaveLength(3);
  });

  it('fires every pending retry once after a scheduler killed mid-wait restarts, overdue ones at once', async () => {
    // Four endpoints, five events each: fewer failures in a row than open a circuit.
    const endpointIds = [];
    for (let n = 0; n < 4; n++) {
      failFirst(`/restart/${n}`, 1);
      endpointIds.push(await endpoint(`/restart/${n}`, ['5s']));
    }
    const eventIds = await Promise.all(Array.from({ length: 5 }, () => publish()));
    const requests = () => receiver.received.filter((request) => request.path.startsWith('/restart/'));
    await waitFor('every first attempt', () => requests().length >= 20, { timeoutMs: 30_000 });

    scheduler.process.kill('SIGKILL');
    await scheduler.exited();
    running.delete(scheduler);
    // Down past every due time.
    await new Promise((resolve) => setTimeout(resolve, 6000));
    expect(requests()).toHaveLength(20);
    const restartedAt = Date.now();
    scheduler = await startRetryScheduler(prefix);
    running.add(scheduler);

    await waitFor('every retry', () => requests().length >= 40, { timeoutMs: 30_000 });
    const retriedWithin =
      Math.max(
        ...receiver
          .on('/restart')
          .slice(20)
          .map((request) => request.receivedAt),
      ) - restartedAt;
    expect(retriedWithin).toBeLessThan(15_000);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(requestsPerWebhook(requests())).toEqual(Array.from({ length: 20 }, () => 2));
    for (const eventId of eventIds) {
      for (const endpointId of endpointIds) {
        const final = await waitFor('the delivery to succeed', async () => {
          const response = await delivery(deliveryIdFor(eventId, endpointId));
          return response.body.status === 'succeeded' ? response.body : undefined;
        });
        expect(final.attempts.map((attempt) => attempt.n)).toEqual([1, 2]);
      }
    }
  });

  it('fires every waiting retry once across a rebalance: a second scheduler joins, then leaves', async () => {
    const endpointIds = [];
    for (let n = 0; n < 4; n++) {
      failFirst(`/rebalance/${n}`, 1);
      endpointIds.push(await endpoint(`/rebalance/${n}`, ['5s']));
    }
    await Promise.all(Array.from({ length: 5 }, () => publish()));
    const requests = () => receiver.received.filter((request) => request.path.startsWith('/rebalance/'));
    await waitFor('every first attempt', () => requests().length >= 20, { timeoutMs: 30_000 });

    // Partitions move while their heads wait: timers are dropped and re-armed on both sides.
    const second = await startRetryScheduler(prefix);
    running.add(second);
    await waitFor('every retry', () => requests().length >= 40, { timeoutMs: 30_000 });
    await second.stop();
    running.delete(second);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(requestsPerWebhook(requests())).toEqual(Array.from({ length: 20 }, () => 2));
  });

  it('sends a manual retry at once, and the scheduled retry it overtook not again', async () => {
    failFirst('/manual', 1);
    const endpointId = await endpoint('/manual', ['5s']);
    const deliveryId = deliveryIdFor(await publish(), endpointId);
    await waitFor('the failed first attempt', async () => (await delivery(deliveryId)).body.status === 'failed');

    const retried = await api('POST', `/v1/deliveries/${deliveryId}/retry`, { key });
    expect(retried.status).toBe(202);
    const done = await waitFor('the manual retry to succeed', async () => {
      const response = await delivery(deliveryId);
      return response.body.status === 'succeeded' ? response.body : undefined;
    });
    expect(done.attempts.map((attempt) => [attempt.n, attempt.statusCode])).toEqual([
      [1, 500],
      [2, 200],
    ]);
    // The scheduled retry (also attempt 2) falls due ~5 s after the failure: it is not sent.
    await new Promise((resolve) => setTimeout(resolve, 6500));
    expect(receiver.on('/manual')).toHaveLength(2);
    expect((await delivery(deliveryId)).body.attempts).toHaveLength(2);
  });
});
