// The producer's REST API against the real stack: tenants and keys, endpoints and their rules, the
// event catalogue, ingest with idempotency, and the fan-out to exactly the subscribed endpoints.
import { topicNames, type DeliveryScheduled, type DispatchRequested } from '@hookstream/contracts';
import { deliveryIdFor } from '@hookstream/delivery';
import { Kafka, logLevel } from 'kafkajs';
import { startProducer, type RunningApp } from '../support/app-process';
import { apiClient, samplePayin, type ApiCall } from '../support/api';
import { cleanUp } from '../support/clean-up';
import { stackEnv, uniqueName } from '../support/stack';
import { readTopic } from '../support/topic-reader';

interface Tenant {
  id: string;
  keys: { sandbox: string; live: string };
}
interface Endpoint {
  id: string;
  secret: string;
  status: string;
  formatVersion: number;
}

const prefix = uniqueName('it-producer');
const topics = topicNames(prefix);
const kafka = new Kafka({ clientId: prefix, brokers: stackEnv.kafkaBrokers, logLevel: logLevel.NOTHING });
let producer: RunningApp;
let api: ApiCall;
let tenantA: Tenant;
let tenantB: Tenant;

const createTenant = async (name: string, allowedCidrs?: string[]) => {
  const response = await api<Tenant>('POST', '/v1/admin/tenants', {
    key: 'dev-admin-token',
    body: { name, allowedCidrs },
  });
  expect(response.status).toBe(201);
  return response.body;
};
const createEndpoint = async (key: string, body: Record<string, unknown>) => {
  const response = await api<Endpoint>('POST', '/v1/endpoints', { key, body });
  expect(response).toMatchObject({ status: 201 });
  return response.body;
};
const expectError = (response: { status: number; body: Record<string, unknown> }, status: number, code?: string) => {
  expect(response.status).toBe(status);
  expect(response.body).toEqual({
    error: { code: code ?? expect.any(String), message: expect.any(String), details: expect.any(Array) },
  });
};

beforeAll(async () => {
  const started = await startProducer(prefix);
  producer = started.app;
  api = apiClient(started.baseUrl);
  tenantA = await createTenant('tenant A');
  tenantB = await createTenant('tenant B');
});

afterAll(async () => {
  await producer?.stop();
  await cleanUp(prefix, api?.tenantIds);
});

describe('tenants and keys', () => {
  it('creates a tenant with a sandbox and a live key, admin token only', async () => {
    expect(tenantA.keys.sandbox).toMatch(/^sk_test_/);
    expect(tenantA.keys.live).toMatch(/^sk_live_/);
    expectError(
      await api('POST', '/v1/admin/tenants', { key: tenantA.keys.live, body: { name: 'x' } }),
      401,
      'unauthorized',
    );
    expectError(
      await api('POST', '/v1/admin/tenants', { key: 'dev-admin-token', body: { name: '' } }),
      400,
      'invalid_request',
    );
  });

  it('answers 401 without a key or with a bad one', async () => {
    expectError(await api('GET', '/v1/endpoints'), 401, 'unauthorized');
    expectError(
      await api('GET', '/v1/endpoints', { key: 'sk_test_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }),
      401,
      'unauthorized',
    );
    expectError(
      // Its last character changed (a key ending in x would otherwise stay valid, once in 62 runs).
      await api('GET', '/v1/endpoints', {
        key: `${tenantA.keys.sandbox.slice(0, -1)}${tenantA.keys.sandbox.endsWith('x') ? 'y' : 'x'}`,
      }),
      401,
      'unauthorized',
    );
  });

  it('answers 403 from outside a key allowlist', async () => {
    const restricted = await createTenant('restricted', ['203.0.113.0/24']);
    expectError(await api('GET', '/v1/endpoints', { key: restricted.keys.sandbox }), 403, 'forbidden');
    const loopback = await createTenant('loopback only', ['127.0.0.0/8', '::1/128']);
    expect((await api('GET', '/v1/endpoints', { key: loopback.keys.sandbox })).status).toBe(200);
  });
});

describe('endpoints', () => {
  it('creates, reads, updates, rotates and deletes an endpoint', async () => {
    const key = tenantA.keys.sandbox;
    const created = await createEndpoint(key, {
      url: 'http://127.0.0.1:9/crud',
      eventTypes: ['payin.succeeded'],
      description: 'crud',
    });
    expect(created).toMatchObject({
      status: 'enabled',
      // The newest format version of its event types when it was created.
      formatVersion: 2,
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/=]{40,}$/),
    });

    expect((await api('GET', `/v1/endpoints/${created.id}`, { key })).body).toMatchObject({
      id: created.id,
      timeoutMs: 10_000,
    });
    const patched = await api('PATCH', `/v1/endpoints/${created.id}`, {
      key,
      body: { timeoutMs: 5000, retrySchedule: ['5s', '1m'] },
    });
    expect(patched.body).toMatchObject({
      timeoutMs: 5000,
      retrySchedule: ['5s', '1m'],
      url: 'http://127.0.0.1:9/crud',
    });

    const rotated = await api<{ secret: string; previousSecretExpiresAt: string }>(
      'POST',
      `/v1/endpoints/${created.id}/rotate-secret`,
      { key },
    );
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(created.secret);
    expect(Date.parse(rotated.body.previousSecretExpiresAt) - Date.now()).toBeGreaterThan(23 * 3_600_000);

    const listed = async (formatVersion: number) =>
      (
        await api<{ data: { id: string }[] }>('GET', `/v1/endpoints?formatVersion=${formatVersion}`, { key })
      ).body.data.map((endpoint) => endpoint.id);
    expect(await listed(2)).toContain(created.id);
    expect(await listed(1)).not.toContain(created.id);
    expect((await api('DELETE', `/v1/endpoints/${created.id}`, { key })).status).toBe(204);
    expectError(await api('GET', `/v1/endpoints/${created.id}`, { key }), 404, 'not_found');
  });

  it.each([
    ['an http:// URL in live', { url: 'http://93.184.216.34/hook' }, 'url', 'https://'],
    ['a private address', { url: 'https://10.1.2.3/hook' }, 'url', 'private'],
    ['the metadata address', { url: 'https://169.254.169.254/latest' }, 'url', 'metadata'],
    ['a loopback name', { url: 'https://localhost/hook' }, 'url', 'loopback'],
    ['an IPv6 link-local address', { url: 'https://[fe80::1]/hook' }, 'url', 'link-local'],
    ['credentials in the URL', { url: 'https://user:pw@93.184.216.34/' }, 'url', 'credentials'],
    ['an unknown event type', { eventTypes: ['payin.exploded'] }, 'eventTypes', 'not in the catalogue'],
    ['a retry over 24 h', { retrySchedule: ['5s', '25h'] }, 'retrySchedule.1', '24h'],
    ['a malformed retry delay', { retrySchedule: ['soon'] }, 'retrySchedule.0', 'duration'],
    ['too many retries', { retrySchedule: Array.from({ length: 21 }, () => '1m') }, 'retrySchedule', '20'],
    ['a timeout over 30 s', { timeoutMs: 31_000 }, 'timeoutMs', ''],
    ['a format version that does not exist', { formatVersion: 9 }, 'formatVersion', 'no format version 9'],
    ['an unknown field', { colour: 'red' }, '', ''],
  ])('refuses %s in live', async (_, override, field, message) => {
    const response = await api<{ error: { details: { field?: string; message: string }[] } }>('POST', '/v1/endpoints', {
      key: tenantA.keys.live,
      body: { url: 'https://93.184.216.34/hook', eventTypes: ['*'], ...override },
    });
    expectError(response, 400, 'invalid_request');
    const details = response.body.error.details;
    if (field) expect(details).toEqual(expect.arrayContaining([{ field, message: expect.stringContaining(message) }]));
  });

  it('accepts a public https address in live, and http to loopback in local sandbox', async () => {
    await createEndpoint(tenantA.keys.live, { url: 'https://93.184.216.34/hook', eventTypes: ['*'] });
    await createEndpoint(tenantA.keys.sandbox, { url: 'http://localhost:9/hook', eventTypes: ['*'] });
  });

  it('keeps tenants and environments apart: a foreign id is 404', async () => {
    const own = await createEndpoint(tenantA.keys.sandbox, { url: 'http://127.0.0.1:9/own', eventTypes: ['*'] });
    expectError(await api('GET', `/v1/endpoints/${own.id}`, { key: tenantB.keys.sandbox }), 404, 'not_found');
    expectError(await api('GET', `/v1/endpoints/${own.id}`, { key: tenantA.keys.live }), 404, 'not_found');
    expectError(
      await api('PATCH', `/v1/endpoints/${own.id}`, { key: tenantB.keys.sandbox, body: { timeoutMs: 2000 } }),
      404,
    );
    expectError(await api('DELETE', `/v1/endpoints/${own.id}`, { key: tenantB.keys.sandbox }), 404);
    expectError(await api('POST', `/v1/endpoints/${own.id}/rotate-secret`, { key: tenantB.keys.sandbox }), 404);
    const listB = await api<{ data: { id: string }[] }>('GET', '/v1/endpoints', { key: tenantB.keys.sandbox });
    expect(listB.body.data.map((endpoint) => endpoint.id)).not.toContain(own.id);
    await api('DELETE', `/v1/endpoints/${own.id}`, { key: tenantA.keys.sandbox });
  });
});

describe('the event catalogue', () => {
  it('lists the six types with their registered format versions', async () => {
    const response = await api<{
      data: { type: string; optIn: boolean; versions: { version: number; subject: string; schemaId: number }[] }[];
    }>('GET', '/v1/event-types', { key: tenantA.keys.sandbox });
    expect(response.body.data.map((type) => type.type).sort()).toEqual([
      'api.request_failed',
      'balance.threshold_reached',
      'payin.failed',
      'payin.succeeded',
      'payout.updated',
      'refund.updated',
    ]);
    const payin = response.body.data.find((type) => type.type === 'payin.succeeded');
    // Both format versions, under one subject (its versions in order), each its own schema id.
    expect(payin?.versions).toEqual(
      [1, 2].map((version) => ({
        version,
        subject: `${topics.events}-hookstream.events.PayinSucceeded`,
        schemaId: expect.any(Number),
        deprecated: false,
        sunsetAt: null,
        // This tenant has published nothing yet.
        usage: { deliveries: 0, lastDeliveryAt: null },
      })),
    );
    expect(new Set(payin?.versions.map((version) => version.schemaId)).size).toBe(2);
    expect(response.body.data.find((type) => type.type === 'balance.threshold_reached')?.optIn).toBe(true);
  });
});

describe('ingest', () => {
  it.each([
    ['malformed JSON', { rawBody: '{"type": ' }, 400, 'malformed_json'],
    ['an unknown type', { body: { type: 'payin.exploded', data: {} } }, 400, 'invalid_request'],
    [
      'a missing field',
      { body: { type: 'payin.succeeded', data: samplePayin({ currency: undefined }) } },
      400,
      'invalid_request',
    ],
    [
      'a mistyped field',
      { body: { type: 'payin.succeeded', data: samplePayin({ amount: '19.99' }) } },
      400,
      'invalid_request',
    ],
    [
      'a wrong status',
      { body: { type: 'payout.updated', data: samplePayin({ status: 'done' }) } },
      400,
      'invalid_request',
    ],
    [
      'a body over 256 KiB',
      { body: { type: 'payin.succeeded', data: samplePayin({ responseMessage: 'x'.repeat(300_000) }) } },
      413,
      'payload_too_large',
    ],
  ])('refuses %s', async (_, request, status, code) => {
    expectError(await api('POST', '/v1/events', { key: tenantA.keys.sandbox, ...request }), status, code);
  });

  it('names the bad fields', async () => {
    const response = await api<{ error: { details: { field: string }[] } }>('POST', '/v1/events', {
      key: tenantA.keys.sandbox,
      body: { type: 'payin.succeeded', data: samplePayin({ amount: 1.5, occurredAt: 'noon' }) },
    });
    expect(response.body.error.details.map((detail) => detail.field).sort()).toEqual([
      'data.amount',
      'data.occurredAt',
    ]);
  });

  it('answers unknown routes in the error shape', async () => {
    expectError(await api('GET', '/v1/nothing-here', { key: tenantA.keys.sandbox }), 404, 'not_found');
  });

  it('serves the OpenAPI spec', async () => {
    const spec = await api<{ paths: Record<string, unknown> }>('GET', '/docs-json');
    expect(Object.keys(spec.body.paths)).toEqual(
      expect.arrayContaining(['/v1/endpoints', '/v1/events', '/v1/event-types', '/v1/admin/tenants']),
    );
  });
});

describe('fan-out', () => {
  it('schedules exactly one delivery per subscribed, enabled endpoint of the tenant and environment', async () => {
    const tenant = await createTenant('fan-out');
    const key = tenant.keys.sandbox;
    const everything = await createEndpoint(key, { url: 'http://127.0.0.1:9/all', eventTypes: ['*'] });
    const payoutsOnly = await createEndpoint(key, {
      url: 'http://127.0.0.1:9/payouts',
      eventTypes: ['payout.updated'],
    });
    const disabled = await createEndpoint(key, { url: 'http://127.0.0.1:9/disabled', eventTypes: ['*'] });
    expect(
      (await api('PATCH', `/v1/endpoints/${disabled.id}`, { key, body: { status: 'disabled' } })).body,
    ).toMatchObject({ status: 'disabled' });
    const balances = await createEndpoint(key, {
      url: 'http://127.0.0.1:9/balances',
      eventTypes: ['balance.threshold_reached'],
    });
    const otherTenant = await createEndpoint(tenantB.keys.sandbox, { url: 'http://127.0.0.1:9/b', eventTypes: ['*'] });
    const otherEnvironment = await createEndpoint(tenant.keys.live, {
      url: 'https://93.184.216.34/live',
      eventTypes: ['*'],
    });

    const payin = await api<{ id: string }>('POST', '/v1/events', {
      key,
      body: { type: 'payin.succeeded', data: samplePayin() },
    });
    expect(payin.status).toBe(202);
    const balance = await api<{ id: string }>('POST', '/v1/events', {
      key,
      body: {
        type: 'balance.threshold_reached',
        data: {
          accountId: 'acc_1',
          status: 'below_threshold',
          balance: 100,
          threshold: 1000,
          currency: 'EUR',
          occurredAt: '2026-11-28T12:00:00Z',
        },
      },
    });
    expect(balance.status).toBe(202);

    const expected = [
      [payin.body.id, everything.id],
      [balance.body.id, balances.id],
    ].map(([eventId, endpointId]) => deliveryIdFor(eventId as string, endpointId as string));

    const dispatched = await readTopic<DispatchRequested>(topics.dispatch, (records) => records.length >= 2);
    expect(dispatched.map((record) => record.value.deliveryId).sort()).toEqual([...expected].sort());
    const first = dispatched.find((record) => record.value.eventId === payin.body.id);
    expect(first?.key).toBe(everything.id);
    expect(first?.value).toMatchObject({
      attempt: 1,
      eventType: 'payin.succeeded',
      formatVersion: 2,
      tenantId: tenant.id,
      environment: 'sandbox',
    });
    for (const endpointId of [payoutsOnly.id, disabled.id, otherTenant.id, otherEnvironment.id]) {
      expect(dispatched.some((record) => record.value.endpointId === endpointId)).toBe(false);
    }

    const scheduled = await readTopic<DeliveryScheduled>(topics.deliveryEvents, (records) => records.length >= 2);
    expect(scheduled.map((record) => record.key).sort()).toEqual([...expected].sort());
    expect(scheduled.find((record) => record.value.eventId === payin.body.id)?.value.transactionId).toBe('txn_123');
  });

  it('answers the same id for the same Idempotency-Key and publishes nothing new; 409 for another body', async () => {
    const key = tenantB.keys.live;
    const headers = { 'idempotency-key': `order-${prefix}` };
    const body = {
      type: 'payin.failed',
      data: samplePayin({ status: 'failed', responseCode: '51', responseMessage: 'Insufficient funds' }),
    };
    const admin = kafka.admin();
    await admin.connect();
    const countEvents = async () =>
      (await admin.fetchTopicOffsets(topics.events)).reduce((sum, partition) => sum + Number(partition.high), 0);
    try {
      const first = await api<{ id: string }>('POST', '/v1/events', { key, body, headers });
      expect(first.status).toBe(202);
      const afterFirst = await countEvents();
      const second = await api<{ id: string }>('POST', '/v1/events', { key, body, headers });
      expect(second).toEqual(first);
      expect(await countEvents()).toBe(afterFirst);
      expectError(
        await api('POST', '/v1/events', { key, headers, body: { ...body, data: { ...body.data, amount: 1 } } }),
        409,
        'idempotency_key_reused',
      );
      // Keys belong to one tenant and environment.
      expect(
        (await api<{ id: string }>('POST', '/v1/events', { key: tenantB.keys.sandbox, body, headers })).body.id,
      ).not.toBe(first.body.id);
    } finally {
      await admin.disconnect();
    }
  });
});
