/**
 * The benchmark's merchant: a node:http server in a process of its own (so the load generator never delays
 * an answer), answering 200 at once. It counts webhooks by `webhook-id`, verifies a sample of signatures with
 * the receiver kit, records arrival times when asked, and leaves `/dead/…` requests unanswered (timeouts).
 * `/fail-once/…` answers a webhook's first request 500 and its retry 200, as a merchant with a hiccup.
 * Driven over IPC by ReceiverProcess (receiver-process.ts).
 */
import { verifyWebhook } from '@hookstream/receiver';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { ReceiverCommand, ReceiverReply, ReceiverStats } from './receiver-protocol';

/** One in this many webhooks has its signature checked: enough to catch a signing fault, cheap at 10k/s. */
const VERIFY_ONE_IN = 100;

const secretsByPath = new Map<string, string>();
const hanging = new Set<ServerResponse>();
/** Webhook ids a `/fail-once/` path has answered 500. */
let refusedOnce = new Set<string>();
let isRecordingArrivals = false;
let arrivals: [eventId: string, path: string, arrivedAt: number][] = [];
let webhookIds = new Set<string>();
let requests = 0;
let verified = 0;
let verificationFailures: string[] = [];
let firstAt: number | null = null;
let lastAt: number | null = null;

/** Wall-clock milliseconds with sub-millisecond resolution, comparable with the benchmark process's. */
const now = () => performance.timeOrigin + performance.now();

function onRequest(request: IncomingMessage, response: ServerResponse): void {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const arrivedAt = now();
    const path = request.url ?? '/';
    if (path.startsWith('/dead/')) {
      hanging.add(response);
      response.once('close', () => hanging.delete(response));
      return;
    }
    const webhookId = request.headers['webhook-id'];
    if (path.startsWith('/fail-once/') && typeof webhookId === 'string' && !refusedOnce.has(webhookId)) {
      refusedOnce.add(webhookId);
      response.writeHead(500, { 'content-length': '0' }).end();
      return;
    }
    response.writeHead(200, { 'content-length': '0' }).end();
    requests++;
    firstAt ??= arrivedAt;
    lastAt = arrivedAt;
    if (typeof webhookId === 'string') webhookIds.add(webhookId);
    if (!isRecordingArrivals && requests % VERIFY_ONE_IN !== 0) return;
    const body = Buffer.concat(chunks);
    if (requests % VERIFY_ONE_IN === 0) verify(path, request, body);
    if (isRecordingArrivals) {
      const eventId = (JSON.parse(body.toString('utf8')) as { id?: string }).id ?? '';
      arrivals.push([eventId, path, arrivedAt]);
    }
  });
}

function verify(path: string, request: IncomingMessage, body: Buffer): void {
  const secret = secretsByPath.get(path);
  // The raw-limit phase posts to paths without a registered secret: nothing to check there.
  if (!secret) return;
  try {
    verifyWebhook(request.headers, body, [secret]);
    verified++;
  } catch (error) {
    if (verificationFailures.length < 10) verificationFailures.push(`${path}: ${(error as Error).message}`);
  }
}

function stats(): ReceiverStats {
  return {
    requests,
    uniqueWebhookIds: webhookIds.size,
    verified,
    verificationFailures,
    firstAt,
    lastAt,
    hanging: hanging.size,
    refusedOnce: refusedOnce.size,
  };
}

function handle(command: ReceiverCommand): ReceiverReply {
  switch (command.kind) {
    case 'secrets':
      for (const [path, secret] of Object.entries(command.secretsByPath)) secretsByPath.set(path, secret);
      return { kind: 'ok' };
    case 'reset':
      webhookIds = new Set();
      refusedOnce = new Set();
      requests = 0;
      verified = 0;
      verificationFailures = [];
      firstAt = null;
      lastAt = null;
      arrivals = [];
      isRecordingArrivals = command.recordArrivals;
      return { kind: 'ok' };
    case 'stats':
      return { kind: 'stats', stats: stats() };
    case 'arrivals':
      return { kind: 'arrivals', arrivals };
  }
}

async function listen(addresses: readonly string[]): Promise<number> {
  let port = 0;
  for (const address of addresses) {
    const server = createServer({ keepAliveTimeout: 60_000 }, onRequest);
    // The dispatcher and the raw client both keep connections open: a server must not cap them.
    server.maxConnections = Infinity;
    server.headersTimeout = 0;
    server.requestTimeout = 0;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, address, () => resolve());
    });
    port = (server.address() as AddressInfo).port;
  }
  return port;
}

const addresses = (process.env.BENCH_RECEIVER_ADDRESSES ?? '127.0.0.1').split(',');
void listen(addresses).then(
  (port) => {
    process.on('message', (message: { id: number; command: ReceiverCommand }) => {
      process.send?.({ id: message.id, reply: handle(message.command) });
    });
    process.send?.({ ready: port });
  },
  (error: unknown) => {
    console.error('receiver: cannot listen:', error);
    process.exit(1);
  },
);
// Its parent gone, nothing is left to serve.
process.on('disconnect', () => process.exit(0));
