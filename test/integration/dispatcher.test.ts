// The dispatcher against a local receiver: Standard Webhooks signatures a merchant's library accepts,
// stable webhook-ids, no head-of-line blocking behind a dead endpoint, the circuit breaker, and no
// delivery lost to a kill -9.
import {
  topicNames,
  type AttemptSucceeded,
  type CircuitClosed,
  type CircuitOpened,
  type DeliveryExhausted,
  type EndpointDisabled,
} from '@hookstream/contracts';
import { deliveryIdFor } from '@hookstream/delivery';
import { Webhook } from 'standardwebhooks';
import { startDispatcher, startProducer, type RunningApp } from '../support/app-process';
import { apiClient, samplePayin, type ApiCall } from '../support/api';
import { TestReceiver } from '../support/receiver';
import { cleanUp } from '../support/clean-up';
import { uniqueName } from '../support/stack';
import { readTopic } from '../support/topic-reader';
import { waitFor } from '../support/wait-for';

// One partition for everything: a dead endpoint and a healthy one share it.
const prefix = uniqueName('it-dispatch');
const topics = topicNames(prefix);
const env = { KAFKA_TOPIC_PARTITIONS: '1', CIRCUIT_PROBE_INTERVAL_MS: '1000' };
const receiver = new TestReceiver();
const running: RunningApp[] = [];
let dispatcher: RunningApp;
let api: ApiCall;
let receiverUrl: string;

async function tenantKey(name: string): Promise<string> {
  const tenant = await api<{ keys: { sandbox: string } }>('POST', '/v1/admin/tenants', {
    key: 'dev-admin-token',
    body: { name },
  });
  return tenant.body.keys.sandbox;
}

async function endpoint(key: string, path: string, extra: Record<string, unknown> = {}) {
  const response = await api<{ id: string; secret: string }>('POST', '/v1/endpoints', {
    key,
    body: { url: `${receiverUrl}${path}`, eventTypes: ['*'], ...extra },
  });
  expect(response.status).toBe(201);
  return response.body;
}

async function publish(key: string, count: number, transactionPrefix = 'txn'): Promise<string[]> {
  const ids: string[] = [];
  for (let n = 0; n < count; n++) {
    const response = await api<{ id: string }>('POST', '/v1/events', {
      key,
      body: { type: 'payin.succeeded', data: samplePayin({ transactionId: `${transactionPrefix}_${n}` }) },
    });
    expect(response.status).toBe(202);
    ids.push(response.body.id);
  }
  return ids;
}

beforeAll(async () => {
  receiverUrl = await receiver.listen();
  const producer = await startProducer(prefix, env);
  running.push(producer.app);
  api = apiClient(producer.baseUrl);
  dispatcher = await startDispatcher(prefix, env);
  running.push(dispatcher);
});

afterAll(async () => {
  await Promise.all(running.map((app) => app.stop()));
  await receiver.close();
  await cleanUp(prefix, api?.tenantIds);
});

describe('signed delivery', () => {
  it('delivers a body and headers that the standardwebhooks library verifies', async () => {
    const key = await tenantKey('signed');
    const target = await endpoint(key, '/signed');
    const [eventId] = await publish(key, 1);
    const [webhook] = await waitFor('the webhook', () =>
      receiver.on('/signed').length > 0 ? receiver.on('/signed') : undefined,
    );
    if (!webhook || !eventId) throw new Error('no webhook');

    const payload = new Webhook(target.secret).verify(webhook.body, webhook.headers as Record<string, string>);
    expect(payload).toEqual({
      id: eventId,
      type: 'payin.succeeded',
      timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      formatVersion: 2,
      // Every field of the endpoint's version, defaults included.
      data: {
        ...samplePayin({ transactionId: 'txn_0', occurredAt: '2026-11-28T12:00:00.000Z' }),
        fees: 0,
        settlementId: null,
      },
    });
    expect(webhook.headers['webhook-id']).toBe(deliveryIdFor(eventId, target.id));
    expect(Math.abs(Number(webhook.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(30);
    expect(webhook.headers['user-agent']).toMatch(/^hookstream\/\d+\.\d+\.\d+$/);
    expect(webhook.headers['content-type']).toBe('application/json');

    const attempts = await readTopic<AttemptSucceeded>(topics.deliveryEvents, (records) =>
      records.some(
        (record) => record.value.deliveryId === webhook.headers['webhook-id'] && 'signedContentSha256' in record.value,
      ),
    );
    const ledger = attempts.find(
      (record) => record.value.deliveryId === webhook.headers['webhook-id'] && 'signedContentSha256' in record.value,
    );
    expect(ledger?.value).toMatchObject({
      attempt: 1,
      statusCode: 200,
      resolvedIp: '127.0.0.1',
      responseBody: 'ok',
      url: `${receiverUrl}/signed`,
      secretFingerprints: [expect.stringMatching(/^[0-9a-f]{12}$/)],
    });
  });

  it('signs with both secrets during a rotation', async () => {
    const key = await tenantKey('rotation');
    const target = await endpoint(key, '/rotated');
    const rotated = await api<{ secret: string }>('POST', `/v1/endpoints/${target.id}/rotate-secret`, { key });
    await publish(key, 1);
    const [webhook] = await waitFor('the webhook', () =>
      receiver.on('/rotated').length > 0 ? receiver.on('/rotated') : undefined,
    );
    if (!webhook) throw new Error('no webhook');
    expect(String(webhook.headers['webhook-signature']).split(' ')).toHaveLength(2);
    for (const secret of [target.secret, rotated.body.secret]) {
      expect(() => new Webhook(secret).verify(webhook.body, webhook.headers as Record<string, string>)).not.toThrow();
    }
  });
});

describe('no head-of-line blocking', () => {
  // The dead merchant is a server of its own, as on the internet: requests to one origin share its
  // connections, so a dead path on the healthy one's server would hold them (that server's own slowness,
  // not head-of-line blocking in the dispatcher).
  const deadReceiver = new TestReceiver();
  afterAll(() => deadReceiver.close());

  it('keeps a healthy endpoint fast beside a dead one with 100 queued deliveries on the same partition', async () => {
    deadReceiver.answer('/dead', 'hang');
    const deadUrl = await deadReceiver.listen();
    const deadKey = await tenantKey('dead');
    // A dispatcher working the partition in order would hold each healthy delivery behind dead attempts
    // of 10 s each; the 5 s bound leaves room for a loaded CI machine.
    const dead = await api<{ id: string }>('POST', '/v1/endpoints', {
      key: deadKey,
      body: { url: `${deadUrl}/dead`, eventTypes: ['*'], timeoutMs: 10_000 },
    });
    expect(dead.status).toBe(201);
    const healthyKey = await tenantKey('healthy');
    await endpoint(healthyKey, '/healthy');

    await publish(deadKey, 100, 'dead');
    const healthyIds = await publish(healthyKey, 40, 'healthy');
    await waitFor('every healthy delivery', () => receiver.on('/healthy').length >= healthyIds.length, {
      timeoutMs: 60_000,
    });

    const latencies = receiver
      .on('/healthy')
      .map((webhook) => webhook.receivedAt - Date.parse((JSON.parse(webhook.body) as { timestamp: string }).timestamp))
      .sort((a, b) => a - b);
    const p99 = latencies[Math.ceil(latencies.length * 0.99) - 1] ?? Infinity;
    expect(p99).toBeLessThan(5000);
  });
});

describe('circuit breaker', () => {
  it('opens after 10 consecutive failures, parks deliveries, and closes on a successful probe', async () => {
    receiver.answer('/flaky', 500);
    const key = await tenantKey('flaky');
    const target = await endpoint(key, '/flaky');
    await publish(key, 10, 'before');
    const opened = await readTopic<CircuitOpened>(topics.deliveryEvents, (records) =>
      records.some((record) => record.key === target.id && record.value.consecutiveFailures !== undefined),
    );
    expect(opened.find((record) => record.key === target.id)?.value).toMatchObject({
      endpointId: target.id,
      consecutiveFailures: 10,
    });
    expect(receiver.on('/flaky')).toHaveLength(10);

    // While open, new deliveries wait; at most one probe per second goes out (and fails).
    const parkedIds = await publish(key, 5, 'parked');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(receiver.on('/flaky').length).toBeLessThanOrEqual(12);

    receiver.answer('/flaky', 200);
    await waitFor(
      'the parked deliveries after the circuit closed',
      () => {
        const delivered = new Set(
          receiver.on('/flaky').map((webhook) => (JSON.parse(webhook.body) as { id: string }).id),
        );
        return parkedIds.every((id) => delivered.has(id));
      },
      { timeoutMs: 20_000 },
    );
    const closed = await readTopic<CircuitClosed>(topics.deliveryEvents, (records) =>
      records.some((record) => record.key === target.id && record.value.closedAt !== undefined),
    );
    expect(closed.filter((record) => record.key === target.id && record.value.closedAt !== undefined)).toHaveLength(1);
  });
});

describe('endpoint requests', () => {
  it('paces an endpoint to its rate limit, delaying rather than dropping', async () => {
    const key = await tenantKey('paced');
    await endpoint(key, '/paced', { rateLimitPerSecond: 5 });
    await publish(key, 10, 'paced');
    await waitFor('every paced delivery', () => receiver.on('/paced').length >= 10, { timeoutMs: 20_000 });
    const times = receiver.on('/paced').map((webhook) => webhook.receivedAt);
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(1600);
  });

  it('takes 410 Gone as a request to disable the endpoint, and stops retrying', async () => {
    receiver.answer('/gone', 410);
    const key = await tenantKey('gone');
    const target = await endpoint(key, '/gone');
    const [eventId] = await publish(key, 1, 'gone');
    const log = await readTopic<EndpointDisabled & DeliveryExhausted>(topics.deliveryEvents, (records) =>
      records.some((record) => record.key === target.id && record.value.reason !== undefined),
    );
    expect(log.find((record) => record.key === target.id)?.value).toMatchObject({
      endpointId: target.id,
      reason: '410 Gone',
    });
    const deliveryId = deliveryIdFor(eventId ?? '', target.id);
    expect(
      log.find((record) => record.key === deliveryId && record.value.exhaustedAt !== undefined)?.value,
    ).toMatchObject({ attempts: 1, reason: 'endpoint_gone' });
    // The request reaches configuration: the endpoint is disabled, with the reason, until re-enabled.
    await waitFor('the endpoint to be disabled', async () => {
      const current = await api<{ status: string; disabledReason: string | null }>(
        'GET',
        `/v1/endpoints/${target.id}`,
        { key },
      );
      return current.body.status === 'disabled' && current.body.disabledReason === '410 Gone';
    });
    await publish(key, 1, 'after-gone');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(receiver.on('/gone')).toHaveLength(1);
    const enabled = await api<{ status: string; disabledReason: string | null }>(
      'PATCH',
      `/v1/endpoints/${target.id}`,
      {
        key,
        body: { status: 'enabled' },
      },
    );
    expect(enabled.body).toMatchObject({ status: 'enabled', disabledReason: null });
  });
});

describe('crashes', () => {
  it('loses no delivery to a kill -9 under load, and keeps webhook-ids across redeliveries', async () => {
    receiver.answer('/load', (_, response) => setTimeout(() => response.writeHead(200).end('ok'), 20));
    const key = await tenantKey('load');
    const target = await endpoint(key, '/load');
    const eventIds = await publish(key, 200, 'load');
    await waitFor('some deliveries', () => receiver.on('/load').length >= 30, { timeoutMs: 30_000 });
    dispatcher.process.kill('SIGKILL');
    await dispatcher.exited();

    dispatcher = await startDispatcher(prefix, env);
    running.push(dispatcher);
    const expected = new Set(eventIds.map((eventId) => deliveryIdFor(eventId, target.id)));
    await waitFor(
      'every delivery',
      () => new Set(receiver.on('/load').map((webhook) => webhook.headers['webhook-id'])).size >= expected.size,
      {
        timeoutMs: 90_000,
      },
    );
    const byWebhookId = new Map<string, Set<string>>();
    for (const webhook of receiver.on('/load')) {
      const id = String(webhook.headers['webhook-id']);
      byWebhookId.set(id, (byWebhookId.get(id) ?? new Set()).add((JSON.parse(webhook.body) as { id: string }).id));
    }
    expect(new Set(byWebhookId.keys())).toEqual(expected);
    // A redelivered webhook carries the same webhook-id, for the same event.
    for (const events of byWebhookId.values()) expect(events.size).toBe(1);
  });

  it('stops cleanly on SIGTERM', async () => {
    expect(await dispatcher.stop()).toBe(0);
  });
});
