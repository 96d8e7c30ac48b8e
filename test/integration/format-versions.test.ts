// Payload format versions end to end: endpoints pinned to v1 and v2 each get their shape of one event
// (rendered by Avro schema resolution, signed), events published in an older version reach newer
// endpoints with defaults, a renamed field travels under the right name, and PATCH moves an endpoint.
import { topicNames } from '@hookstream/contracts';
import { deliveryIdFor } from '@hookstream/delivery';
import { Webhook } from 'standardwebhooks';
import { startDispatcher, startProducer, type RunningApp } from '../support/app-process';
import { apiClient, samplePayin, type ApiCall } from '../support/api';
import { cleanUp } from '../support/clean-up';
import { TestReceiver } from '../support/receiver';
import { stackEnv, uniqueName } from '../support/stack';
import { waitFor } from '../support/wait-for';

interface Endpoint {
  id: string;
  secret: string;
  formatVersion: number;
}

interface Body {
  id: string;
  type: string;
  formatVersion: number;
  data: Record<string, unknown>;
}

const prefix = uniqueName('it-formats');
const receiver = new TestReceiver();
const running: RunningApp[] = [];
let api: ApiCall;
let key: string;
let receiverUrl: string;

beforeAll(async () => {
  receiverUrl = await receiver.listen();
  const producer = await startProducer(prefix);
  running.push(producer.app, await startDispatcher(prefix));
  api = apiClient(producer.baseUrl);
  key = (
    await api<{ keys: { sandbox: string } }>('POST', '/v1/admin/tenants', {
      key: 'dev-admin-token',
      body: { name: 'formats' },
    })
  ).body.keys.sandbox;
});

afterAll(async () => {
  await Promise.all(running.map((app) => app.stop()));
  await receiver.close();
  await cleanUp(prefix, api?.tenantIds);
});

async function endpoint(path: string, eventType: string, formatVersion?: number): Promise<Endpoint> {
  const created = await api<Endpoint>('POST', '/v1/endpoints', {
    key,
    body: { url: `${receiverUrl}${path}`, eventTypes: [eventType], ...(formatVersion ? { formatVersion } : {}) },
  });
  expect(created.status).toBe(201);
  return created.body;
}

async function publish(type: string, data: Record<string, unknown>, formatVersion?: number): Promise<string> {
  const published = await api<{ id: string }>('POST', '/v1/events', {
    key,
    body: { type, data, ...(formatVersion ? { formatVersion } : {}) },
  });
  expect(published.status).toBe(202);
  return published.body.id;
}

/** The webhook of `eventId` that `target` received, its signature checked with the endpoint's secret. */
async function received(path: string, target: Endpoint, eventId: string): Promise<Body> {
  const webhook = await waitFor(`the webhook of ${eventId} at ${path}`, () =>
    receiver.on(path).find((request) => request.headers['webhook-id'] === deliveryIdFor(eventId, target.id)),
  );
  return new Webhook(target.secret).verify(webhook.body, webhook.headers as Record<string, string>) as Body;
}

function without(data: Record<string, unknown>, ...fields: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(data).filter(([field]) => !fields.includes(field)));
}

const apiFailure = {
  requestId: 'req_1',
  status: 'failed',
  responseCode: 'E42',
  responseMessage: 'Invalid card',
  occurredAt: '2026-11-28T12:00:00.000Z',
  transactionId: null,
};

describe('format versions', () => {
  it('sends one event to endpoints pinned to v1 and v2, each in its shape, both signed', async () => {
    const [v1, v2] = [await endpoint('/v1', 'payin.succeeded', 1), await endpoint('/v2', 'payin.succeeded')];
    expect([v1.formatVersion, v2.formatVersion]).toEqual([1, 2]);
    const data = samplePayin({ occurredAt: '2026-11-28T12:00:00.000Z', fees: 150, settlementId: 'stl_1' });
    const eventId = await publish('payin.succeeded', data);

    const v1Data = without(data, 'fees', 'settlementId');
    expect(await received('/v1', v1, eventId)).toMatchObject({
      type: 'payin.succeeded',
      formatVersion: 1,
      data: v1Data,
    });
    expect(await received('/v2', v2, eventId)).toMatchObject({ type: 'payin.succeeded', formatVersion: 2, data });

    // The projection records the version and the registry id of its schema for each delivery.
    const types = await api<{ data: { type: string; versions: { version: number; schemaId: number }[] }[] }>(
      'GET',
      '/v1/event-types',
      { key },
    );
    const versions = types.body.data.find((type) => type.type === 'payin.succeeded')?.versions ?? [];
    for (const [target, version] of [
      [v1, 1],
      [v2, 2],
    ] as const) {
      const delivery = await waitFor('the delivery', async () => {
        const response = await api<{ formatVersion: number; schemaId: number; status: string }>(
          'GET',
          `/v1/deliveries/${deliveryIdFor(eventId, target.id)}`,
          { key },
        );
        return response.body.status === 'succeeded' ? response.body : undefined;
      });
      expect(delivery).toMatchObject({
        formatVersion: version,
        schemaId: versions.find((candidate) => candidate.version === version)?.schemaId,
      });
    }
  });

  it('delivers an event published as v1 to a v2 endpoint with the new fields at their defaults', async () => {
    const v2 = await endpoint('/older-producer', 'payin.succeeded', 2);
    const data = samplePayin({ occurredAt: '2026-11-28T12:00:00.000Z' });
    const eventId = await publish('payin.succeeded', data, 1);
    expect((await received('/older-producer', v2, eventId)).data).toEqual({ ...data, fees: 0, settlementId: null });
  });

  it('carries a renamed field under the name of each version, whichever version it was published in', async () => {
    const [v1, v2] = [
      await endpoint('/renamed/v1', 'api.request_failed', 1),
      await endpoint('/renamed/v2', 'api.request_failed', 2),
    ];
    const asV1 = await publish('api.request_failed', { ...apiFailure, httpStatus: 402 }, 1);
    const asV2 = await publish('api.request_failed', { ...apiFailure, httpStatusCode: 402, path: '/v1/payins' });
    const v1Shape = { ...apiFailure, httpStatus: 402 };
    expect((await received('/renamed/v1', v1, asV1)).data).toEqual(v1Shape);
    expect((await received('/renamed/v1', v1, asV2)).data).toEqual(v1Shape);
    expect((await received('/renamed/v2', v2, asV1)).data).toEqual({ ...apiFailure, httpStatusCode: 402, path: null });
    expect((await received('/renamed/v2', v2, asV2)).data).toEqual({
      ...apiFailure,
      httpStatusCode: 402,
      path: '/v1/payins',
    });
  });

  it('moves an endpoint to another version with PATCH', async () => {
    const target = await endpoint('/moving', 'payout.updated', 2);
    const patched = await api<Endpoint>('PATCH', `/v1/endpoints/${target.id}`, { key, body: { formatVersion: 1 } });
    expect(patched.body.formatVersion).toBe(1);
    const data = samplePayin({ status: 'processing', occurredAt: '2026-11-28T12:00:00.000Z', utr: 'UTR123' });
    // The change reaches the dispatcher through the configuration topic: retry until an event goes out as v1.
    const body = await waitFor(
      'a webhook in v1',
      async () => {
        const eventId = await publish('payout.updated', data);
        const webhook = await received('/moving', target, eventId);
        return webhook.formatVersion === 1 ? webhook : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(body.data).toEqual(without(data, 'utr'));
  });

  it('keeps every format version of each event type as a version of its registry subject', async () => {
    const events = topicNames(prefix).events;
    const types = await api<{ data: { type: string; versions: { version: number; subject: string }[] }[] }>(
      'GET',
      '/v1/event-types',
      { key },
    );
    // The catalogue's own notices (hookstream.*) start at one version; the payment types have evolved.
    for (const type of types.body.data.filter((candidate) => !candidate.type.startsWith('hookstream.'))) {
      const subject = type.versions[0]?.subject ?? '';
      expect(subject.startsWith(`${events}-`)).toBe(true);
      const response = await fetch(`${stackEnv.registryUrl}/subjects/${encodeURIComponent(subject)}/versions`);
      const registered = (await response.json()) as number[];
      expect(registered.length).toBe(type.versions.length);
      expect(type.versions.length).toBeGreaterThanOrEqual(2);
    }
  });
});
