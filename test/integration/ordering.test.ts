// Per-key ordering (endpoints with ordering "per-key"): each key's deliveries reach the endpoint in the
// order they were accepted, each only after the one before it ended; a failing key holds back no other
// key; an exhausted one is skipped, its gap told by a SequenceSkipped record on the delivery log.
import { topicNames, type SequenceSkipped } from '@hookstream/contracts';
import { deliveryIdFor } from '@hookstream/delivery';
import { createPool, migrate } from '@hookstream/postgres';
import type { ServerResponse } from 'node:http';
import pino from 'pino';
import { startDispatcher, startProducer, startRetryScheduler, type RunningApp } from '../support/app-process';
import { apiClient, samplePayin, type ApiCall } from '../support/api';
import { pruneOrderingState } from '../../apps/producer/src/sequencer/sequencer';
import { cleanUp } from '../support/clean-up';
import { createDatabase } from '../support/database';
import { deliveryStatusClient } from '../support/grpc-client';
import { type ReceivedWebhook, TestReceiver } from '../support/receiver';
import { uniqueName } from '../support/stack';
import { readTopic } from '../support/topic-reader';
import { waitFor } from '../support/wait-for';

interface OrderedBody {
  id: string;
  timestamp: string;
  orderingKey?: string;
  sequence?: number;
  data: { transactionId: string; amount: number };
}

const prefix = uniqueName('it-ordering');
const receiver = new TestReceiver();
const running: RunningApp[] = [];
let api: ApiCall;
let receiverUrl: string;
let grpcAddress: string;

const bodyOf = (webhook: ReceivedWebhook) => JSON.parse(webhook.body) as OrderedBody;
/** Every request to a path with how it was answered: the receiver's own record of what it accepted. */
const answered = new Map<ReceivedWebhook, number>();
const answer = (webhook: ReceivedWebhook, response: ServerResponse, status: number) => {
  answered.set(webhook, status);
  response.writeHead(status).end(status === 200 ? 'ok' : 'nope');
};
const accepted = (path: string) => receiver.on(path).filter((webhook) => answered.get(webhook) === 200);

async function tenantKey(name: string): Promise<string> {
  const tenant = await api<{ keys: { sandbox: string } }>('POST', '/v1/admin/tenants', {
    key: 'dev-admin-token',
    body: { name },
  });
  return tenant.body.keys.sandbox;
}

async function endpoint(key: string, path: string, options: Record<string, unknown>): Promise<string> {
  const created = await api<{ id: string }>('POST', '/v1/endpoints', {
    key,
    body: { url: `${receiverUrl}${path}`, eventTypes: ['payin.succeeded'], ...options },
  });
  expect(created.status).toBe(201);
  return created.body.id;
}

async function publish(key: string, transactionId: string, amount: number): Promise<string> {
  const response = await api<{ id: string }>('POST', '/v1/events', {
    key,
    body: { type: 'payin.succeeded', data: samplePayin({ transactionId, amount }) },
  });
  expect(response.status).toBe(202);
  return response.body.id;
}

/** Per key, the event ids in the order they were accepted. */
async function publishKeys(key: string, keys: number, perKey: number, name: (k: number) => string) {
  const accepted = new Map<string, string[]>();
  await Promise.all(
    Array.from({ length: keys }, async (_, k) => {
      const ids: string[] = [];
      for (let i = 1; i <= perKey; i++) ids.push(await publish(key, name(k), i));
      accepted.set(name(k), ids);
    }),
  );
  return accepted;
}

const p99 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.ceil(values.length * 0.99) - 1] ?? Infinity;

beforeAll(async () => {
  receiverUrl = await receiver.listen();
  const producer = await startProducer(prefix);
  api = apiClient(producer.baseUrl);
  grpcAddress = producer.grpcAddress;
  running.push(producer.app, await startDispatcher(prefix, { RETRY_JITTER: '0' }), await startRetryScheduler(prefix));
});

afterAll(async () => {
  await Promise.all(running.map((app) => app.stop()));
  await receiver.close();
  await cleanUp(prefix, api?.tenantIds);
});

describe('ordered delivery per key', () => {
  it('delivers 200 events over 20 keys in per-key order, gapless, through 30 % random failures', async () => {
    receiver.answer('/random', (webhook, response) => answer(webhook, response, Math.random() < 0.3 ? 500 : 200));
    const key = await tenantKey('ordering-random');
    const endpointId = await endpoint(key, '/random', { ordering: 'per-key', retrySchedule: Array(15).fill('1s') });
    const acceptedOrder = await publishKeys(key, 20, 10, (k) => `txn_random_${k}`);

    await waitFor('every event accepted by the receiver', () => accepted('/random').length >= 200, {
      timeoutMs: 120_000,
    });
    const requests = receiver.on('/random');
    for (const [transactionId, eventIds] of acceptedOrder) {
      const ofKey = requests.filter((webhook) => bodyOf(webhook).data.transactionId === transactionId);
      const successes = ofKey.filter((webhook) => answered.get(webhook) === 200).map(bodyOf);
      // Exactly once each, in the order accepted, numbered 1…10 without a gap.
      expect(successes.map((body) => body.id)).toEqual(eventIds);
      expect(successes.map((body) => body.sequence)).toEqual(eventIds.map((_, i) => i + 1));
      expect(new Set(successes.map((body) => body.orderingKey))).toEqual(new Set([transactionId]));
      // No request for a delivery before the one ahead of it in its key was accepted.
      let head = 1;
      for (const webhook of ofKey) {
        const { sequence } = bodyOf(webhook);
        expect([transactionId, sequence]).toEqual([transactionId, head]);
        if (answered.get(webhook) === 200) head++;
      }
      // A retry keeps its delivery's id and number.
      expect(
        ofKey.every((webhook) => webhook.headers['webhook-id'] === deliveryIdFor(bodyOf(webhook).id, endpointId)),
      ).toBe(true);
    }
    expect(requests.length).toBeGreaterThan(200);
  });

  it('skips an exhausted delivery, lets the next of its key go, and tells the gap on the delivery log', async () => {
    // Amount 13 is refused every time: its delivery is exhausted after its one retry.
    receiver.answer('/gaps', (webhook, response) =>
      answer(webhook, response, bodyOf(webhook).data.amount === 13 ? 500 : 200),
    );
    const key = await tenantKey('ordering-gaps');
    const endpointId = await endpoint(key, '/gaps', { ordering: 'per-key', retrySchedule: ['1s'] });
    const ids = [await publish(key, 'txn_gap', 1), await publish(key, 'txn_gap', 13), await publish(key, 'txn_gap', 3)];

    await waitFor('the delivery after the gap', () => accepted('/gaps').length >= 2, { timeoutMs: 60_000 });
    const bodies = receiver.on('/gaps').map(bodyOf);
    expect(bodies.map((body) => [body.data.amount, body.sequence])).toEqual([
      [1, 1],
      [13, 2],
      [13, 2],
      [3, 3],
    ]);
    const skipped = await readTopic<SequenceSkipped>(topicNames(prefix).deliveryEvents, (records) =>
      records.some((record) => record.value && 'skippedAt' in record.value),
    );
    expect(skipped.filter((record) => record.value && 'skippedAt' in record.value).map((r) => r.value)).toEqual([
      expect.objectContaining({
        deliveryId: deliveryIdFor(ids[1] ?? '', endpointId),
        orderingKey: 'txn_gap',
        sequence: 2,
        reason: 'exhausted',
      }),
    ]);
  });

  it('holds back only the failing key: the others arrive as fast as at an unordered endpoint', async () => {
    const failUntil = Date.now() + 10_000;
    receiver.answer('/isolated', (webhook, response) =>
      answer(
        webhook,
        response,
        bodyOf(webhook).data.transactionId === 'txn_stuck' && Date.now() < failUntil ? 500 : 200,
      ),
    );
    const key = await tenantKey('ordering-isolation');
    // The same events to an unordered endpoint: the yardstick, on this machine at this moment.
    await endpoint(key, '/control', {});
    const isolatedId = await endpoint(key, '/isolated', { ordering: 'per-key', retrySchedule: Array(20).fill('1s') });
    const stuck = [await publish(key, 'txn_stuck', 1), await publish(key, 'txn_stuck', 2)];
    // The second waits for the first, and its status says so, over REST and gRPC.
    const waitingId = deliveryIdFor(stuck[1] ?? '', isolatedId);
    const position = () =>
      api<{ ordering: unknown }>('GET', `/v1/deliveries/${waitingId}`, { key }).then((got) => got.body.ordering);
    await waitFor('the second delivery shown waiting', async () => (await position()) != null);
    expect(await position()).toEqual({ key: 'txn_stuck', sequence: 2, waiting: true });
    const grpc = deliveryStatusClient(grpcAddress, key);
    try {
      expect(await grpc.getDelivery(waitingId)).toMatchObject({ ordering: { key: 'txn_stuck', waiting: true } });
    } finally {
      grpc.close();
    }
    // Steady traffic on 19 other keys while the stuck key fails: 5 events each, about 12 a second.
    const others: string[] = [];
    for (let round = 0; round < 5; round++) {
      for (let k = 0; k < 19; k++) {
        others.push(await publish(key, `txn_flowing_${k}`, round + 1));
        await new Promise((resolve) => setTimeout(resolve, 80));
      }
    }
    await waitFor('the other keys at both endpoints', () => {
      const arrived = (path: string) => new Set(receiver.on(path).map((webhook) => bodyOf(webhook).id));
      const [ordered, control] = [arrived('/isolated'), arrived('/control')];
      return others.every((id) => ordered.has(id) && control.has(id));
    });
    const latency = (path: string) => {
      const byEvent = new Map<string, number>();
      for (const webhook of receiver.on(path)) {
        const body = bodyOf(webhook);
        if (body.data.transactionId !== 'txn_stuck' && !byEvent.has(body.id))
          byEvent.set(body.id, webhook.receivedAt - Date.parse(body.timestamp));
      }
      return [...byEvent.values()];
    };
    const delay = p99(latency('/isolated')) - p99(latency('/control'));
    expect(delay).toBeLessThan(1000);
    await waitFor(
      'the stuck key once its receiver recovers',
      () => accepted('/isolated').some((webhook) => bodyOf(webhook).id === stuck[1]),
      { timeoutMs: 60_000 },
    );
    const ofStuck = receiver.on('/isolated').filter((webhook) => bodyOf(webhook).data.transactionId === 'txn_stuck');
    // Its head failed for 10 s, its second delivery waiting meanwhile: sent only once the head got through.
    const headThrough = ofStuck.findIndex((webhook) => answered.get(webhook) === 200);
    expect(ofStuck.slice(0, headThrough).every((webhook) => bodyOf(webhook).id === stuck[0])).toBe(true);
    expect(headThrough).toBeGreaterThanOrEqual(2);
    expect(
      ofStuck.filter((webhook) => answered.get(webhook) === 200).map((webhook) => bodyOf(webhook).sequence),
    ).toEqual([1, 2]);
  });
});

describe('ordering state pruning', () => {
  it('forgets old numbers and idle keys, and keeps keys with deliveries still waiting', async () => {
    const database = await createDatabase('it-ordering-prune');
    const logger = pino({ level: 'silent' });
    const db = createPool(database.url, logger, 2);
    try {
      await migrate(db, logger);
      await db.query(
        `INSERT INTO ordering_numbered (delivery_id, endpoint_id, ordering_key, sequence, numbered_at)
         VALUES ('dlv_old', 'ep_1', 'k', 1, now() - interval '31 days'), ('dlv_new', 'ep_1', 'k', 2, now())`,
      );
      await db.query(
        `INSERT INTO ordering_keys (endpoint_id, ordering_key, last_sequence, finished_through, updated_at)
         VALUES ('ep_1', 'idle', 3, 3, now() - interval '31 days'),
                ('ep_1', 'waiting', 5, 3, now() - interval '31 days'),
                ('ep_1', 'recent', 2, 2, now())`,
      );
      expect(await pruneOrderingState(db)).toEqual({ numbered: 1, keys: 1 });
      const numbered = await db.query<{ delivery_id: string }>('SELECT delivery_id FROM ordering_numbered');
      expect(numbered.rows.map((row) => row.delivery_id)).toEqual(['dlv_new']);
      const keys = await db.query<{ ordering_key: string }>(
        'SELECT ordering_key FROM ordering_keys ORDER BY ordering_key',
      );
      expect(keys.rows.map((row) => row.ordering_key)).toEqual(['recent', 'waiting']);
    } finally {
      await db.end();
      await database.drop();
    }
  });
});
