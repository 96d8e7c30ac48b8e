// The dashboard in a real browser (Debian's Chromium, headless, driven by playwright-core): sign in,
// find a failed delivery by its transaction id, open it, retry it and see the new attempt; a
// screenshot of each page goes to test/artifacts/.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { startDispatcher, startProducer, type RunningApp } from '../support/app-process';
import { apiClient, samplePayin, type ApiCall } from '../support/api';
import { cleanUp } from '../support/clean-up';
import { TestReceiver } from '../support/receiver';
import { uniqueName } from '../support/stack';
import { waitFor } from '../support/wait-for';

/** Installed by `npm test` (scripts/setup.mjs ensureChromium) when missing. */
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, '..', 'artifacts');

interface Delivery {
  id: string;
  status: string;
  attempts: { n: number; statusCode: number | null }[];
}

const prefix = uniqueName('it-dashboard');
const transactionId = `txn_${prefix}`;
const receiver = new TestReceiver();
const running = new Set<RunningApp>();
let api: ApiCall;
let baseUrl: string;
let key: string;
let endpointId: string;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const receiverUrl = await receiver.listen();
  const producer = await startProducer(prefix);
  running.add(producer.app);
  running.add(await startDispatcher(prefix));
  baseUrl = producer.baseUrl;
  api = apiClient(baseUrl);
  key = (
    await api<{ keys: { sandbox: string } }>('POST', '/v1/admin/tenants', {
      key: 'dev-admin-token',
      body: { name: 'dashboard' },
    })
  ).body.keys.sandbox;
  // The first request of each delivery fails, the next succeeds: a failed delivery that a retry fixes.
  const seen = new Set<string>();
  receiver.answer('/hooks', (request, response) => {
    const id = String(request.headers['webhook-id']);
    const isFirst = !seen.has(id);
    seen.add(id);
    response.writeHead(isFirst ? 500 : 200, { 'content-type': 'text/plain' }).end(isFirst ? 'upstream down' : 'ok');
  });
  // A long schedule and no retry scheduler: the only second attempt is the one the dashboard asks for.
  const created = await api<{ id: string }>('POST', '/v1/endpoints', {
    key,
    body: { url: `${receiverUrl}/hooks`, eventTypes: ['payin.failed'], retrySchedule: ['2h'], description: 'checkout' },
  });
  expect(created.status).toBe(201);
  endpointId = created.body.id;
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([...running].map((app) => app.stop()));
  await receiver.close();
  await cleanUp(prefix, api?.tenantIds);
});

/** Evaluated in the page (a string: this file is compiled without the DOM's types). */
const storedKey = "sessionStorage.getItem('hookstream.apiKey')";

const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

it('signs in, finds a failed delivery by transaction id, retries it and shows the new attempt', async () => {
  const published = await api<{ id: string }>('POST', '/v1/events', {
    key,
    body: {
      type: 'payin.failed',
      data: samplePayin({ transactionId, status: 'failed', responseCode: '05', responseMessage: 'Do not honour' }),
    },
  });
  expect(published.status).toBe(202);
  const delivery = await waitFor('the delivery to fail', async () => {
    const list = await api<{ data: Delivery[] }>('GET', `/v1/deliveries?transactionId=${transactionId}`, { key });
    const found = list.body.data[0];
    return found?.status === 'failed' ? found : undefined;
  });

  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('response', (answer) => {
    if (answer.status() >= 400) pageErrors.push(`${answer.status()} ${answer.url()}`);
  });

  const response = await page.goto(`${baseUrl}/dashboard`);
  expect(response?.status()).toBe(200);
  expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
  await page.getByLabel('API key').waitFor();
  await shot(page, '1-sign-in');

  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Deliveries' }).waitFor();
  expect(await page.evaluate(storedKey)).toBe(key);

  await page.getByLabel('Transaction id').fill(transactionId);
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.getByRole('link', { name: delivery.id }).waitFor();
  await page.locator('svg.chart rect.bar-failed').first().waitFor();
  await shot(page, '2-deliveries');

  await page.getByRole('link', { name: delivery.id }).click();
  await page.locator('tr[data-attempt="1"]', { hasText: '500' }).waitFor();
  await shot(page, '3-delivery-failed');

  await page.getByRole('button', { name: 'Retry now' }).click();
  await page.getByText('Retry requested').waitFor();
  // The page polls: the second attempt appears without a reload.
  await page.locator('tr[data-attempt="2"]', { hasText: '200' }).waitFor({ timeout: 30_000 });
  await page.locator('dl.details .badge-succeeded').waitFor();
  await shot(page, '4-delivery-retried');

  await page.getByRole('link', { name: 'Endpoints' }).click();
  await page.locator(`tr[data-id="${endpointId}"]`).waitFor();
  // A replay of the last day: its one event was delivered already, so the job sends nothing and says so.
  await page.locator(`tr[data-id="${endpointId}"]`).getByRole('button', { name: 'Replay' }).click();
  await page.getByText(/Replay rpl_\w+ of \w+: succeeded, 1 matched, 1 already delivered, 0 of 0 sent/).waitFor();
  await shot(page, '5-endpoints');

  await page.getByRole('link', { name: 'Event types' }).click();
  await page.getByRole('heading', { name: 'Event types' }).waitFor();
  await page.getByText('payin.succeeded', { exact: true }).waitFor();
  await shot(page, '6-event-types');

  // The key never shows in an address.
  expect(page.url()).not.toContain(key);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('API key').waitFor();
  expect(await page.evaluate(storedKey)).toBeNull();
  expect(pageErrors).toEqual([]);

  const after = await api<Delivery>('GET', `/v1/deliveries/${delivery.id}`, { key });
  expect(after.body.attempts.map((a) => a.statusCode)).toEqual([500, 200]);
});

it('serves the page without a key, under a strict CSP, with index.html for any path under /dashboard', async () => {
  for (const path of ['/dashboard/', '/dashboard/some/deep/link']) {
    const page = await fetch(`${baseUrl}${path}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await page.text()).toContain('/dashboard/app.js');
  }
  const script = await fetch(`${baseUrl}/dashboard/app.js`);
  expect(script.headers.get('content-type')).toContain('javascript');
  // The API behind it still wants a key.
  expect((await fetch(`${baseUrl}/v1/deliveries`)).status).toBe(401);
});

it('answers deliveries per bucket for the chart, counted by status, for the caller only', async () => {
  const stats = await api<{ bucket: string; data: { total: number; succeeded: number }[] }>(
    'GET',
    '/v1/deliveries/stats?bucket=minute&since=' + new Date(Date.now() - 3_600_000).toISOString(),
    { key },
  );
  expect(stats.status).toBe(200);
  expect(stats.body.bucket).toBe('minute');
  expect(stats.body.data.length).toBeGreaterThanOrEqual(60);
  expect(stats.body.data.reduce((sum, b) => sum + b.total, 0)).toBe(1);
  expect(stats.body.data.reduce((sum, b) => sum + b.succeeded, 0)).toBe(1);
  expect((await api('GET', '/v1/deliveries/stats?bucket=day', { key })).status).toBe(400);
  expect((await api('GET', '/v1/deliveries/stats')).status).toBe(401);
});
