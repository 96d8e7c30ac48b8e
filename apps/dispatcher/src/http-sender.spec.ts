import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startDnsStub } from '../../../test/support/dns-stub';
import { HttpSender } from './http-sender';

describe('HttpSender', () => {
  let server: Server;
  let base: string;
  let remoteAddresses: string[];
  const sender = new HttpSender({ connectionsPerOrigin: 4 });
  const bound = new HttpSender({ connectionsPerOrigin: 4, localAddress: '127.0.0.2' });

  beforeAll(async () => {
    remoteAddresses = [];
    server = createServer((request, response) => {
      remoteAddresses.push(request.socket.remoteAddress ?? '');
      request.resume();
      request.on('end', () => {
        if (request.url === '/ok') return response.writeHead(200).end('x'.repeat(10_000));
        if (request.url === '/busy') return response.writeHead(429, { 'retry-after': '120' }).end('slow down');
        if (request.url === '/redirect') return response.writeHead(302, { location: '/ok' }).end();
        if (request.url === '/hang') return;
        if (request.url === '/trickle') {
          // Headers at once, then a byte every 100 ms: each chunk restarts undici's body timeout.
          response.writeHead(200);
          const trickle = setInterval(() => response.write('x'), 100);
          return response.on('close', () => clearInterval(trickle));
        }
        response.writeHead(500).end('boom');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await Promise.all([sender.close(), bound.close()]);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const send = (url: string, options: { allowPrivateAddresses?: boolean; timeoutMs?: number } = {}, via = sender) =>
    via.send({
      url,
      body: Buffer.from('{}'),
      headers: { 'content-type': 'application/json' },
      timeoutMs: options.timeoutMs ?? 2000,
      allowPrivateAddresses: options.allowPrivateAddresses ?? true,
    });

  it('reports success, latency, the resolved address and the first 4 KiB of the answer', async () => {
    const outcome = await send(`${base}/ok`);
    expect(outcome).toMatchObject({ ok: true, statusCode: 200, resolvedIp: '127.0.0.1' });
    expect(outcome.responseBody).toHaveLength(4096);
    expect(outcome.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('classifies failures: non-2xx (with Retry-After), redirects not followed, timeout, refused connection', async () => {
    expect(await send(`${base}/fail`)).toMatchObject({
      ok: false,
      errorClass: 'non_2xx',
      statusCode: 500,
      responseBody: 'boom',
    });
    expect(await send(`${base}/busy`)).toMatchObject({ ok: false, statusCode: 429, retryAfterSeconds: 120 });
    expect(await send(`${base}/redirect`)).toMatchObject({ ok: false, errorClass: 'non_2xx', statusCode: 302 });
    expect(await send(`${base}/hang`, { timeoutMs: 300 })).toMatchObject({
      ok: false,
      errorClass: 'timeout',
      statusCode: null,
    });
    expect(await send('http://127.0.0.1:1/')).toMatchObject({ ok: false, errorClass: 'connection_refused' });
  });

  it('ends an exchange at its deadline, however steadily the answer trickles in', async () => {
    const outcome = await send(`${base}/trickle`, { timeoutMs: 400 });
    expect(outcome).toMatchObject({ ok: false, errorClass: 'timeout', statusCode: null });
    expect(outcome.latencyMs).toBeGreaterThanOrEqual(390);
    expect(outcome.latencyMs).toBeLessThan(2000);
  });

  it('refuses private addresses unless allowed, for literal IPs and for names resolved at connection time', async () => {
    expect(await send(`${base}/ok`, { allowPrivateAddresses: false })).toMatchObject({
      ok: false,
      errorClass: 'refused_address',
    });
    const byName = base.replace('127.0.0.1', 'localhost');
    const refused = await send(`${byName}/ok`, { allowPrivateAddresses: false });
    expect(refused).toMatchObject({ ok: false, errorClass: 'refused_address' });
    expect(refused.ok ? '' : refused.error).toMatch(/loopback/);
    expect(await send(`${byName}/ok`)).toMatchObject({ ok: true });
  });

  it('refuses every literal form of a private address, as the URL parser normalises it', async () => {
    const port = new URL(base).port;
    for (const host of ['2130706433', '0177.0.0.1', '0x7f.0.0.1', '127.1', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]']) {
      remoteAddresses.length = 0;
      const outcome = await send(`http://${host}:${port}/ok`, { allowPrivateAddresses: false });
      expect(outcome).toMatchObject({ ok: false, errorClass: 'refused_address' });
      expect(outcome.ok ? '' : outcome.error).toMatch(/loopback/);
      expect(remoteAddresses).toEqual([]);
    }
    expect(await send(`http://2130706433:${port}/ok`)).toMatchObject({ ok: true });
    expect(await send('https://metadata.google.internal/', { allowPrivateAddresses: false })).toMatchObject({
      ok: false,
      errorClass: 'refused_address',
    });
  });

  it('resolves through the configured DNS servers and checks what they answer at connection time', async () => {
    const stub = await startDnsStub();
    const viaStub = new HttpSender({ connectionsPerOrigin: 4, dnsServers: [stub.server] });
    try {
      const port = new URL(base).port;
      stub.set('rebind.test', ['127.0.0.1']);
      remoteAddresses.length = 0;
      const refused = await send(`http://rebind.test:${port}/ok`, { allowPrivateAddresses: false }, viaStub);
      expect(refused).toMatchObject({ ok: false, errorClass: 'refused_address' });
      expect(refused.ok ? '' : refused.error).toMatch(/rebind\.test resolves to a loopback address \(127\.0\.0\.1\)/);
      expect(remoteAddresses).toEqual([]);
      // Relaxed (local sandbox), the same answer is used: the stub, not /etc/hosts, decides.
      expect(await send(`http://rebind.test:${port}/ok`, {}, viaStub)).toMatchObject({
        ok: true,
        resolvedIp: '127.0.0.1',
      });
      expect(await send(`http://nowhere.test:${port}/ok`, {}, viaStub)).toMatchObject({ ok: false, errorClass: 'dns' });
    } finally {
      await viaStub.close();
      await stub.close();
    }
  });

  it('binds outgoing connections to the configured egress address', async () => {
    remoteAddresses.length = 0;
    expect(await send(`${base}/ok`, {}, bound)).toMatchObject({ ok: true });
    expect(remoteAddresses).toEqual(['127.0.0.2']);
  });
});
