// Tenant and environment isolation on every route, REST (enumerated from the served OpenAPI spec) and gRPC:
// a foreign id is a 404 that changes nothing, lists, filters and cursors never show another scope's rows.
import { status as grpcStatus } from '@grpc/grpc-js';
import { deliveryIdFor } from '@hookstream/delivery';
import { startDispatcher, startProducer, type RunningApp } from '../support/app-process';
import { apiClient, samplePayin, type ApiCall, type ApiResponse } from '../support/api';
import { cleanUp } from '../support/clean-up';
import { deliveryStatusClient } from '../support/grpc-client';
import { TestReceiver } from '../support/receiver';
import { uniqueName } from '../support/stack';
import { waitFor } from '../support/wait-for';

type Environment = 'sandbox' | 'live';

interface Scope {
  readonly name: string;
  readonly tenantId: string;
  readonly environment: Environment;
  readonly key: string;
  readonly endpointIds: string[];
  readonly eventIds: string[];
  readonly deliveryIds: string[];
  /** A replay job of one of its endpoints. */
  readonly replayIds: string[];
  /** A failed delivery (to a failing endpoint): what retry and recover would act on. */
  failedDeliveryId: string;
  failingEndpointId: string;
}

interface DeliverySummary {
  id: string;
  endpointId: string;
  status: string;
  attemptCount: number;
  transactionId: string | null;
}

interface Page {
  data: DeliverySummary[];
  nextCursor: string | null;
}

interface OpenApi {
  paths: Record<string, Record<string, unknown>>;
}

const prefix = uniqueName('it-isolation');
const sharedTransaction = `txn_${prefix}_shared`;
const idempotencyKey = `idem-${prefix}`;
const receiver = new TestReceiver();
const running: RunningApp[] = [];
let api: ApiCall;
let grpcAddress: string;
let baseUrl: string;
let receiverUrl: string;
const scopes: Record<string, Scope> = {};
/** The Idempotency-Key'd event of each scope that sent one. */
const idempotentEvents: Record<string, string> = {};

const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** Routes without an id: each is checked by a list, filter or idempotency test below. */
const ROUTES_WITHOUT_ID = new Set([
  'GET /health/live',
  'GET /health/ready',
  'GET /metrics',
  'POST /v1/admin/tenants',
  'GET /v1/endpoints',
  'POST /v1/endpoints',
  'POST /v1/events',
  'GET /v1/deliveries',
  'GET /v1/deliveries/stats',
  'GET /v1/event-types',
]);

/** A valid body for each route with an id that takes one, so that only the id can make it fail. */
const hourAgo = () => new Date(Date.now() - 3_600_000).toISOString();
const BODIES: Record<string, () => unknown> = {
  'PATCH /v1/endpoints/{id}': () => ({ description: 'hijacked', status: 'disabled', timeoutMs: 2000 }),
  'POST /v1/endpoints/{id}/test': () => ({ eventType: 'payout.updated' }),
  'POST /v1/endpoints/{id}/recover': () => ({ since: hourAgo() }),
  'POST /v1/endpoints/{id}/replay': () => ({ since: hourAgo(), eventTypes: ['payout.updated'] }),
};

beforeAll(async () => {
  receiverUrl = await receiver.listen();
  receiver.answer('/A-sandbox/fail', 500);
  receiver.answer('/B-sandbox/fail', 500);
  const producer = await startProducer(prefix);
  running.push(producer.app, await startDispatcher(prefix));
  baseUrl = producer.baseUrl;
  api = apiClient(baseUrl);
  grpcAddress = producer.grpcAddress;

  for (const tenant of ['A', 'B']) {
    const created = await api<{ id: string; keys: Record<Environment, string> }>('POST', '/v1/admin/tenants', {
      key: 'dev-admin-token',
      body: { name: `isolation-${tenant}` },
    });
    expect(created.status).toBe(201);
    for (const environment of ['sandbox', 'live'] as const) {
      scopes[`${tenant}-${environment}`] = await populate(
        `${tenant}-${environment}`,
        created.body.id,
        environment,
        created.body.keys[environment],
      );
    }
  }
  await Promise.all(Object.values(scopes).map((scope) => settled(scope)));
}, 120_000);

afterAll(async () => {
  await Promise.all(running.map((app) => app.stop()));
  await receiver.close();
  await cleanUp(prefix, api?.tenantIds);
});

/** Two endpoints (one answering 200 in sandbox, one always failing), events to both, one with an Idempotency-Key. */
async function populate(name: string, tenantId: string, environment: Environment, key: string): Promise<Scope> {
  // Live endpoints must be public https: nothing answers there, so their deliveries fail (and so have attempts).
  const base = environment === 'sandbox' ? `${receiverUrl}/${name}` : 'https://93.184.216.34/hook';
  const endpoint = async (path: string) => {
    const response = await api<{ id: string }>('POST', '/v1/endpoints', {
      key,
      body: { url: `${base}/${path}`, eventTypes: ['payout.updated'], timeoutMs: 1000, retrySchedule: ['2h'] },
    });
    expect(response.status).toBe(201);
    return response.body.id;
  };
  const ok = await endpoint('ok');
  const failing = await endpoint('fail');
  // Before any event: a replay job that matches nothing and sends nothing, but exists.
  const replay = await api<{ jobId: string }>('POST', `/v1/endpoints/${ok}/replay`, {
    key,
    body: { since: hourAgo() },
  });
  expect(replay.status).toBe(202);
  const publish = async (transactionId: string, headers: Record<string, string> = {}) => {
    const response = await api<{ id: string }>('POST', '/v1/events', {
      key,
      headers,
      body: { type: 'payout.updated', data: samplePayin({ transactionId, status: 'processing' }) },
    });
    expect(response.status).toBe(202);
    return response.body.id;
  };
  const eventIds = [await publish(`txn_${prefix}_${name}`), await publish(sharedTransaction)];
  if (name === 'A-sandbox') {
    idempotentEvents[name] = await publish(sharedTransaction, { 'idempotency-key': idempotencyKey });
    eventIds.push(idempotentEvents[name]);
  }
  const firstEvent = eventIds[0] as string;
  return {
    name,
    tenantId,
    environment,
    key,
    endpointIds: [ok, failing],
    eventIds,
    deliveryIds: eventIds.flatMap((eventId) => [deliveryIdFor(eventId, ok), deliveryIdFor(eventId, failing)]),
    replayIds: [replay.body.jobId],
    failedDeliveryId: deliveryIdFor(firstEvent, failing),
    failingEndpointId: failing,
  };
}

/** Every delivery of the scope has had its first attempt and waits no more (failed ones retry in 2 h). */
async function settled(scope: Scope): Promise<void> {
  let last: unknown;
  await waitFor(
    `${scope.name}'s deliveries attempted`,
    async () => {
      const page = await api<Page>('GET', '/v1/deliveries?limit=100', { key: scope.key });
      last = page.body.data.map(({ id, status, attemptCount }) => ({ id, status, attemptCount }));
      return (
        page.body.data.length === scope.deliveryIds.length &&
        page.body.data.every((delivery) => delivery.attemptCount >= 1 && delivery.status !== 'pending')
      );
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  ).catch((error: Error) => {
    const logs = running.map((app) => `--- ${app.name} ---\n${app.output().slice(-3000)}`).join('\n');
    throw new Error(`${error.message}\nlast seen: ${JSON.stringify(last)}\n${logs}`, { cause: error });
  });
  const failed = await api<DeliverySummary>('GET', `/v1/deliveries/${scope.failedDeliveryId}`, { key: scope.key });
  expect(failed.body.status).toBe('failed');
}

const scopeNamed = (name: string): Scope => {
  const scope = scopes[name];
  if (!scope) throw new Error(`no scope ${name}`);
  return scope;
};
/** Every other scope's key: the other tenant's two, and the same tenant's other environment. */
const foreignScopes = (target: Scope) => Object.values(scopes).filter((scope) => scope !== target);
const ownIds = (scope: Scope) => new Set(scope.deliveryIds);

function expectNotFound(response: ApiResponse, context: string): void {
  expect({ context, status: response.status }).toEqual({ context, status: 404 });
  expect({ context, body: response.body }).toEqual({
    context,
    body: { error: { code: 'not_found', message: expect.any(String), details: expect.any(Array) } },
  });
}

/** What the owner sees of a scope: endpoints (without their moving health), events, deliveries with attempts. */
async function snapshot(scope: Scope) {
  const read = async (path: string) => {
    const response = await api<Record<string, unknown>>('GET', path, { key: scope.key });
    expect({ path, status: response.status }).toEqual({ path, status: 200 });
    return Object.fromEntries(Object.entries(response.body).filter(([field]) => field !== 'health'));
  };
  return {
    endpoints: await Promise.all(scope.endpointIds.map((id) => read(`/v1/endpoints/${id}`))),
    events: await Promise.all(scope.eventIds.map((id) => read(`/v1/events/${id}`))),
    deliveries: await Promise.all(scope.deliveryIds.map((id) => read(`/v1/deliveries/${id}`))),
    list: (await api<Page>('GET', '/v1/deliveries?limit=100', { key: scope.key })).body.data
      .map((delivery) => delivery.id)
      .sort(),
    received: receiver.received.filter((webhook) => webhook.path.startsWith(`/${scope.name}/`)).length,
  };
}

describe('tenant and environment isolation', () => {
  it('answers 404, in the error shape, for a foreign id on every route of the OpenAPI spec, and changes nothing', async () => {
    const spec = (await (await fetch(`${baseUrl}/docs-json`)).json()) as OpenApi;
    const operations = Object.entries(spec.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((method) => HTTP_METHODS.includes(method))
        .map((method) => ({ method: method.toUpperCase(), path })),
    );
    expect(operations.length).toBeGreaterThan(0);
    const withId = operations.filter((operation) => /\{[^}]+\}/.test(operation.path));
    const withoutId = operations.filter((operation) => !withId.includes(operation));
    // A route without an id that this test does not know of must be added to ROUTES_WITHOUT_ID and checked.
    expect(
      withoutId.map(({ method, path }) => `${method} ${path}`).filter((route) => !ROUTES_WITHOUT_ID.has(route)),
    ).toEqual([]);
    expect(withId.length).toBeGreaterThanOrEqual(9);

    const targets = [scopeNamed('A-sandbox'), scopeNamed('A-live')];
    const before = await Promise.all(targets.map((target) => snapshot(target)));
    const exercised = new Set<string>();
    for (const { method, path } of withId) {
      const route = `${method} ${path}`;
      for (const target of targets) {
        const resources: Record<string, string[]> = {
          endpoints: target.endpointIds,
          events: target.eventIds,
          deliveries: [target.failedDeliveryId, ...target.deliveryIds.slice(0, 1)],
          replays: target.replayIds,
        };
        const collection = /^\/v1\/([^/]+)\/\{[^}]+\}/.exec(path)?.[1] ?? '';
        const ids = resources[collection];
        if (!ids) throw new Error(`${route}: no fixture for the collection "${collection}": add one`);
        for (const attacker of foreignScopes(target)) {
          for (const id of ids) {
            const body = BODIES[route]?.();
            const response = await api(method, path.replace(/\{[^}]+\}/, encodeURIComponent(id)), {
              key: attacker.key,
              ...(body === undefined ? {} : { body }),
            });
            expectNotFound(response, `${route} on ${target.name}'s ${id} with ${attacker.name}'s key`);
          }
        }
      }
      exercised.add(route);
    }
    expect([...exercised].sort()).toEqual(withId.map(({ method, path }) => `${method} ${path}`).sort());

    // Nothing changed: no update, deletion, rotation, new delivery (test, retry, recover, replay) or webhook.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const after = await Promise.all(targets.map((target) => snapshot(target)));
    expect(after).toEqual(before);
  });

  it('lists only the caller scope, whatever the filters, even those naming another scope', async () => {
    const since = hourAgo();
    const until = new Date(Date.now() + 60_000).toISOString();
    for (const scope of Object.values(scopes)) {
      const own = ownIds(scope);
      const list = async (query: string) => {
        const response = await api<Page>('GET', `/v1/deliveries?limit=100${query}`, { key: scope.key });
        expect({ query, status: response.status }).toEqual({ query, status: 200 });
        return response.body.data.map((delivery) => delivery.id);
      };
      expect(new Set(await list(''))).toEqual(own);
      for (const query of [
        '&eventType=payout.updated',
        '&status=failed',
        '&status=succeeded',
        `&transactionId=${sharedTransaction}`,
        `&since=${encodeURIComponent(since)}`,
        `&until=${encodeURIComponent(until)}`,
        `&since=${encodeURIComponent(since)}&until=${encodeURIComponent(until)}&status=failed&eventType=payout.updated`,
      ]) {
        for (const id of await list(query))
          expect({ query, scope: scope.name, id, own: own.has(id) }).toMatchObject({ own: true });
      }
      expect(new Set(await list(`&transactionId=${sharedTransaction}`)).size).toBeGreaterThan(0);

      const endpoints = await api<{ data: { id: string }[] }>('GET', '/v1/endpoints', { key: scope.key });
      expect(endpoints.body.data.map((endpoint) => endpoint.id).sort()).toEqual([...scope.endpointIds].sort());

      for (const other of foreignScopes(scope)) {
        for (const endpointId of other.endpointIds) expect(await list(`&endpointId=${endpointId}`)).toEqual([]);
        expect(await list(`&transactionId=txn_${prefix}_${other.name}`)).toEqual([]);
      }

      const stats = await api<{ data: { total: number }[] }>('GET', '/v1/deliveries/stats?bucket=hour', {
        key: scope.key,
      });
      expect(stats.status).toBe(200);
      expect({ scope: scope.name, total: stats.body.data.reduce((sum, bucket) => sum + bucket.total, 0) }).toEqual({
        scope: scope.name,
        total: own.size,
      });

      // The catalogue's usage counts the caller's deliveries only (the projection may lag a little).
      await waitFor(`${scope.name}'s format-version usage`, async () => {
        const response = await api<{ data: { type: string; versions: { usage: { deliveries: number } }[] }[] }>(
          'GET',
          '/v1/event-types',
          { key: scope.key },
        );
        const usage = response.body.data
          .find((type) => type.type === 'payout.updated')
          ?.versions.reduce((sum, version) => sum + version.usage.deliveries, 0);
        const others = response.body.data
          .filter((type) => type.type !== 'payout.updated')
          .flatMap((type) => type.versions.map((version) => version.usage.deliveries));
        return usage === own.size && others.every((count) => count === 0);
      });
    }
  });

  it('never pages into another scope with a cursor, and answers 400 to a tampered one', async () => {
    const owner = scopeNamed('A-sandbox');
    const first = await api<Page>('GET', '/v1/deliveries?limit=2', { key: owner.key });
    const cursor = first.body.nextCursor;
    if (!cursor) throw new Error('no nextCursor on a page of 2');
    for (const attacker of foreignScopes(owner)) {
      const response = await api<Page>('GET', `/v1/deliveries?limit=100&cursor=${cursor}`, { key: attacker.key });
      expect([200, 400]).toContain(response.status);
      if (response.status === 200) {
        for (const row of response.body.data) expect(ownIds(owner).has(row.id)).toBe(false);
      }
      const filtered = await api<Page>(
        'GET',
        `/v1/deliveries?limit=100&cursor=${cursor}&endpointId=${owner.failingEndpointId}`,
        { key: attacker.key },
      );
      expect(filtered.status === 400 || filtered.body.data.length === 0).toBe(true);
    }
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    for (const tampered of [
      cursor.slice(0, -3),
      `${cursor}x`,
      encode(['not-a-date', 'dlv_x']),
      encode(['2026-13-45T99:00:00Z', 'dlv_x']),
      encode([1, 2]),
      encode({ createdAt: '2026-11-28T00:00:00Z' }),
      'not-a-cursor',
    ]) {
      const response = await api('GET', `/v1/deliveries?cursor=${encodeURIComponent(tampered)}`, { key: owner.key });
      expect({ tampered, status: response.status }).toEqual({ tampered, status: 400 });
      expect(response.body).toMatchObject({ error: { code: 'invalid_request' } });
    }
  });

  it("never answers another scope's event id for the same Idempotency-Key", async () => {
    const ownerEvent = idempotentEvents['A-sandbox'];
    if (!ownerEvent) throw new Error('no idempotent event');
    const body = {
      type: 'payout.updated',
      data: samplePayin({ transactionId: sharedTransaction, status: 'processing' }),
    };
    // The owner gets its own id back: the key works.
    const again = await api<{ id: string }>('POST', '/v1/events', {
      key: scopeNamed('A-sandbox').key,
      headers: { 'idempotency-key': idempotencyKey },
      body,
    });
    expect(again).toMatchObject({ status: 202, body: { id: ownerEvent } });
    for (const other of foreignScopes(scopeNamed('A-sandbox'))) {
      const response = await api<{ id: string }>('POST', '/v1/events', {
        key: other.key,
        headers: { 'idempotency-key': idempotencyKey },
        body,
      });
      expect(response.status).toBe(202);
      expect(response.body.id).not.toBe(ownerEvent);
      other.eventIds.push(response.body.id);
      for (const endpointId of other.endpointIds) other.deliveryIds.push(deliveryIdFor(response.body.id, endpointId));
    }
  });

  it('answers NOT_FOUND over gRPC for a foreign id, and lists only the caller scope', async () => {
    for (const target of [scopeNamed('A-sandbox'), scopeNamed('A-live')]) {
      const ownerClient = deliveryStatusClient(grpcAddress, target.key);
      let cursor: string | undefined;
      try {
        const page = await ownerClient.listDeliveries<Page>({ limit: 1 });
        cursor = page.nextCursor ?? undefined;
        expect(page.data).toHaveLength(1);
      } finally {
        ownerClient.close();
      }
      expect(cursor).toBeTruthy();
      for (const attacker of foreignScopes(target)) {
        const client = deliveryStatusClient(grpcAddress, attacker.key);
        const context = `${attacker.name} on ${target.name}`;
        try {
          for (const eventId of target.eventIds) {
            await expect(client.getEvent(eventId)).rejects.toMatchObject({ code: grpcStatus.NOT_FOUND });
          }
          for (const deliveryId of target.deliveryIds) {
            await expect(client.getDelivery(deliveryId)).rejects.toMatchObject({ code: grpcStatus.NOT_FOUND });
          }
          const own = ownIds(attacker);
          const requests: object[] = [
            {},
            { transactionId: sharedTransaction },
            { transactionId: `txn_${prefix}_${target.name}` },
            { status: 'failed' },
            { eventType: 'payout.updated' },
            { since: hourAgo() },
            ...target.endpointIds.map((endpointId) => ({ endpointId })),
            { limit: 100, cursor },
            { limit: 100, cursor, endpointId: target.failingEndpointId },
          ];
          for (const request of requests) {
            const page = await client
              .listDeliveries<Page>({ limit: 100, ...request })
              .catch((error: { code: number }) => {
                // Only a cursor may be refused, and then as invalid, never as an internal error.
                expect({ context, request, code: error.code }).toEqual({
                  context,
                  request,
                  code: 'cursor' in request ? grpcStatus.INVALID_ARGUMENT : -1,
                });
                return { data: [], nextCursor: null };
              });
            // proto3 leaves an empty repeated field out.
            for (const row of page.data ?? [])
              expect({ context, request, id: row.id, own: own.has(row.id) }).toMatchObject({ own: true });
            if (
              'endpointId' in request ||
              ('transactionId' in request && request.transactionId !== sharedTransaction)
            ) {
              expect({ context, request, rows: page.data ?? [] }).toEqual({ context, request, rows: [] });
            }
          }
          // A malformed time filter is invalid, not an internal error.
          for (const request of [{ since: 'yesterday' }, { until: '2026-13-45' }, { cursor: 'not-a-cursor' }]) {
            await expect(client.listDeliveries(request)).rejects.toMatchObject({ code: grpcStatus.INVALID_ARGUMENT });
          }
        } finally {
          client.close();
        }
      }
    }
  });
});
