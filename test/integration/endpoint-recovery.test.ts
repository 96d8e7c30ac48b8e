// An endpoint's way back: POST /v1/endpoints/:id/recover sends its failed and exhausted deliveries
// again; an endpoint every delivery of which fails for ENDPOINT_DISABLE_AFTER is disabled, until
// PATCH re-enables it.
import { topicNames, type EndpointDisabled } from '@hookstream/contracts';
import { deliveryIdFor } from '@hookstream/delivery';
import { startDispatcher, startProducer, type RunningApp } from '../support/app-process';
import { apiClient, samplePayin, type ApiCall } from '../support/api';
import { cleanUp } from '../support/clean-up';
import { deliveryStatusClient } from '../support/grpc-client';
import { createDatabase } from '../support/database';
import { TestReceiver, type ReceivedWebhook } from '../support/receiver';
import { uniqueName } from '../support/stack';
import { readTopic } from '../support/topic-reader';
import { waitFor } from '../support/wait-for';

interface Delivery {
  id: string;
  status: string;
  exhaustedReason: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  attempts: { n: number; at: string; statusCode: number | null }[];
}

interface Endpoint {
  id: string;
  status: string;
  disabledReason: string | null;
  updatedAt: string;
}

interface ErrorBody {
  error: { code: string; message: string; details: { field?: string; message: string }[] };
}

async function tenantKeys(api: ApiCall, name: string): Promise<{ sandbox: string; live: string }> {
  const tenant = await api<{ keys: { sandbox: string; live: string } }>('POST', '/v1/admin/tenants', {
    key: 'dev-admin-token',
    body: { name },
  });
  expect(tenant.status).toBe(201);
  return tenant.body.keys;
}

async function createEndpoint(api: ApiCall, key: string, url: string, extra: Record<string, unknown> = {}) {
  const response = await api<{ id: string }>('POST', '/v1/endpoints', {
    key,
    body: { url, eventTypes: ['payout.updated'], ...extra },
  });
  expect(response.status).toBe(201);
  return response.body.id;
}

async function publish(api: ApiCall, key: string, transactionId: string): Promise<string> {
  const response = await api<{ id: string }>('POST', '/v1/events', {
    key,
    body: { type: 'payout.updated', data: samplePayin({ transactionId, status: 'processing' }) },
  });
  expect(response.status).toBe(202);
  return response.body.id;
}

const eventIdOf = (webhook: ReceivedWebhook) => (JSON.parse(webhook.body) as { id: string }).id;

describe('POST /v1/endpoints/:id/recover', () => {
  const prefix = uniqueName('it-recover');
  const receiver = new TestReceiver();
  const running: RunningApp[] = [];
  let api: ApiCall;
  let receiverUrl: string;
  let grpcAddress: string;
  let key: string;

  beforeAll(async () => {
    receiverUrl = await receiver.listen();
    const producer = await startProducer(prefix);
    grpcAddress = producer.grpcAddress;
    running.push(producer.app, await startDispatcher(prefix));
    api = apiClient(producer.baseUrl);
    key = (await tenantKeys(api, 'recover')).sandbox;
  });

  afterAll(async () => {
    await Promise.all(running.map((app) => app.stop()));
    await receiver.close();
    await cleanUp(prefix, api?.tenantIds);
  });

  const delivery = async (id: string) => (await api<Delivery>('GET', `/v1/deliveries/${id}`, { key })).body;
  /** The delivery once it has this status. */
  const deliveryWhen = (id: string, status: string) =>
    waitFor(`${id} to be ${status}`, async () => {
      const current = await delivery(id);
      return current.status === status ? current : undefined;
    });

  it('sends every failed delivery since a time again: a second attempt, the same webhook-id; older ones stay', async () => {
    receiver.answer('/recover', 500);
    const endpointId = await createEndpoint(api, key, `${receiverUrl}/recover`);
    const earlierId = deliveryIdFor(await publish(api, key, 'recover_earlier'), endpointId);
    const earlier = await deliveryWhen(earlierId, 'failed');
    const since = new Date(Date.parse(earlier.createdAt) + 1).toISOString();
    const eventIds: string[] = [];
    for (let n = 0; n < 3; n++) eventIds.push(await publish(api, key, `recover_${n}`));
    const ids = eventIds.map((eventId) => deliveryIdFor(eventId, endpointId));
    await waitFor('four failed deliveries', async () => {
      const listed = await api<{ data: { id: string; status: string }[] }>(
        'GET',
        `/v1/deliveries?endpointId=${endpointId}&status=failed&limit=100`,
        { key },
      );
      return listed.body.data.length === 4;
    });

    receiver.answer('/recover', 200);
    const recovered = await api('POST', `/v1/endpoints/${endpointId}/recover`, { key, body: { since } });
    expect(recovered).toEqual({ status: 202, body: { recovering: 3, since } });

    for (const id of ids) {
      const done = await deliveryWhen(id, 'succeeded');
      expect(done.attempts.map((attempt) => [attempt.n, attempt.statusCode])).toEqual([
        [1, 500],
        [2, 200],
      ]);
      expect(receiver.on('/recover').filter((webhook) => webhook.headers['webhook-id'] === id)).toHaveLength(2);
    }
    expect(await delivery(earlierId)).toMatchObject({ status: 'failed', attempts: [{ n: 1, statusCode: 500 }] });
    expect(receiver.on('/recover').filter((webhook) => webhook.headers['webhook-id'] === earlierId)).toHaveLength(1);
  });

  it('sends exhausted deliveries again too', async () => {
    receiver.answer('/exhausted', 500);
    const endpointId = await createEndpoint(api, key, `${receiverUrl}/exhausted`, { retrySchedule: [] });
    const id = deliveryIdFor(await publish(api, key, 'recover_exhausted'), endpointId);
    const exhausted = await deliveryWhen(id, 'exhausted');
    expect(exhausted.exhaustedReason).toBe('retries_exhausted');

    receiver.answer('/exhausted', 200);
    const recovered = await api('POST', `/v1/endpoints/${endpointId}/recover`, {
      key,
      body: { since: exhausted.createdAt },
    });
    expect(recovered).toEqual({ status: 202, body: { recovering: 1, since: exhausted.createdAt } });
    const done = await deliveryWhen(id, 'succeeded');
    expect(done.attempts.map((attempt) => [attempt.n, attempt.statusCode])).toEqual([
      [1, 500],
      [2, 200],
    ]);
    expect(done.exhaustedReason).toBeNull();
  });

  it('ends a delivery whose endpoint was disabled before it went out as exhausted, and sends it once recovered', async () => {
    const endpointId = await createEndpoint(api, key, `${receiverUrl}/paused`);
    // The dispatcher is away while the event fans out and the merchant pauses the endpoint.
    const dispatcher = running.splice(1, 1)[0] as RunningApp;
    await dispatcher.stop();
    const id = deliveryIdFor(await publish(api, key, 'recover_paused'), endpointId);
    const pending = await waitFor('the pending delivery', async () => {
      const current = await api<Delivery>('GET', `/v1/deliveries/${id}`, { key });
      return current.status === 200 ? current.body : undefined;
    });
    expect(pending).toMatchObject({ status: 'pending', exhaustedReason: null });
    const paused = await api('PATCH', `/v1/endpoints/${endpointId}`, { key, body: { status: 'disabled' } });
    expect(paused.status).toBe(200);
    running.push(await startDispatcher(prefix));

    // Not left pending for ever: exhausted, with the reason, and nothing sent.
    const ended = await deliveryWhen(id, 'exhausted');
    expect(ended).toMatchObject({ exhaustedReason: 'endpoint_disabled', nextAttemptAt: null, attempts: [] });
    expect(receiver.on('/paused')).toHaveLength(0);
    const grpc = deliveryStatusClient(grpcAddress, key);
    try {
      expect(await grpc.getDelivery(id)).toMatchObject({ status: 'exhausted', exhaustedReason: 'endpoint_disabled' });
    } finally {
      grpc.close();
    }

    const resumed = await api('PATCH', `/v1/endpoints/${endpointId}`, { key, body: { status: 'enabled' } });
    expect(resumed.status).toBe(200);
    const recovered = await api('POST', `/v1/endpoints/${endpointId}/recover`, {
      key,
      body: { since: pending.createdAt },
    });
    expect(recovered).toEqual({ status: 202, body: { recovering: 1, since: pending.createdAt } });
    const done = await deliveryWhen(id, 'succeeded');
    expect(done.attempts.map((attempt) => [attempt.n, attempt.statusCode])).toEqual([[1, 200]]);
    expect(done.exhaustedReason).toBeNull();
    expect(receiver.on('/paused').map((webhook) => webhook.headers['webhook-id'])).toEqual([id]);
  });

  it('answers 400 for a missing, malformed or future since, 404 for an unknown or foreign endpoint, 409 when disabled', async () => {
    const endpointId = await createEndpoint(api, key, `${receiverUrl}/recover-refused`);
    const path = `/v1/endpoints/${endpointId}/recover`;
    const future = new Date(Date.now() + 3_600_000).toISOString();
    for (const [body, message] of [
      [{}, /./],
      [{ since: 'yesterday' }, /./],
      [{ since: future }, /future/],
    ] as const) {
      const refused = await api<ErrorBody>('POST', path, { key, body });
      expect(refused.status).toBe(400);
      expect(refused.body.error).toMatchObject({
        code: 'invalid_request',
        message: expect.any(String),
        details: [{ field: 'since', message: expect.stringMatching(message) }],
      });
    }

    const since = new Date().toISOString();
    const other = await tenantKeys(api, 'recover-other');
    for (const foreignKey of [other.sandbox, other.live]) {
      const foreign = await api<ErrorBody>('POST', path, { key: foreignKey, body: { since } });
      expect(foreign.status).toBe(404);
      expect(foreign.body.error.code).toBe('not_found');
    }
    expect((await api('POST', '/v1/endpoints/ep_missing/recover', { key, body: { since } })).status).toBe(404);

    expect((await api('PATCH', `/v1/endpoints/${endpointId}`, { key, body: { status: 'disabled' } })).status).toBe(200);
    const disabled = await api<ErrorBody>('POST', path, { key, body: { since } });
    expect(disabled.status).toBe(409);
    expect(disabled.body.error.code).toBe('endpoint_unavailable');
  });
});

describe('disabling an endpoint every delivery of which fails for ENDPOINT_DISABLE_AFTER', () => {
  const prefix = uniqueName('it-endpoint-health');
  const topics = topicNames(prefix);
  const receiver = new TestReceiver();
  const running: RunningApp[] = [];
  let database: Awaited<ReturnType<typeof createDatabase>>;
  let api: ApiCall;
  let producerUrl: string;
  let receiverUrl: string;
  let key: string;
  let dead: string;
  let flaky: string;

  beforeAll(async () => {
    // A database of its own: a 3 s window swept twice a second must not touch other tests' endpoints.
    database = await createDatabase('it_endpoint_health');
    receiverUrl = await receiver.listen();
    const producer = await startProducer(prefix, {
      DATABASE_URL: database.url,
      ENDPOINT_DISABLE_AFTER: '3s',
      ENDPOINT_HEALTH_SWEEP_INTERVAL: '500ms',
    });
    producerUrl = producer.baseUrl;
    // The circuit stays closed, so that a re-enabled endpoint is attempted at once.
    running.push(producer.app, await startDispatcher(prefix, { CIRCUIT_FAILURE_THRESHOLD: '1000' }));
    api = apiClient(producer.baseUrl);
    key = (await tenantKeys(api, 'endpoint-health')).sandbox;
  });

  afterAll(async () => {
    await Promise.all(running.map((app) => app.stop()));
    await receiver.close();
    await cleanUp(prefix);
    await database?.drop();
  });

  const endpoint = async (id: string) => (await api<Endpoint>('GET', `/v1/endpoints/${id}`, { key })).body;

  async function completedSweeps(): Promise<number> {
    const text = await (await fetch(`${producerUrl}/metrics`)).text();
    const match = /^hookstream_endpoint_health_sweeps_total\{[^}]*outcome="completed"[^}]*\} (\d+)$/m.exec(text);
    return Number(match?.[1] ?? 0);
  }

  it('disables an always-failing endpoint once the window has passed, and not one that succeeds now and then', async () => {
    receiver.answer('/dead', 500);
    let flakyRequests = 0;
    receiver.answer('/flaky', (_, response) => {
      flakyRequests += 1;
      response.writeHead(flakyRequests % 2 === 0 ? 200 : 500).end();
    });
    dead = await createEndpoint(api, key, `${receiverUrl}/dead`);
    flaky = await createEndpoint(api, key, `${receiverUrl}/flaky`);

    // An event every half second, to both, until the dead endpoint is disabled.
    const eventIds: string[] = [];
    const disabled = await waitFor(
      'the always-failing endpoint to be disabled',
      async () => {
        eventIds.push(await publish(api, key, `health_${eventIds.length}`));
        const current = await endpoint(dead);
        return current.status === 'disabled' ? current : undefined;
      },
      { intervalMs: 500, timeoutMs: 30_000 },
    );
    // The flaky endpoint succeeds from now on: its last attempt is a success, whatever the one before.
    receiver.answer('/flaky', 200);
    const recovered = await publish(api, key, 'health_flaky_ok');
    await waitFor('a success at the flaky endpoint', () =>
      receiver.on('/flaky').some((webhook) => eventIdOf(webhook) === recovered),
    );

    expect(disabled.disabledReason).toBe('every delivery failed for 3s');
    const first = (await api<Delivery>('GET', `/v1/deliveries/${deliveryIdFor(eventIds[0] ?? '', dead)}`, { key })).body
      .attempts[0];
    expect(first?.statusCode).toBe(500);
    const disabledAfterMs = Date.parse(disabled.updatedAt) - Date.parse(first?.at ?? '');
    expect(disabledAfterMs).toBeGreaterThanOrEqual(3000);
    expect(disabledAfterMs).toBeLessThan(10_000);
    expect(await endpoint(flaky)).toMatchObject({ status: 'enabled', disabledReason: null });

    const log = await readTopic<EndpointDisabled>(topics.deliveryEvents, (records) =>
      records.some((record) => record.key === dead && record.value?.disabledAt !== undefined),
    );
    const requests = log.filter((record) => record.value?.disabledAt !== undefined);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({
      key: dead,
      value: { endpointId: dead, reason: 'every delivery failed for 3s' },
    });

    // A new event goes to the flaky endpoint only: no delivery, no request for the disabled one.
    const after = await publish(api, key, 'health_after');
    const fannedOut = await waitFor('the new event at the flaky endpoint', async () => {
      const event = await api<{ deliveries: { endpointId: string }[] }>('GET', `/v1/events/${after}`, { key });
      return event.status === 200 && event.body.deliveries.length > 0 ? event.body : undefined;
    });
    expect(fannedOut.deliveries.map((delivery) => delivery.endpointId)).toEqual([flaky]);
    await waitFor('the flaky endpoint to receive it', () =>
      receiver.on('/flaky').some((webhook) => eventIdOf(webhook) === after),
    );
    expect(receiver.on('/dead').filter((webhook) => eventIdOf(webhook) === after)).toEqual([]);
    expect(await endpoint(flaky)).toMatchObject({ status: 'enabled' });
  });

  it('delivers to a re-enabled endpoint again, counting its failures from then on', async () => {
    const enabled = await api<Endpoint>('PATCH', `/v1/endpoints/${dead}`, { key, body: { status: 'enabled' } });
    expect(enabled).toMatchObject({ status: 200, body: { status: 'enabled', disabledReason: null } });

    // Still failing: its old failures are older than the window, yet they no longer count.
    const eventId = await publish(api, key, 'health_reenabled');
    await waitFor('the re-enabled endpoint to receive the event', () =>
      receiver.on('/dead').some((webhook) => eventIdOf(webhook) === eventId),
    );
    await waitFor('the failed attempt in the projections', async () => {
      const current = await api<Delivery>('GET', `/v1/deliveries/${deliveryIdFor(eventId, dead)}`, { key });
      return current.status === 200 && current.body.attempts.length === 1;
    });
    const sweeps = await completedSweeps();
    await waitFor('two more sweeps', async () => (await completedSweeps()) >= sweeps + 2);
    expect(await endpoint(dead)).toMatchObject({ status: 'enabled', disabledReason: null });
    expect(await endpoint(flaky)).toMatchObject({ status: 'enabled' });
  });
});
