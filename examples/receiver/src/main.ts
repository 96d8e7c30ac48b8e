import { createServer, type IncomingMessage } from 'node:http';
// A merchant's app imports '@hookstream/receiver'; the example uses the kit's source in this repo.
import { createWebhookHandler, MemoryDeliveryStore, type WebhookEvent } from '../../../libs/receiver/src';
import { InProcessQueue } from './in-process-queue';

/** What hookstream sends: see "The webhook request" in the API contract. */
interface HookstreamEvent {
  readonly id: string;
  readonly type: string;
  readonly timestamp: string;
  readonly formatVersion: number;
  readonly data: Record<string, unknown>;
}

// hookstream bodies are at most 256 KiB; anything much larger is not from us.
const MAX_BODY_BYTES = 1024 * 1024;

const config = parseConfig(process.env);

const queue = new InProcessQueue<WebhookEvent<HookstreamEvent>>(
  async ({ webhookId, payload }) => {
    // The slow work (database writes, emails, calls to other services) happens here, after the 200.
    console.log(`processed ${payload.type} ${payload.id} (webhook-id ${webhookId})`, JSON.stringify(payload.data));
  },
  ({ webhookId }, error) => console.error(`failed to process webhook-id ${webhookId}:`, error),
);

const handleWebhook = createWebhookHandler<HookstreamEvent>({
  secrets: config.secrets,
  store: new MemoryDeliveryStore(),
  enqueue: (event) => queue.enqueue(event),
});

const server = createServer(async (request, response) => {
  if (request.method !== 'POST' || request.url !== config.path) {
    response.writeHead(404).end();
    return;
  }
  const rawBody = await readBody(request);
  if (rawBody === undefined) {
    response.writeHead(413, { 'content-type': 'text/plain' }).end('body-too-large');
    return;
  }
  const { status, body } = await handleWebhook({ headers: request.headers, rawBody });
  if (status !== 200) console.warn(`refused a webhook: ${status} ${body}`);
  response.writeHead(status, { 'content-type': 'text/plain' }).end(body);
});

server.listen(config.port, config.host, () => {
  console.log(`receiving webhooks on http://${config.host}:${config.port}${config.path}`);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => server.close(() => process.exit(0)));
}

/** The raw bytes, exactly as sent: the signature covers them, not a re-serialised JSON. */
async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function parseConfig(env: NodeJS.ProcessEnv) {
  // Two secrets during a rotation, separated by commas or spaces.
  const secrets = (env.WEBHOOK_SECRETS ?? '').split(/[\s,]+/).filter((secret) => secret !== '');
  if (secrets.length === 0) {
    console.error('set WEBHOOK_SECRETS to the endpoint secret (whsec_…), or two of them, comma-separated');
    process.exit(1);
  }
  const port = Number(env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    console.error(`PORT must be a port number, not ${env.PORT}`);
    process.exit(1);
  }
  return Object.freeze({ secrets, port, host: env.HOST ?? '127.0.0.1', path: env.WEBHOOK_PATH ?? '/webhooks' });
}
