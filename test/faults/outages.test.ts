// Kafka and then Postgres stopped for a few seconds under the apps, on a throwaway stack (the shared one is
// never touched): the API answers 503 with Retry-After (gRPC UNAVAILABLE), never a 500 or a hang; delivery
// goes on through Kafka while Postgres is down; everything accepted is delivered and projected afterwards.
import { status } from '@grpc/grpc-js';
import { Kafka, logLevel } from 'kafkajs';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ApiCall, apiClient, samplePayin } from '../support/api';
import { type RunningApp, startDispatcher, startProducer } from '../support/app-process';
import { deliveryStatusClient } from '../support/grpc-client';
import { TestReceiver } from '../support/receiver';
import { runStackScript, throwawayStackEnv, uniqueName } from '../support/stack';
import { waitFor } from '../support/wait-for';

/** Short, so that the test stays quick; the default (5 s) is the same code path. */
const PUBLISH_TIMEOUT_MS = 2000;

const prefix = uniqueName('outages');
const dir = mkdtempSync(join(tmpdir(), 'hookstream-outages-'));
const receiver = new TestReceiver();
const apps: RunningApp[] = [];
let stackEnv: NodeJS.ProcessEnv;
let api: ApiCall;
let baseUrl: string;
let grpcAddress: string;
let keys: { sandbox: string; live: string };
let endpointId: string;

type ErrorBody = { error?: { code: string } };

/**
 * A broker's first start loads its group coordinators (the partitions of __consumer_offsets) after it
 * opens its port; a consumer started before that may give up for good ("Failed to find group
 * coordinator"), so the apps wait until groups of many names, spread over those partitions, find theirs.
 */
async function waitForGroupCoordinators(): Promise<void> {
  const admin = new Kafka({ brokers: [stackEnv.KAFKA_BROKERS ?? ''], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const groups = Array.from({ length: 32 }, (_, index) => `${prefix}-warm-up-${index}`);
  try {
    await waitFor('the group coordinators', () => admin.describeGroups(groups).then(() => true), {
      timeoutMs: 60_000,
      intervalMs: 250,
    });
  } finally {
    await admin.disconnect();
  }
}

function stack(...args: string[]): void {
  const result = runStackScript(args, stackEnv);
  if (result.status !== 0) throw new Error(`stack ${args.join(' ')} failed: ${result.stderr}`);
}

function publish(transactionId: string, headers: Record<string, string> = {}) {
  return api<ErrorBody & { id?: string }>('POST', '/v1/events', {
    key: keys.sandbox,
    headers,
    body: event(transactionId),
  });
}

/** A call with how long it took and its Retry-After (which the api client does not keep). */
async function timed(
  method: string,
  path: string,
  { key, body, headers = {} }: { key: string; body?: unknown; headers?: Record<string, string> },
) {
  const started = Date.now();
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    code: (JSON.parse(text || '{}') as ErrorBody).error?.code,
    retryAfter: response.headers.get('retry-after'),
    ms: Date.now() - started,
  };
}

const event = (transactionId: string) => ({ type: 'payin.succeeded', data: samplePayin({ transactionId }) });

const delivered = () => new Set(receiver.received.map((webhook) => JSON.parse(webhook.body).data.transactionId));

beforeAll(async () => {
  chmodSync(dir, 0o755);
  stackEnv = await throwawayStackEnv(dir);
  stack('up');
  await waitForGroupCoordinators();
  const appEnv = {
    KAFKA_BROKERS: stackEnv.KAFKA_BROKERS,
    SCHEMA_REGISTRY_URL: stackEnv.SCHEMA_REGISTRY_URL,
    DATABASE_URL: stackEnv.DATABASE_URL,
    SCHEMA_CACHE_DIR: join(dir, 'schema-cache'),
    PUBLISH_TIMEOUT: `${PUBLISH_TIMEOUT_MS}ms`,
    ...(process.env.OUTAGE_LOGS ? { LOG_LEVEL: 'info' } : {}),
  };
  const receiverUrl = await receiver.listen();
  // One after the other: both register the schemas in a registry that has none yet.
  const producer = await startProducer(prefix, appEnv);
  apps.push(producer.app);
  apps.push(await startDispatcher(prefix, appEnv));
  baseUrl = producer.baseUrl;
  api = apiClient(baseUrl);
  grpcAddress = producer.grpcAddress;
  keys = (
    await api<{ keys: { sandbox: string; live: string } }>('POST', '/v1/admin/tenants', {
      key: 'dev-admin-token',
      body: { name: 'outages' },
    })
  ).body.keys;
  endpointId = (
    await api<{ id: string }>('POST', '/v1/endpoints', {
      key: keys.sandbox,
      body: { url: `${receiverUrl}/hook`, eventTypes: ['payin.succeeded'] },
    })
  ).body.id;
  // The pipeline works before anything is stopped.
  expect((await publish('warm-up')).status).toBe(202);
  await waitFor('the warm-up delivery', () => delivered().has('warm-up'), { timeoutMs: 30_000 });
});

afterAll(async () => {
  for (const app of apps) await app.stop();
  if (process.env.OUTAGE_LOGS) for (const app of apps) process.stdout.write(`--- ${app.name}\n${app.output()}\n`);
  await receiver.close();
  if (stackEnv) runStackScript(['down'], stackEnv);
  rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  for (const app of apps) expect({ app: app.name, exit: app.process.exitCode }).toEqual({ app: app.name, exit: null });
});

describe('with Kafka stopped', () => {
  it('answers 503 with Retry-After within the publish timeout, then accepts again and delivers all it accepted', async () => {
    const accepted = new Set<string>();
    const keyed = `outage-${prefix}`;
    expect((await publish('kafka-before')).status).toBe(202);
    accepted.add('kafka-before');

    stack('down', '--only', 'kafka');
    const key = keys.sandbox;
    const during = await Promise.all([
      timed('POST', '/v1/events', { key, body: event('kafka-down') }),
      timed('POST', '/v1/events', { key, body: event('kafka-down-keyed'), headers: { 'idempotency-key': keyed } }),
      timed('POST', `/v1/endpoints/${endpointId}/test`, { key, body: { eventType: 'payin.succeeded' } }),
    ]);
    for (const answer of during) {
      expect({ status: answer.status, code: answer.code }).toEqual({ status: 503, code: 'unavailable' });
      expect(answer.retryAfter).toMatch(/^[1-9]\d?$/);
      expect(answer.ms).toBeLessThan(PUBLISH_TIMEOUT_MS + 1500);
    }

    stack('up');
    const restarted = Date.now();
    const statuses: number[] = [];
    await waitFor(
      'ingest to accept again',
      async () => {
        const answer = await publish(`kafka-after-${statuses.length}`);
        statuses.push(answer.status);
        if (answer.status === 202) accepted.add(`kafka-after-${statuses.length - 1}`);
        return answer.status === 202;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    const recoveredInMs = Date.now() - restarted;
    expect(statuses.every((code) => code === 202 || code === 503)).toBe(true);

    // The same Idempotency-Key: accepted now, under one event id whatever became of the first attempt.
    const keyedId = await waitFor('the keyed retry to be accepted', async () => {
      const answer = await publish('kafka-down-keyed', { 'idempotency-key': keyed });
      expect([202, 409, 503]).toContain(answer.status);
      return answer.status === 202 ? answer.body.id : undefined;
    });
    expect((await publish('kafka-down-keyed', { 'idempotency-key': keyed })).body.id).toBe(keyedId);
    accepted.add('kafka-down-keyed');

    await waitFor('every accepted event delivered', () => [...accepted].every((id) => delivered().has(id)), {
      timeoutMs: 30_000,
    });
    if (process.env.OUTAGE_TIMINGS)
      process.stdout.write(
        `503s in ${during.map((answer) => answer.ms).join(', ')} ms; ingest back ${recoveredInMs} ms after the restart\n`,
      );
  });
});

describe('with Postgres stopped', () => {
  it('goes on delivering, answers 503 / UNAVAILABLE to what needs Postgres, and projects everything once it is back', async () => {
    expect((await publish('pg-before')).status).toBe(202);
    await waitFor('the first delivery', () => delivered().has('pg-before'));

    stack('down', '--only', 'postgres');
    const key = keys.sandbox;
    const queries = [
      await timed('GET', '/v1/deliveries', { key }),
      await timed('GET', `/v1/endpoints/${endpointId}`, { key }),
      // A key not read before: it cannot be checked, which is not the same as invalid.
      await timed('POST', '/v1/events', { key: keys.live, body: event('pg-unread-key') }),
      // An Idempotency-Key needs its claim in Postgres.
      await timed('POST', '/v1/events', {
        key,
        body: event('pg-keyed'),
        headers: { 'idempotency-key': `pg-${prefix}` },
      }),
    ];
    for (const answer of queries) {
      expect({ status: answer.status, code: answer.code }).toEqual({ status: 503, code: 'unavailable' });
      expect(answer.retryAfter).toMatch(/^[1-9]\d?$/);
    }
    const grpc = deliveryStatusClient(grpcAddress, keys.sandbox);
    try {
      await expect(grpc.listDeliveries({})).rejects.toMatchObject({ code: status.UNAVAILABLE });
    } finally {
      grpc.close();
    }

    // Ingest needs only Kafka (and a key read within the last minutes); the fan-out and dispatcher no Postgres.
    const during = await publish('pg-down');
    expect(during.status).toBe(202);
    await waitFor('delivery during the outage', () => delivered().has('pg-down'));

    stack('up');
    const projected = await waitFor(
      'the projections to catch up',
      async () => {
        const answer = await api<{ deliveries: { endpointId: string; status: string }[] }>(
          'GET',
          `/v1/events/${during.body.id}`,
          { key: keys.sandbox },
        );
        return answer.status === 200 && answer.body.deliveries[0]?.status === 'succeeded' ? answer.body : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(projected.deliveries).toEqual([expect.objectContaining({ endpointId, status: 'succeeded' })]);
  });
});
