// POST /v1/endpoints/:id/test: the example event of a type, delivered to that endpoint only, signed,
// retried and logged like any other, marked as a test (header hookstream-test: 1, isTest on the
// delivery); and sandbox and live keys never see each other's endpoints or deliveries.
import { schemasDir } from '@hookstream/contracts';
import { deliveryIdFor } from '@hookstream/delivery';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { startDispatcher, startProducer, startRetryScheduler, type RunningApp } from '../support/app-process';
import { apiClient, samplePayin, type ApiCall } from '../support/api';
import { cleanUp } from '../support/clean-up';
import { deliveryStatusClient } from '../support/grpc-client';
import { TestReceiver, type ReceivedWebhook } from '../support/receiver';
import { uniqueName } from '../support/stack';
import { waitFor } from '../support/wait-for';

interface Endpoint {
  id: string;
  secret: string;
}

interface Delivery {
  id: string;
  eventId: string;
  endpointId: string;
  status: string;
  isTest: boolean;
  formatVersion: number | null;
  attempts: { n: number; statusCode: number | null }[];
}

interface WebhookBody {
  id: string;
  type: string;
  formatVersion: number;
  data: Record<string, unknown>;
}

const prefix = uniqueName('it-endpoint-test');
const receiver = new TestReceiver();
const running: RunningApp[] = [];
const payinExample = JSON.parse(readFileSync(join(schemasDir(), 'payin.succeeded', 'example.json'), 'utf8')) as Record<
  string,
  unknown
>;
let api: ApiCall;
let grpcAddress: string;
let receiverUrl: string;
let keys: { sandbox: string; live: string };
let otherTenantKey: string;

beforeAll(async () => {
  receiverUrl = await receiver.listen();
  let flakyRequests = 0;
  receiver.answer('/flaky', (_request, response) => {
    flakyRequests += 1;
    response.writeHead(flakyRequests === 1 ? 500 : 200).end(flakyRequests === 1 ? 'nope' : 'ok');
  });
  const producer = await startProducer(prefix);
  running.push(producer.app, await startDispatcher(prefix, { RETRY_JITTER: '0' }), await startRetryScheduler(prefix));
  api = apiClient(producer.baseUrl);
  grpcAddress = producer.grpcAddress;
  const tenant = await api<{ keys: { sandbox: string; live: string } }>('POST', '/v1/admin/tenants', {
    key: 'dev-admin-token',
    body: { name: 'endpoint-test' },
  });
  expect(tenant.status).toBe(201);
  keys = tenant.body.keys;
  otherTenantKey = (
    await api<{ keys: { sandbox: string } }>('POST', '/v1/admin/tenants', {
      key: 'dev-admin-token',
      body: { name: 'endpoint-test-other' },
    })
  ).body.keys.sandbox;
});

afterAll(async () => {
  await Promise.all(running.map((app) => app.stop()));
  await receiver.close();
  await cleanUp(prefix, api?.tenantIds);
});

async function createEndpoint(body: Record<string, unknown>, key = keys.sandbox): Promise<Endpoint> {
  const response = await api<Endpoint>('POST', '/v1/endpoints', { key, body });
  expect(response.status).toBe(201);
  return response.body;
}

const sandboxEndpoint = (path: string, eventTypes: string[], extra: Record<string, unknown> = {}) =>
  createEndpoint({ url: `${receiverUrl}${path}`, eventTypes, ...extra });

const sendTest = (endpointId: string, eventType: string, key = keys.sandbox) =>
  api<{ eventId: string; error?: { code: string } }>('POST', `/v1/endpoints/${endpointId}/test`, {
    key,
    body: { eventType },
  });

const getDelivery = (id: string, key = keys.sandbox) => api<Delivery>('GET', `/v1/deliveries/${id}`, { key });

function verified(webhook: ReceivedWebhook, secret: string): WebhookBody {
  const headers = Object.fromEntries(
    ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((name) => [name, String(webhook.headers[name])]),
  );
  return new Webhook(secret).verify(webhook.body, headers) as WebhookBody;
}

describe('POST /v1/endpoints/:id/test', () => {
  it("delivers the type's example to that endpoint only, signed, in its format version, marked as a test", async () => {
    const tested = await sandboxEndpoint('/tested', ['payin.succeeded'], { formatVersion: 1 });
    const bystander = await sandboxEndpoint('/bystander', ['*']);

    const response = await sendTest(tested.id, 'payin.succeeded');
    expect(response.status).toBe(202);
    const { eventId } = response.body;
    expect(eventId).toMatch(/^evt_/);

    const [webhook] = await waitFor('the test webhook', () => {
      const got = receiver.on('/tested');
      return got.length > 0 ? got : undefined;
    });
    if (!webhook) throw new Error('no webhook');
    expect(webhook.headers['hookstream-test']).toBe('1');
    expect(webhook.headers['webhook-id']).toBe(deliveryIdFor(eventId, tested.id));
    // v1 of payin.succeeded: the example without the fields v2 added.
    const v1Example = Object.fromEntries(
      Object.entries(payinExample).filter(([field]) => field !== 'fees' && field !== 'settlementId'),
    );
    expect(verified(webhook, tested.secret)).toEqual({
      id: eventId,
      type: 'payin.succeeded',
      timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      formatVersion: 1,
      data: { ...v1Example, occurredAt: new Date(String(payinExample['occurredAt'])).toISOString() },
    });

    // A regular event published after the test one reaches the bystander; the test event never does.
    const regular = await api<{ id: string }>('POST', '/v1/events', {
      key: keys.sandbox,
      body: { type: 'payin.succeeded', data: samplePayin({ transactionId: `txn_${prefix}` }) },
    });
    expect(regular.status).toBe(202);
    await waitFor('the regular event at the bystander', () => receiver.on('/bystander').length > 0);
    await waitFor('the regular event at the tested endpoint', () => receiver.on('/tested').length > 1);
    expect(receiver.on('/bystander').map((got) => (JSON.parse(got.body) as WebhookBody).id)).toEqual([regular.body.id]);
    expect(receiver.on('/bystander')[0]?.headers['hookstream-test']).toBeUndefined();
    expect(receiver.on('/tested').map((got) => (JSON.parse(got.body) as WebhookBody).id)).toEqual([
      eventId,
      regular.body.id,
    ]);

    const deliveryId = deliveryIdFor(eventId, tested.id);
    const delivery = await waitFor('the test delivery, succeeded', async () => {
      const got = await getDelivery(deliveryId);
      return got.status === 200 && got.body.status === 'succeeded' ? got.body : undefined;
    });
    expect(delivery).toMatchObject({ eventId, endpointId: tested.id, isTest: true, formatVersion: 1 });
    const regularDelivery = await waitFor('the regular delivery', async () => {
      const got = await getDelivery(deliveryIdFor(regular.body.id, tested.id));
      return got.status === 200 ? got.body : undefined;
    });
    expect(regularDelivery.isTest).toBe(false);
    expect((await getDelivery(deliveryIdFor(eventId, bystander.id))).status).toBe(404);

    const grpc = deliveryStatusClient(grpcAddress, keys.sandbox);
    try {
      expect(await grpc.getDelivery<Delivery>(deliveryId)).toMatchObject({ id: deliveryId, isTest: true });
    } finally {
      grpc.close();
    }

    const event = await waitFor('the test event', async () => {
      const got = await api<{ id: string; deliveries: { endpointId: string }[] }>('GET', `/v1/events/${eventId}`, {
        key: keys.sandbox,
      });
      return got.status === 200 && got.body.deliveries.length > 0 ? got.body : undefined;
    });
    expect(event.deliveries.map((d) => d.endpointId)).toEqual([tested.id]);
  });

  it('retries a failed test delivery through the retry scheduler, still marked as a test', async () => {
    const flaky = await sandboxEndpoint('/flaky', ['refund.updated'], { retrySchedule: ['1s'] });
    const response = await sendTest(flaky.id, 'refund.updated');
    expect(response.status).toBe(202);
    const deliveryId = deliveryIdFor(response.body.eventId, flaky.id);

    const delivery = await waitFor(
      'the retried test delivery, succeeded',
      async () => {
        const got = await getDelivery(deliveryId);
        return got.status === 200 && got.body.status === 'succeeded' ? got.body : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(delivery.isTest).toBe(true);
    expect(delivery.attempts.map((attempt) => attempt.statusCode)).toEqual([500, 200]);
    const requests = receiver.on('/flaky');
    expect(requests).toHaveLength(2);
    for (const request of requests) {
      expect(request.headers['hookstream-test']).toBe('1');
      expect(request.headers['webhook-id']).toBe(deliveryId);
      expect(verified(request, flaky.secret).type).toBe('refund.updated');
    }
  });

  it('refuses an unknown, system or unsubscribed type (400), a foreign endpoint (404) and a disabled one (409)', async () => {
    const endpoint = await sandboxEndpoint('/refusals', ['payin.failed']);
    const everything = await sandboxEndpoint('/refusals-all', ['*']);
    const expectRefused = async (promise: ReturnType<typeof sendTest>, status: number) => {
      const response = await promise;
      expect(response.status).toBe(status);
      expect(response.body.error).toBeDefined();
    };

    await expectRefused(sendTest(endpoint.id, 'payin.unknown'), 400);
    await expectRefused(sendTest(endpoint.id, 'hookstream.format_deprecated'), 400);
    await expectRefused(sendTest(endpoint.id, 'payout.updated'), 400);
    // "*" does not include an opt-in type.
    await expectRefused(sendTest(everything.id, 'balance.threshold_reached'), 400);
    expect(
      (await api('POST', `/v1/endpoints/${endpoint.id}/test`, { key: keys.sandbox, body: { type: 'payin.failed' } }))
        .status,
    ).toBe(400);
    await expectRefused(sendTest(endpoint.id, 'payin.failed', otherTenantKey), 404);
    await expectRefused(sendTest('ep_00000000000000000000000000', 'payin.failed'), 404);

    const patched = await api('PATCH', `/v1/endpoints/${endpoint.id}`, {
      key: keys.sandbox,
      body: { status: 'disabled' },
    });
    expect(patched.status).toBe(200);
    await expectRefused(sendTest(endpoint.id, 'payin.failed'), 409);
    expect(receiver.on('/refusals')).toHaveLength(0);
    expect(receiver.on('/refusals-all')).toHaveLength(0);
  });
});

describe('sandbox and live isolation', () => {
  it('keeps endpoints and deliveries of one environment out of reach of the other key', async () => {
    const sandbox = await sandboxEndpoint('/isolation', ['payout.updated']);
    // A live endpoint must be https:// on a public address; its deliveries need not succeed here.
    const live = await createEndpoint(
      { url: 'https://1.1.1.1/hookstream-isolation', eventTypes: ['payout.updated'], timeoutMs: 1000 },
      keys.live,
    );

    const sandboxTest = await sendTest(sandbox.id, 'payout.updated');
    expect(sandboxTest.status).toBe(202);
    // A live key may test a live endpoint: the event is marked as a test all the same.
    const liveTest = await sendTest(live.id, 'payout.updated', keys.live);
    expect(liveTest.status).toBe(202);
    const sandboxDelivery = deliveryIdFor(sandboxTest.body.eventId, sandbox.id);
    const liveDelivery = deliveryIdFor(liveTest.body.eventId, live.id);
    await waitFor('both test deliveries', async () => {
      const [s, l] = await Promise.all([getDelivery(sandboxDelivery), getDelivery(liveDelivery, keys.live)]);
      return s.status === 200 && l.status === 200;
    });
    expect((await getDelivery(liveDelivery, keys.live)).body).toMatchObject({ isTest: true, endpointId: live.id });

    // Each key: the other environment's endpoint cannot be read or tested, its delivery read or retried.
    for (const [key, endpointId, deliveryId, eventId] of [
      [keys.sandbox, live.id, liveDelivery, liveTest.body.eventId],
      [keys.live, sandbox.id, sandboxDelivery, sandboxTest.body.eventId],
    ] as const) {
      expect((await api('GET', `/v1/endpoints/${endpointId}`, { key })).status).toBe(404);
      expect((await sendTest(endpointId, 'payout.updated', key)).status).toBe(404);
      expect((await getDelivery(deliveryId, key)).status).toBe(404);
      expect((await api('POST', `/v1/deliveries/${deliveryId}/retry`, { key })).status).toBe(404);
      expect((await api('GET', `/v1/events/${eventId}`, { key })).status).toBe(404);
    }

    const liveList = await api<{ data: Delivery[] }>('GET', '/v1/deliveries?limit=100', { key: keys.live });
    expect(liveList.status).toBe(200);
    expect(liveList.body.data.map((delivery) => delivery.id)).toEqual([liveDelivery]);
    const sandboxList = await api<{ data: Delivery[] }>('GET', '/v1/deliveries?limit=100', { key: keys.sandbox });
    expect(sandboxList.body.data.map((delivery) => delivery.id)).toContain(sandboxDelivery);
    expect(sandboxList.body.data.map((delivery) => delivery.id)).not.toContain(liveDelivery);

    const grpc = deliveryStatusClient(grpcAddress, keys.sandbox);
    try {
      await expect(grpc.getDelivery(liveDelivery)).rejects.toMatchObject({ code: 5 });
    } finally {
      grpc.close();
    }
  });
});
