// Rate limits of the producer: the per-tenant ingest limit of POST /v1/events (429 with Retry-After), and the
// per-address block after repeated failed API-key authentications (REST 429, gRPC RESOURCE_EXHAUSTED).
import { status as grpcStatus, type ServiceError } from '@grpc/grpc-js';
import { startProducer, type RunningApp } from '../support/app-process';
import { apiClient, samplePayin, type ApiCall } from '../support/api';
import { cleanUp } from '../support/clean-up';
import { deliveryStatusClient } from '../support/grpc-client';
import { samplesOf, scrape } from '../support/metrics';
import { uniqueName } from '../support/stack';

interface Tenant {
  id: string;
  keys: { sandbox: string; live: string };
}
interface Answer {
  status: number;
  retryAfter: string | null;
  body: Record<string, unknown>;
}

// Bursts of 4, then 1 a second (a 4 s window); 5 failed authentications a minute, then a 2 s block.
const BURST = 4;
const FAILURES_PER_MINUTE = 5;
const BLOCK_SECONDS = 2;

const prefix = uniqueName('it-rate-limits');
let producer: RunningApp;
let baseUrl: string;
let grpcAddress: string;
let api: ApiCall;
let tenantA: Tenant;
let tenantB: Tenant;

const request = async (method: string, path: string, key: string | undefined, body?: unknown): Promise<Answer> => {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
  };
};
const publish = (key: string, transactionId: string) =>
  request('POST', '/v1/events', key, { type: 'payin.succeeded', data: samplePayin({ transactionId }) });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A 429 in the documented error shape, with a whole-second Retry-After of at least 1: that many seconds. */
const expectTooManyRequests = (answer: Answer, code: string): number => {
  expect(answer.status).toBe(429);
  expect(answer.body).toEqual({ error: { code, message: expect.any(String), details: [] } });
  expect(answer.retryAfter).toMatch(/^\d+$/);
  const seconds = Number(answer.retryAfter);
  expect(seconds).toBeGreaterThanOrEqual(1);
  return seconds;
};

const createTenant = async (name: string) => {
  const response = await api<Tenant>('POST', '/v1/admin/tenants', { key: 'dev-admin-token', body: { name } });
  expect(response.status).toBe(201);
  return response.body;
};

beforeAll(async () => {
  const started = await startProducer(prefix, {
    INGEST_RATE_LIMIT_PER_SECOND: '1',
    INGEST_RATE_LIMIT_BURST: String(BURST),
    AUTH_FAILURES_PER_MINUTE: String(FAILURES_PER_MINUTE),
    AUTH_FAILURE_BLOCK_SECONDS: String(BLOCK_SECONDS),
  });
  producer = started.app;
  baseUrl = started.baseUrl;
  grpcAddress = started.grpcAddress;
  api = apiClient(baseUrl);
  tenantA = await createTenant('rate-limited tenant A');
  tenantB = await createTenant('rate-limited tenant B');
});

afterAll(async () => {
  await producer?.stop();
  await cleanUp(prefix, api?.tenantIds);
});

describe('per-tenant ingest limit', () => {
  it('refuses a burst beyond the limit with 429 and Retry-After, publishing only what it accepted', async () => {
    const answers = await Promise.all(
      Array.from({ length: 3 * BURST }, (_, i) => publish(tenantA.keys.sandbox, `txn_burst_${i}`)),
    );
    const accepted = answers.filter((answer) => answer.status === 202);
    const refused = answers.filter((answer) => answer.status !== 202);
    expect(accepted.length).toBeGreaterThanOrEqual(1);
    expect(accepted.length).toBeLessThanOrEqual(BURST);
    expect(refused.length).toBeGreaterThanOrEqual(2 * BURST);
    for (const answer of accepted) expect(answer.body).toEqual(expect.objectContaining({ id: expect.any(String) }));
    for (const answer of refused) expect(expectTooManyRequests(answer, 'rate_limited')).toBeLessThanOrEqual(4);

    const metrics = await scrape(baseUrl);
    const ingested = samplesOf(metrics, 'hookstream_events_ingested_total').reduce((sum, s) => sum + s.value, 0);
    expect(ingested).toBe(accepted.length);
    expect(samplesOf(metrics, 'hookstream_ingest_errors_total', { reason: 'rate_limited' })[0]?.value).toBe(
      refused.length,
    );
  });

  it('leaves another tenant, and the same tenant in the other environment, unaffected meanwhile', async () => {
    const stillLimited = await publish(tenantA.keys.sandbox, 'txn_still_limited');
    const retryAfter = expectTooManyRequests(stillLimited, 'rate_limited');
    expect((await publish(tenantB.keys.sandbox, 'txn_other_tenant')).status).toBe(202);
    expect((await publish(tenantA.keys.live, 'txn_other_environment')).status).toBe(202);

    await sleep(retryAfter * 1000 + 200);
    const again = await publish(tenantA.keys.sandbox, 'txn_after_wait');
    expect(again).toMatchObject({ status: 202, retryAfter: null });
  });
});

describe('per-address failed-authentication throttling', () => {
  it('blocks an address after repeated bad keys, even with a valid key, until the block ends', async () => {
    const badKey = `${tenantA.keys.sandbox.slice(0, -4)}xxxx`;
    for (let i = 0; i < FAILURES_PER_MINUTE; i++) {
      const answer = await request('GET', '/v1/endpoints', i % 2 === 0 ? badKey : 'sk_test_nonsense');
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ error: { code: 'unauthorized' } });
    }
    const tripped = await request('GET', '/v1/endpoints', badKey);
    expect(expectTooManyRequests(tripped, 'too_many_failed_authentications')).toBeLessThanOrEqual(BLOCK_SECONDS);

    const validButBlocked = await request('GET', '/v1/endpoints', tenantA.keys.sandbox);
    expectTooManyRequests(validButBlocked, 'too_many_failed_authentications');
    expectTooManyRequests(
      await publish(tenantB.keys.sandbox, 'txn_blocked_address'),
      'too_many_failed_authentications',
    );
    const grpc = deliveryStatusClient(grpcAddress, tenantA.keys.sandbox);
    try {
      await expect(grpc.getDelivery('dlv_unknown')).rejects.toMatchObject({
        code: grpcStatus.RESOURCE_EXHAUSTED,
      } satisfies Partial<ServiceError>);
    } finally {
      grpc.close();
    }

    await sleep(Number(validButBlocked.retryAfter) * 1000 + 200);
    const afterBlock = await request('GET', '/v1/endpoints', tenantA.keys.sandbox);
    expect(afterBlock.status).toBe(200);
    expect(afterBlock.retryAfter).toBeNull();
  });
});
