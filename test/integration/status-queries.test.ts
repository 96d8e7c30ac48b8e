// Delivery status from the projections: what the projector folded from the delivery log, read over REST.
import { deliveryIdFor } from '@hookstream/delivery';
import { startDispatcher, startProducer, type RunningApp } from '../support/app-process';
import { apiClient, samplePayin, type ApiCall } from '../support/api';
import { deliveryStatusClient } from '../support/grpc-client';
import { TestReceiver } from '../support/receiver';
import { status } from '@grpc/grpc-js';
import { cleanUp } from '../support/clean-up';
import { publishDirectly } from '../support/direct-publish';
import { uniqueName } from '../support/stack';
import { waitFor } from '../support/wait-for';

interface Delivery {
  id: string;
  status: string;
  formatVersion: number | null;
  schemaId: number | null;
  eventId: string;
  endpointId: string;
  transactionId: string | null;
  nextAttemptAt: string | null;
  attempts: { n: number; statusCode: number | null; errorClass: string | null; responseBody: string | null }[];
}

const prefix = uniqueName('it-status');
const receiver = new TestReceiver();
const running: RunningApp[] = [];
let api: ApiCall;
let grpcAddress: string;
let key: string;
let tenantId: string;
let receiverUrl: string;

beforeAll(async () => {
  receiverUrl = await receiver.listen();
  receiver.answer('/failing', 500);
  const producer = await startProducer(prefix);
  running.push(producer.app, await startDispatcher(prefix));
  api = apiClient(producer.baseUrl);
  grpcAddress = producer.grpcAddress;
  const tenant = (
    await api<{ id: string; keys: { sandbox: string } }>('POST', '/v1/admin/tenants', {
      key: 'dev-admin-token',
      body: { name: 'status' },
    })
  ).body;
  key = tenant.keys.sandbox;
  tenantId = tenant.id;
});

afterAll(async () => {
  await Promise.all(running.map((app) => app.stop()));
  await receiver.close();
  await cleanUp(prefix, api?.tenantIds);
});

const endpoint = async (path: string) =>
  (
    await api<{ id: string }>('POST', '/v1/endpoints', {
      key,
      body: { url: `${receiverUrl}${path}`, eventTypes: ['payout.updated'] },
    })
  ).body.id;
const publish = async (transactionId: string) =>
  (
    await api<{ id: string }>('POST', '/v1/events', {
      key,
      body: { type: 'payout.updated', data: samplePayin({ transactionId, status: 'processing' }) },
    })
  ).body.id;

describe('status queries', () => {
  it('reads a succeeded and a failed delivery, with their attempts, found by transaction id', async () => {
    const ok = await endpoint('/ok');
    const failing = await endpoint('/failing');
    const eventId = await publish(`txn_${prefix}`);

    const succeeded = await waitFor('the succeeded delivery', async () => {
      const response = await api<Delivery>('GET', `/v1/deliveries/${deliveryIdFor(eventId, ok)}`, { key });
      return response.status === 200 && response.body.status === 'succeeded' ? response.body : undefined;
    });
    expect(succeeded).toMatchObject({ eventId, endpointId: ok, transactionId: `txn_${prefix}`, nextAttemptAt: null });
    expect(succeeded.attempts).toEqual([
      expect.objectContaining({ n: 1, statusCode: 200, errorClass: null, responseBody: 'ok' }),
    ]);

    const failed = await waitFor('the failed delivery', async () => {
      const response = await api<Delivery>('GET', `/v1/deliveries/${deliveryIdFor(eventId, failing)}`, { key });
      return response.status === 200 && response.body.status === 'failed' && response.body.nextAttemptAt
        ? response.body
        : undefined;
    });
    expect(failed.attempts).toEqual([
      expect.objectContaining({ n: 1, statusCode: 500, errorClass: 'non_2xx', responseBody: 'nope' }),
    ]);
    // The retry is due about 5 s (±20 %) after the failure.
    expect(Date.parse(failed.nextAttemptAt ?? '') - Date.now()).toBeLessThan(7000);

    // Endpoint health, from the same projections.
    const health = await waitFor("the endpoints' health", async () => {
      const [okView, failingView] = await Promise.all(
        [ok, failing].map(
          async (id) =>
            (await api<{ health: Record<string, unknown> | null }>('GET', `/v1/endpoints/${id}`, { key })).body.health,
        ),
      );
      return okView?.['attempts24h'] && failingView?.['attempts24h'] ? { okView, failingView } : undefined;
    });
    expect(health.okView).toMatchObject({
      attempts24h: 1,
      successRate24h: 1,
      lastFailureAt: null,
      circuitState: 'closed',
    });
    expect(health.failingView).toMatchObject({ attempts24h: 1, successRate24h: 0, lastSuccessAt: null });

    const byTransaction = await api<{ data: Delivery[] }>('GET', `/v1/deliveries?transactionId=txn_${prefix}`, { key });
    expect(byTransaction.body.data.map((delivery) => delivery.id).sort()).toEqual(
      [deliveryIdFor(eventId, ok), deliveryIdFor(eventId, failing)].sort(),
    );
    const byStatus = await api<{ data: Delivery[] }>('GET', `/v1/deliveries?status=failed&endpointId=${failing}`, {
      key,
    });
    expect(byStatus.body.data.map((delivery) => delivery.id)).toEqual([deliveryIdFor(eventId, failing)]);

    const event = await waitFor('the event', async () => {
      const response = await api<{
        id: string;
        data: Record<string, unknown>;
        deliveries: { id: string; status: string }[];
      }>('GET', `/v1/events/${eventId}`, { key });
      return response.status === 200 ? response.body : undefined;
    });
    expect(event.data).toMatchObject({ transactionId: `txn_${prefix}`, status: 'processing' });
    expect(event.deliveries.map((delivery) => delivery.id).sort()).toEqual(
      [deliveryIdFor(eventId, ok), deliveryIdFor(eventId, failing)].sort(),
    );
  });

  it('answers the same over gRPC, and NOT_FOUND / UNAUTHENTICATED where REST says 404 / 401', async () => {
    const list = await api<{ data: Delivery[] }>('GET', `/v1/deliveries?transactionId=txn_${prefix}`, { key });
    const id = list.body.data[0]?.id;
    if (!id) throw new Error('no delivery to read');
    const rest = await api<Delivery & { attempts: unknown[] }>('GET', `/v1/deliveries/${id}`, { key });
    const grpc = deliveryStatusClient(grpcAddress, key);
    try {
      const delivery = await grpc.getDelivery<Delivery>(id);
      // The format version and the registry id of its schema, as the event catalogue names them.
      const catalogue = await api<{ data: { type: string; versions: { version: number; schemaId: number }[] }[] }>(
        'GET',
        '/v1/event-types',
        { key },
      );
      const v2 = catalogue.body.data
        .find((type) => type.type === 'payout.updated')
        ?.versions.find((version) => version.version === 2);
      expect(rest.body).toMatchObject({ formatVersion: 2, schemaId: v2?.schemaId });
      expect(delivery).toMatchObject({
        id,
        status: rest.body.status,
        eventId: rest.body.eventId,
        endpointId: rest.body.endpointId,
        transactionId: rest.body.transactionId,
        formatVersion: 2,
        schemaId: v2?.schemaId,
      });
      expect(delivery.attempts.map((attempt) => attempt.statusCode)).toEqual(
        rest.body.attempts.map((attempt) => (attempt as { statusCode: number }).statusCode),
      );
      const listed = await grpc.listDeliveries<{ data: Delivery[] }>({ transactionId: `txn_${prefix}` });
      expect(listed.data.map((delivery) => delivery.id).sort()).toEqual(
        list.body.data.map((delivery) => delivery.id).sort(),
      );
      const event = await grpc.getEvent<{ id: string; data: string; deliveries: unknown[] }>(rest.body.eventId);
      expect(JSON.parse(event.data)).toMatchObject({ transactionId: `txn_${prefix}` });
      expect(event.deliveries).toHaveLength(list.body.data.length);

      const other = await api<{ keys: { sandbox: string } }>('POST', '/v1/admin/tenants', {
        key: 'dev-admin-token',
        body: { name: 'grpc-other' },
      });
      const foreign = deliveryStatusClient(grpcAddress, other.body.keys.sandbox);
      await expect(foreign.getDelivery(id)).rejects.toMatchObject({ code: status.NOT_FOUND });
      foreign.close();
      const anonymous = deliveryStatusClient(grpcAddress);
      await expect(anonymous.getDelivery(id)).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
      anonymous.close();
    } finally {
      grpc.close();
    }
  });

  it('answers 404 for another tenant and the other environment', async () => {
    const other = await api<{ keys: { sandbox: string; live: string } }>('POST', '/v1/admin/tenants', {
      key: 'dev-admin-token',
      body: { name: 'other' },
    });
    const mine = await api<{ data: Delivery[] }>('GET', '/v1/deliveries?limit=1', { key });
    const id = mine.body.data[0]?.id ?? 'dlv_missing';
    for (const foreignKey of [other.body.keys.sandbox, other.body.keys.live]) {
      expect((await api('GET', `/v1/deliveries/${id}`, { key: foreignKey })).status).toBe(404);
    }
    expect(
      (await api<{ data: Delivery[] }>('GET', '/v1/deliveries', { key: other.body.keys.sandbox })).body.data,
    ).toEqual([]);
  });

  it('pages with a keyset cursor, newest first, without overlap', async () => {
    const paged = await endpoint('/paged');
    const eventIds: string[] = [];
    for (let n = 0; n < 5; n++) eventIds.push(await publish(`page_${n}`));
    await waitFor('five deliveries', async () => {
      const response = await api<{ data: Delivery[] }>('GET', `/v1/deliveries?endpointId=${paged}&limit=100`, { key });
      return response.body.data.length === 5;
    });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { data: Delivery[]; nextCursor: string | null } } = await api(
        'GET',
        `/v1/deliveries?endpointId=${paged}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        {
          key,
        },
      );
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.map((delivery) => delivery.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(5);
    expect(new Set(seen)).toEqual(new Set(eventIds.map((eventId) => deliveryIdFor(eventId, paged))));
    expect((await api('GET', '/v1/deliveries?cursor=not-a-cursor', { key })).status).toBe(400);
    expect((await api('GET', '/v1/deliveries?status=lost', { key })).status).toBe(400);
  });

  it('retries a failed delivery now: the same webhook-id, a second attempt that succeeds, read alike over REST and gRPC', async () => {
    receiver.answer('/flaky', 503);
    const flaky = await endpoint('/flaky');
    const eventId = await publish(`retry_${prefix}`);
    const id = deliveryIdFor(eventId, flaky);
    await waitFor(
      'the failed delivery',
      async () => (await api<Delivery>('GET', `/v1/deliveries/${id}`, { key })).body.status === 'failed',
    );

    receiver.answer('/flaky', 200);
    const retried = await api<{ id: string; attempt: number }>('POST', `/v1/deliveries/${id}/retry`, { key });
    expect(retried).toEqual({ status: 202, body: { id, attempt: 2 } });
    const done = await waitFor('the successful second attempt', async () => {
      const response = await api<Delivery>('GET', `/v1/deliveries/${id}`, { key });
      return response.body.status === 'succeeded' ? response.body : undefined;
    });
    expect(done.attempts.map((attempt) => [attempt.n, attempt.statusCode])).toEqual([
      [1, 503],
      [2, 200],
    ]);
    expect(new Set(receiver.on('/flaky').map((webhook) => webhook.headers['webhook-id']))).toEqual(new Set([id]));

    const grpc = deliveryStatusClient(grpcAddress, key);
    try {
      const viaGrpc = await grpc.getDelivery<Delivery>(id);
      expect(viaGrpc.attempts.map((attempt) => [attempt.n, attempt.statusCode])).toEqual([
        [1, 503],
        [2, 200],
      ]);
      expect(viaGrpc.status).toBe('succeeded');
    } finally {
      grpc.close();
    }

    const other = await api<{ keys: { sandbox: string } }>('POST', '/v1/admin/tenants', {
      key: 'dev-admin-token',
      body: { name: 'retry-other' },
    });
    expect((await api('POST', `/v1/deliveries/${id}/retry`, { key: other.body.keys.sandbox })).status).toBe(404);
  });

  it("counts the caller's deliveries per format version in the event catalogue", async () => {
    const deliveries = await api<{ data: unknown[] }>('GET', '/v1/deliveries?eventType=payout.updated&limit=100', {
      key,
    });
    const catalogue = await waitFor('the format-version usage', async () => {
      const response = await api<{
        data: {
          type: string;
          versions: { version: number; usage: { deliveries: number; lastDeliveryAt: string } }[];
        }[];
      }>('GET', '/v1/event-types', { key });
      const payout = response.body.data.find((type) => type.type === 'payout.updated');
      const v2 = payout?.versions.find((version) => version.version === 2);
      return v2?.usage.deliveries === deliveries.body.data.length ? v2 : undefined;
    });
    expect(catalogue.usage.lastDeliveryAt).toEqual(expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/));
    const other = await api<{ data: { type: string; versions: { usage: { deliveries: number } }[] }[] }>(
      'GET',
      '/v1/event-types',
      { key },
    );
    expect(
      other.body.data
        .find((type) => type.type === 'refund.updated')
        ?.versions.map((version) => version.usage.deliveries),
    ).toEqual([0, 0]);
  });
});

describe('text holding U+0000, which Postgres cannot store', () => {
  it('is refused by the API with a 400 naming the field, over REST and gRPC', async () => {
    const event = await api<{ error: { code: string; details: { field?: string }[] } }>('POST', '/v1/events', {
      key,
      body: { type: 'payout.updated', data: samplePayin({ transactionId: 'txn_\u0000' }) },
    });
    expect(event.status).toBe(400);
    expect(event.body.error).toMatchObject({ code: 'invalid_request', details: [{ field: 'data.transactionId' }] });

    for (const query of ['eventType=%00', 'transactionId=a%00b', 'status=%00']) {
      const listed = await api<{ error: { code: string } }>('GET', `/v1/deliveries?${query}`, { key });
      expect({ query, status: listed.status, code: listed.body.error.code }).toEqual({
        query,
        status: 400,
        code: 'invalid_request',
      });
    }
    expect((await api('GET', '/v1/deliveries/dlv_%00', { key })).status).toBe(400);

    const grpc = deliveryStatusClient(grpcAddress, key);
    try {
      await expect(grpc.listDeliveries({ eventType: '\u0000' })).rejects.toMatchObject({
        code: status.INVALID_ARGUMENT,
      });
    } finally {
      grpc.close();
    }
  });

  it('is projected from the log with U+FFFD in its place when it arrives there anyway, the exact bytes kept', async () => {
    const path = '/nul-answer';
    receiver.answer(path, (_request, response) => response.writeHead(200).end('ok\u0000done'));
    const ok = (
      await api<{ id: string }>('POST', '/v1/endpoints', {
        key,
        body: { url: `${receiverUrl}${path}`, eventTypes: ['payin.succeeded'] },
      })
    ).body.id;
    const [eventId] = await publishDirectly(prefix, tenantId, 1, {
      transactionId: `txn_nul_\u0000_${prefix}`,
      responseMessage: 'Appro\u0000ved',
    });

    const delivery = await waitFor('the delivery, projected', async () => {
      const response = await api<Delivery>('GET', `/v1/deliveries/${deliveryIdFor(eventId ?? '', ok)}`, { key });
      return response.status === 200 && response.body.status === 'succeeded' ? response.body : undefined;
    });
    expect(delivery.transactionId).toBe(`txn_nul_\uFFFD_${prefix}`);
    expect(delivery.attempts).toEqual([expect.objectContaining({ statusCode: 200, responseBody: 'ok\uFFFDdone' })]);
    const event = await api<{ data: { responseMessage: string } }>('GET', `/v1/events/${eventId}`, { key });
    expect(event.body.data.responseMessage).toBe('Appro\uFFFDved');
    // The merchant got the event as it was published.
    expect(receiver.on(path).map((webhook) => JSON.parse(webhook.body).data.responseMessage)).toEqual([
      'Appro\u0000ved',
    ]);
  });
});
