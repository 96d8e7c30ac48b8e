// SSRF: live endpoints may reach public addresses only, whatever form the URL writes a private one in and
// whatever DNS answers (a stub server, DNS_SERVERS, stands in for an attacker's zone); the dispatcher
// checks the address it connects to (DNS rebinding gains nothing) and never follows a redirect.
import { deliveryIdFor } from '@hookstream/delivery';
import { startDispatcher, startProducer, type RunningApp } from '../support/app-process';
import { apiClient, samplePayin, type ApiCall } from '../support/api';
import { cleanUp } from '../support/clean-up';
import { startDnsStub, type DnsStub } from '../support/dns-stub';
import { TestReceiver } from '../support/receiver';
import { uniqueName } from '../support/stack';
import { waitFor } from '../support/wait-for';

interface Delivery {
  id: string;
  status: string;
  attempts: { n: number; statusCode: number | null; errorClass: string | null; error: string | null }[];
}

interface ErrorBody {
  error: { code: string; message: string; details: { field?: string; message: string }[] };
}

const prefix = uniqueName('it-ssrf');
const receiver = new TestReceiver();
/** Where a redirect points: it must never be asked anything. */
const redirectTarget = new TestReceiver();
const running: RunningApp[] = [];
let stub: DnsStub;
let api: ApiCall;
let receiverUrl: string;
let keys: { sandbox: string; live: string };

beforeAll(async () => {
  stub = await startDnsStub();
  receiverUrl = await receiver.listen();
  const targetUrl = await redirectTarget.listen();
  receiver.answer('/redirect', (_request, response) =>
    response.writeHead(302, { location: `${targetUrl}/stolen` }).end(),
  );
  const env = { DNS_SERVERS: stub.server };
  const producer = await startProducer(prefix, env);
  running.push(producer.app, await startDispatcher(prefix, env));
  api = apiClient(producer.baseUrl);
  const tenant = await api<{ keys: { sandbox: string; live: string } }>('POST', '/v1/admin/tenants', {
    key: 'dev-admin-token',
    body: { name: 'ssrf' },
  });
  expect(tenant.status).toBe(201);
  keys = tenant.body.keys;
});

afterAll(async () => {
  await Promise.all(running.map((app) => app.stop()));
  await Promise.all([receiver.close(), redirectTarget.close(), stub?.close()]);
  await cleanUp(prefix, api?.tenantIds);
});

const createEndpoint = (url: string, key = keys.live) =>
  api<{ id: string } & Partial<ErrorBody>>('POST', '/v1/endpoints', { key, body: { url, eventTypes: ['*'] } });

async function publish(key: string, transactionId: string): Promise<string> {
  const response = await api<{ id: string }>('POST', '/v1/events', {
    key,
    body: { type: 'payin.succeeded', data: samplePayin({ transactionId }) },
  });
  expect(response.status).toBe(202);
  return response.body.id;
}

const firstAttempt = (deliveryId: string, key: string) =>
  waitFor(`the first attempt of ${deliveryId}`, async () => {
    const response = await api<Delivery>('GET', `/v1/deliveries/${deliveryId}`, { key });
    return response.status === 200 ? response.body.attempts[0] : undefined;
  });

describe('endpoint URLs in live', () => {
  it.each([
    ['https://127.0.0.1/hooks', '127.0.0.1'],
    ['https://127.1/hooks', '127.0.0.1'],
    ['https://2130706433/hooks', '127.0.0.1'],
    ['https://0177.0.0.1/hooks', '127.0.0.1'],
    ['https://0x7f.0.0.1/hooks', '127.0.0.1'],
    ['https://0.0.0.0/hooks', '0.0.0.0'],
    ['https://10.0.0.5/hooks', '10.0.0.5'],
    ['https://172.16.0.1/hooks', '172.16.0.1'],
    ['https://192.168.1.1/hooks', '192.168.1.1'],
    ['https://100.64.0.1/hooks', '100.64.0.1'],
    ['https://169.254.169.254/latest/meta-data/', '169.254.169.254'],
    ['https://169.254.10.10/hooks', '169.254.10.10'],
    ['https://[::1]/hooks', '::1'],
    ['https://[::]/hooks', '::'],
    ['https://[::ffff:127.0.0.1]/hooks', '::ffff:7f00:1'],
    ['https://[::ffff:7f00:1]/hooks', '::ffff:7f00:1'],
    ['https://[fc00::1]/hooks', 'fc00::1'],
    ['https://[fd00::1]/hooks', 'fd00::1'],
    ['https://[fe80::1]/hooks', 'fe80::1'],
    ['https://[64:ff9b::10.0.0.5]/hooks', '64:ff9b::a00:5'],
    ['https://[2002:a00:5::1]/hooks', '2002:a00:5::1'],
    ['https://private.ssrf.test/hooks', '10.0.0.5'],
    ['https://loopback.ssrf.test/hooks', '127.0.0.1'],
    ['https://v6-loopback.ssrf.test/hooks', '::1'],
    ['https://localhost/hooks', 'localhost'],
    ['https://metadata.google.internal/computeMetadata/v1/', 'metadata.google.internal'],
  ])('refuses %s (400, naming %s)', async (url, address) => {
    stub.set('private.ssrf.test', ['10.0.0.5']);
    stub.set('loopback.ssrf.test', ['127.0.0.1']);
    stub.set('v6-loopback.ssrf.test', ['::1']);
    const response = await createEndpoint(url);
    expect(response.status).toBe(400);
    expect(response.body.error).toEqual({
      code: 'invalid_request',
      message: expect.any(String),
      details: [{ field: 'url', message: expect.stringContaining(address) }],
    });
    expect(response.body.error?.details[0]?.message).toMatch(/refused/);
  });

  it('refuses http:// in live, decimal form or not', async () => {
    const response = await createEndpoint('http://2130706433/hooks');
    expect(response.status).toBe(400);
    expect(response.body.error?.details).toEqual([{ field: 'url', message: 'must use https://' }]);
  });
});

describe('DNS rebinding', () => {
  it('checks the address the dispatcher connects to, not the one checked at creation', async () => {
    const port = new URL(receiverUrl).port;
    stub.set('rebind.ssrf.test', ['93.184.216.34']);
    const created = await createEndpoint(`https://rebind.ssrf.test:${port}/rebound`);
    expect(created.status).toBe(201);

    stub.set('rebind.ssrf.test', ['127.0.0.1']);
    const eventId = await publish(keys.live, `txn_${prefix}_rebind`);
    const attempt = await firstAttempt(deliveryIdFor(eventId, created.body.id), keys.live);
    expect(attempt).toMatchObject({ n: 1, statusCode: null, errorClass: 'refused_address' });
    expect(attempt?.error).toMatch(/rebind\.ssrf\.test resolves to a loopback address \(127\.0\.0\.1\)/);
    expect(receiver.on('/rebound')).toEqual([]);
  });
});

describe('redirects', () => {
  it('are not followed: the attempt fails with the 3xx and the target hears nothing', async () => {
    const created = await createEndpoint(`${receiverUrl}/redirect`, keys.sandbox);
    expect(created.status).toBe(201);
    const eventId = await publish(keys.sandbox, `txn_${prefix}_redirect`);
    const attempt = await firstAttempt(deliveryIdFor(eventId, created.body.id), keys.sandbox);
    expect(attempt).toMatchObject({ n: 1, statusCode: 302, errorClass: 'non_2xx' });
    expect(receiver.on('/redirect')).toHaveLength(1);
    expect(redirectTarget.received).toEqual([]);
  });
});
