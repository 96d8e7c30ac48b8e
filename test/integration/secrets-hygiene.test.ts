// Secrets hygiene: API keys, the admin token, endpoint secrets and the master key never show in the apps'
// output (debug level), in an error body, in a GET answer or in the dashboard's traffic; endpoint secrets
// are sealed at rest (Postgres and the endpoints topic) and API keys are stored as a hash and a lookup only.
import { topicNames, type EndpointConfigured } from '@hookstream/contracts';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { type Browser, chromium } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { startDispatcher, startProducer, type RunningApp } from '../support/app-process';
import { apiClient, samplePayin, type ApiCall, type ApiResponse } from '../support/api';
import { cleanUp } from '../support/clean-up';
import { TestReceiver } from '../support/receiver';
import { repoRoot, stackEnv, uniqueName } from '../support/stack';
import { readTopic } from '../support/topic-reader';
import { waitFor } from '../support/wait-for';

/** Installed by `npm test` (scripts/setup.mjs ensureChromium) when missing. */
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, '..', 'artifacts');
const ADMIN_TOKEN = 'dev-admin-token';

interface Tenant {
  id: string;
  keys: { sandbox: string; live: string };
}
interface Endpoint {
  id: string;
  secret: string;
}

const prefix = uniqueName('it-secrets');
const topics = topicNames(prefix);
const receiver = new TestReceiver();
const running: RunningApp[] = [];
let producer: RunningApp;
let dispatcher: RunningApp;
let api: ApiCall;
let baseUrl: string;
let receiverUrl: string;
let tenant: Tenant;
/** Every answer the test got, but those where the contract hands a secret out. */
const answers: { what: string; body: string }[] = [];
/** Every secret in play, by name, in every form it could leak in. */
const secrets = new Map<string, string[]>();

function remember(name: string, ...forms: string[]): void {
  secrets.set(name, forms);
}
/** An API key: itself, and its 40 random characters without the environment prefix. */
const keyForms = (key: string) => [key, key.replace(/^sk_(test|live)_/, '')];
/** An endpoint secret: itself, its base64 body, and its bytes in hex (a logged Buffer). */
const secretForms = (secret: string) => {
  const body = secret.replace(/^whsec_/, '');
  return [secret, body, Buffer.from(body, 'base64').toString('hex')];
};

/** The names of the secrets found in `text`. */
function leaked(text: string, except: readonly string[] = []): string[] {
  return [...secrets]
    .filter(([name, forms]) => !except.includes(name) && forms.some((form) => text.includes(form)))
    .map(([name]) => name);
}

/** A call whose answer must carry no secret at all. */
async function call<T = Record<string, unknown>>(
  what: string,
  method: string,
  path: string,
  options: Parameters<ApiCall>[2] = {},
): Promise<ApiResponse<T>> {
  const response = await api<T>(method, path, options);
  answers.push({ what: `${what}: ${method} ${path} → ${response.status}`, body: JSON.stringify(response.body) });
  return response;
}

async function createEndpoint(name: string, path: string, extra: Record<string, unknown> = {}): Promise<Endpoint> {
  const response = await api<Endpoint>('POST', '/v1/endpoints', {
    key: tenant.keys.sandbox,
    body: { url: `${receiverUrl}${path}`, eventTypes: ['*'], description: name, ...extra },
  });
  expect(response.status).toBe(201);
  expect(response.body.secret).toMatch(/^whsec_/);
  remember(`${name} secret`, ...secretForms(response.body.secret));
  // The one answer that carries it carries only its own.
  expect(leaked(JSON.stringify(response.body), [`${name} secret`])).toEqual([]);
  return response.body;
}

async function publish(transactionId: string): Promise<string> {
  const response = await call<{ id: string }>('publish', 'POST', '/v1/events', {
    key: tenant.keys.sandbox,
    body: { type: 'payin.succeeded', data: samplePayin({ transactionId }) },
  });
  expect(response.status).toBe(202);
  return response.body.id;
}

let okEndpoint: Endpoint;
let failingEndpoint: Endpoint;
let oldOkSecret: string;
let newOkSecret: string;
let browser: Browser | undefined;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  receiverUrl = await receiver.listen();
  receiver.answer('/fail', 500);
  const env = { LOG_LEVEL: 'debug' };
  const started = await startProducer(prefix, env);
  producer = started.app;
  running.push(producer);
  baseUrl = started.baseUrl;
  api = apiClient(baseUrl);
  dispatcher = await startDispatcher(prefix, env);
  running.push(dispatcher);

  remember('admin token', ADMIN_TOKEN);
  const master = readFileSync(join(repoRoot, '.stack/secrets.key'), 'utf8').trim();
  remember('master key', master, Buffer.from(master, 'base64').toString('hex'));

  const created = await api<Tenant>('POST', '/v1/admin/tenants', { key: ADMIN_TOKEN, body: { name: 'secrets' } });
  expect(created.status).toBe(201);
  tenant = created.body;
  remember('sandbox key', ...keyForms(tenant.keys.sandbox));
  remember('live key', ...keyForms(tenant.keys.live));
  expect(leaked(JSON.stringify(created.body), ['sandbox key', 'live key'])).toEqual([]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all(running.map((app) => app.stop()));
  await receiver.close();
  await cleanUp(prefix, api?.tenantIds);
});

describe('secrets in use', () => {
  it('signs and delivers with the endpoint secrets, rotated ones included', async () => {
    okEndpoint = await createEndpoint('ok endpoint', '/ok');
    failingEndpoint = await createEndpoint('failing endpoint', '/fail', { retrySchedule: ['1h'] });
    oldOkSecret = okEndpoint.secret;
    const rotated = await api<{ secret: string }>('POST', `/v1/endpoints/${okEndpoint.id}/rotate-secret`, {
      key: tenant.keys.sandbox,
    });
    expect(rotated.status).toBe(200);
    newOkSecret = rotated.body.secret;
    remember('rotated secret', ...secretForms(newOkSecret));
    expect(leaked(JSON.stringify(rotated.body), ['rotated secret'])).toEqual([]);
    await call('patch', 'PATCH', `/v1/endpoints/${failingEndpoint.id}`, {
      key: tenant.keys.sandbox,
      body: { timeoutMs: 5000 },
    });

    for (let n = 0; n < 3; n++) await publish(`txn_secrets_${n}`);
    await call('test event', 'POST', `/v1/endpoints/${okEndpoint.id}/test`, {
      key: tenant.keys.sandbox,
      body: { eventType: 'payin.succeeded' },
    });
    const delivered = await waitFor('webhooks to both endpoints', () =>
      receiver.on('/ok').length >= 4 && receiver.on('/fail').length >= 3 ? receiver.on('/ok') : undefined,
    );
    // Both secrets sign during the rotation, and the webhook carries no secret.
    for (const webhook of delivered) {
      for (const secret of [oldOkSecret, newOkSecret]) {
        expect(() => new Webhook(secret).verify(webhook.body, webhook.headers as Record<string, string>)).not.toThrow();
      }
      expect(leaked(JSON.stringify(webhook))).toEqual([]);
    }

    const failed = await waitFor('failed deliveries', async () => {
      const list = await call<{ data: { id: string; status: string }[] }>(
        'list failed',
        'GET',
        `/v1/deliveries?endpointId=${failingEndpoint.id}`,
        { key: tenant.keys.sandbox },
      );
      const data = list.body.data;
      return data.length >= 3 && data.every((delivery) => delivery.status === 'failed') ? data : undefined;
    });
    const first = failed[0];
    if (!first) throw new Error('no failed delivery');
    await call('retry', 'POST', `/v1/deliveries/${first.id}/retry`, { key: tenant.keys.sandbox });
    await waitFor('the retried attempt', async () => {
      const detail = await call<{ attempts: unknown[] }>('delivery', 'GET', `/v1/deliveries/${first.id}`, {
        key: tenant.keys.sandbox,
      });
      return detail.body.attempts.length >= 2;
    });
  });

  it('answers reads without any secret', async () => {
    const key = tenant.keys.sandbox;
    for (const path of [
      '/v1/endpoints',
      `/v1/endpoints/${okEndpoint.id}`,
      `/v1/endpoints/${failingEndpoint.id}`,
      '/v1/endpoints?formatVersion=2',
      '/v1/deliveries',
      `/v1/deliveries?endpointId=${okEndpoint.id}`,
      '/v1/deliveries/stats?bucket=hour',
      '/v1/event-types',
    ]) {
      const response = await call('read', 'GET', path, { key });
      expect(response.status).toBe(200);
      expect(JSON.stringify(response.body)).not.toMatch(/whsec_|"secrets?"/);
    }
    const endpoint = await call<Record<string, unknown>>('read', 'GET', `/v1/endpoints/${okEndpoint.id}`, { key });
    expect(Object.keys(endpoint.body)).not.toEqual(expect.arrayContaining(['secret']));
  });

  it('answers bad keys, bad JSON and bad bodies without echoing what it got', async () => {
    const wrong = {
      'unknown sandbox key': `sk_test_${'A'.repeat(40)}`,
      'unknown live key': `sk_live_${'Z9'.repeat(20)}`,
      'near-miss key': `${tenant.keys.sandbox.slice(0, -1)}${tenant.keys.sandbox.endsWith('x') ? 'y' : 'x'}`,
      'malformed key': `sk_test_revoked_${'q'.repeat(30)}`,
      'a secret as a key': newOkSecret,
    };
    for (const [name, value] of Object.entries(wrong)) if (!secrets.has(name)) remember(name, value);
    for (const [name, value] of Object.entries(wrong)) {
      const listed = await call(name, 'GET', '/v1/endpoints', { key: value });
      expect(listed.status).toBe(401);
      const created = await call(name, 'POST', '/v1/endpoints', {
        key: value,
        body: { url: `${receiverUrl}/x`, eventTypes: ['*'] },
      });
      expect(created.status).toBe(401);
      expect((await call(name, 'POST', '/v1/admin/tenants', { key: value, body: { name: 'x' } })).status).toBe(401);
    }
    // The live key on the admin route, the admin token on a tenant route.
    expect((await call('live key as admin', 'POST', '/v1/admin/tenants', { key: tenant.keys.live })).status).toBe(401);
    expect((await call('admin token as key', 'GET', '/v1/endpoints', { key: ADMIN_TOKEN })).status).toBe(401);

    const key = tenant.keys.sandbox;
    const malformed = await call('malformed JSON', 'POST', '/v1/endpoints', {
      key,
      rawBody: `{"url":"${tenant.keys.live}","secret":"${newOkSecret}",`,
    });
    expect(malformed.status).toBe(400);
    // Secrets in the wrong places of a body: never echoed in the error.
    const invalid: Record<string, unknown>[] = [
      { url: tenant.keys.live, eventTypes: ['*'] },
      { url: `${receiverUrl}/x`, eventTypes: [tenant.keys.live] },
      { url: `${receiverUrl}/x`, eventTypes: ['*'], secret: newOkSecret },
      { url: `${receiverUrl}/x`, eventTypes: ['*'], description: 42, retrySchedule: [newOkSecret] },
      { url: `https://user:${ADMIN_TOKEN}@93.184.216.34/`, eventTypes: ['*'] },
    ];
    for (const body of invalid) {
      expect((await call('invalid endpoint', 'POST', '/v1/endpoints', { key, body })).status).toBe(400);
    }
    expect(
      (
        await call('invalid event', 'POST', '/v1/events', {
          key,
          body: { type: newOkSecret, data: { transactionId: tenant.keys.live } },
        })
      ).status,
    ).toBe(400);
    const badData = await call<{ error: { details: { message: string }[] } }>('invalid data', 'POST', '/v1/events', {
      key,
      body: { type: 'payin.succeeded', data: samplePayin({ amount: tenant.keys.live, currency: newOkSecret }) },
    });
    expect(badData.status).toBe(400);
    const badTestType = await call<{ error: { details: { message: string }[] } }>(
      'invalid test type',
      'POST',
      `/v1/endpoints/${okEndpoint.id}/test`,
      { key, body: { eventType: newOkSecret } },
    );
    expect(badTestType.status).toBe(400);
    // Still says what was wrong, with the value masked.
    expect(badTestType.body.error.details).toEqual([
      expect.objectContaining({ message: expect.stringContaining('"whsec_[redacted]" is not in the catalogue') }),
    ]);
    expect(
      (
        await call('invalid patch', 'PATCH', `/v1/endpoints/${okEndpoint.id}`, {
          key,
          body: { secret: newOkSecret, timeoutMs: tenant.keys.live },
        })
      ).status,
    ).toBe(400);
    expect((await call('foreign id', 'GET', `/v1/endpoints/${newOkSecret}`, { key })).status).toBe(404);
    expect((await call('query', 'GET', `/v1/deliveries?status=${tenant.keys.live}`, { key })).status).toBe(400);
  });
});

describe('the dashboard', () => {
  it('receives no secret and no other key in any answer or address while browsing', async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const key = tenant.keys.sandbox;
    const traffic: Promise<{ url: string; body: string }>[] = [];
    const requests: { url: string; headers: Record<string, string>; body: string | null }[] = [];
    page.on('request', (request) =>
      requests.push({ url: request.url(), headers: request.headers(), body: request.postData() }),
    );
    page.on('response', (response) =>
      traffic.push(
        response
          .body()
          .then((body) => ({ url: response.url(), body: body.toString('utf8') }))
          .catch(() => ({ url: response.url(), body: '' })),
      ),
    );

    await page.goto(`${baseUrl}/dashboard`);
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Deliveries' }).waitFor();
    const delivery = await call<{ data: { id: string }[] }>(
      'list',
      'GET',
      `/v1/deliveries?endpointId=${okEndpoint.id}`,
      {
        key,
      },
    );
    const deliveryId = delivery.body.data[0]?.id;
    if (!deliveryId) throw new Error('no delivery');
    await page.getByRole('link', { name: deliveryId }).first().click();
    await page.locator('tr[data-attempt="1"]').waitFor();
    await page.getByRole('link', { name: 'Endpoints' }).click();
    await page.locator(`tr[data-id="${okEndpoint.id}"]`).waitFor();
    await page.locator(`tr[data-id="${failingEndpoint.id}"]`).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'secrets-endpoints.png'), fullPage: true });
    await page.getByRole('link', { name: 'Event types' }).click();
    await page.getByRole('heading', { name: 'Event types' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    await page.close();

    const bodies = await Promise.all(traffic);
    expect(bodies.some((answer) => answer.url.includes('/v1/endpoints'))).toBe(true);
    expect(bodies.some((answer) => answer.url.includes('/v1/deliveries/'))).toBe(true);
    for (const answer of bodies) {
      expect({ url: answer.url, leaked: leaked(`${answer.url}\n${answer.body}`) }).toEqual({
        url: answer.url,
        leaked: [],
      });
      expect(answer.body).not.toContain('whsec_');
    }
    // The typed key travels in the Authorization header only.
    for (const request of requests) {
      const { authorization, ...others } = request.headers;
      expect(leaked(`${request.url}\n${JSON.stringify(others)}\n${request.body ?? ''}`)).toEqual([]);
      if (authorization) expect(authorization).toBe(`Bearer ${key}`);
    }
  });
});

describe('secrets at rest', () => {
  it('keeps endpoint secrets sealed and API keys as a hash in Postgres', async () => {
    const pg = new Client({ connectionString: stackEnv.databaseUrl });
    await pg.connect();
    try {
      const endpoints = await pg.query<Record<string, unknown>>('SELECT * FROM endpoints WHERE tenant_id = $1', [
        tenant.id,
      ]);
      expect(endpoints.rows).toHaveLength(2);
      const ok = endpoints.rows.find((row) => row.id === okEndpoint.id);
      expect(Buffer.isBuffer(ok?.sealed_secret)).toBe(true);
      expect(Buffer.isBuffer(ok?.previous_sealed_secret)).toBe(true);
      for (const row of endpoints.rows) {
        for (const column of ['sealed_secret', 'previous_sealed_secret']) {
          const sealed = row[column];
          if (sealed === null) continue;
          if (!Buffer.isBuffer(sealed)) throw new Error(`${column} is not bytes`);
          for (const [name, forms] of secrets) {
            if (!name.endsWith('secret')) continue;
            const bytes = Buffer.from(forms[1] ?? '', 'base64');
            expect({ column, name, plaintext: sealed.includes(bytes) }).toEqual({ column, name, plaintext: false });
          }
          expect(leaked(rowText({ sealed }))).toEqual([]);
          expect(rowText({ sealed })).not.toContain('whsec_');
        }
        expect(leaked(rowText(row))).toEqual([]);
      }

      const keys = await pg.query<{ environment: string; lookup: string; hash: string } & Record<string, unknown>>(
        'SELECT * FROM api_keys WHERE tenant_id = $1',
        [tenant.id],
      );
      expect(keys.rows.map((row) => row.environment).sort()).toEqual(['live', 'sandbox']);
      for (const row of keys.rows) {
        const issued = row.environment === 'sandbox' ? tenant.keys.sandbox : tenant.keys.live;
        expect(issued.startsWith(row.lookup)).toBe(true);
        expect(row.lookup.length).toBeLessThan(issued.length - 20);
        expect(row.hash).toMatch(/^[0-9a-f]{64}$/);
        expect(leaked(rowText(row))).toEqual([]);
      }

      // Nothing else the tenant's activity wrote holds a secret either.
      for (const table of ['tenants', 'events', 'deliveries', 'idempotency_keys']) {
        const column = table === 'tenants' ? 'id' : 'tenant_id';
        const rows = await pg.query(`SELECT * FROM ${table} WHERE ${column} = $1`, [tenant.id]);
        expect({ table, leaked: leaked(rows.rows.map(rowText).join('\n')) }).toEqual({ table, leaked: [] });
      }
      const attempts = await pg.query(
        'SELECT * FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE tenant_id = $1)',
        [tenant.id],
      );
      expect(attempts.rows.length).toBeGreaterThan(0);
      expect(leaked(attempts.rows.map(rowText).join('\n'))).toEqual([]);
    } finally {
      await pg.end();
    }
  });

  it('carries sealed secrets only on the endpoints topic', async () => {
    const records = await readTopic<EndpointConfigured>(topics.endpoints, (read) =>
      read.some((record) => record.value?.endpointId === okEndpoint.id && record.value.secrets.length === 2),
    );
    const ours = records.filter((record) =>
      [okEndpoint.id, failingEndpoint.id].includes(record.value?.endpointId ?? ''),
    );
    expect(ours.length).toBeGreaterThanOrEqual(3);
    for (const record of ours) {
      expect(record.value.secrets.length).toBeGreaterThan(0);
      for (const { sealed } of record.value.secrets) {
        for (const [name, forms] of secrets) {
          if (!name.endsWith('secret')) continue;
          expect(sealed.includes(Buffer.from(forms[1] ?? '', 'base64'))).toBe(false);
        }
      }
      const text = rowText(record.value as unknown as Record<string, unknown>);
      expect(text).not.toContain('whsec_');
      expect(leaked(text)).toEqual([]);
    }
  });
});

describe('the apps’ output', () => {
  it('logs at debug level without any secret, key or token', async () => {
    // Stopped first: everything they would print is printed.
    await Promise.all(running.map((app) => app.stop()));
    for (const app of [producer, dispatcher]) {
      const output = app.output();
      expect(output.length).toBeGreaterThan(0);
      expect(output).toMatch(/"level":20/);
      expect({ app: app.name, leaked: leaked(output) }).toEqual({ app: app.name, leaked: [] });
      expect(output).not.toContain('whsec_');
    }
  });

  it('answered no secret outside the answers that hand one out', () => {
    const found = answers.map(({ what, body }) => ({ what, leaked: leaked(body) })).filter((a) => a.leaked.length);
    expect(found).toEqual([]);
    expect(answers.length).toBeGreaterThan(30);
  });
});

/** A row as text, its bytes in utf8, hex and base64, so that a secret stored in any of them shows. */
function rowText(row: Record<string, unknown>): string {
  return JSON.stringify(row, (_, value: unknown) => {
    const bytes =
      Buffer.isBuffer(value) || value instanceof Uint8Array
        ? Buffer.from(value)
        : (value as { type?: string; data?: number[] })?.type === 'Buffer'
          ? Buffer.from((value as { data: number[] }).data)
          : undefined;
    return bytes ? [bytes.toString('utf8'), bytes.toString('hex'), bytes.toString('base64')].join(' ') : value;
  });
}
