import { EventCatalogue, loadSchemaFiles, topicNames, type AvroSchema } from '@hookstream/contracts';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AvroCodec } from './avro-codec';
import { decodeOrPoison } from './decode-failure';
import { registerSchemas } from './registered-schemas';
import { PersistedSchemaCache } from './schema-cache';
import { createSchemaRegistry } from './schema-registry';

const ORDER = {
  type: 'record',
  name: 'Order',
  namespace: 'test',
  fields: [{ name: 'amount', type: 'long' }],
} satisfies AvroSchema;

/**
 * Just enough of the Confluent API for the registry client: subject config, registration (an id per
 * distinct schema text) and lookup by id. `mode` makes it answer 503 to everything.
 */
class FakeRegistry {
  mode: 'up' | '503' = 'up';
  private readonly ids = new Map<string, number>();
  private server!: Server;
  /** Kept after `stop`, for clients that should find nothing there. */
  url = '';

  async start(): Promise<void> {
    this.mode = 'up';
    this.ids.clear();
    this.server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        const [status, answer] = this.answer(request.method ?? 'GET', request.url ?? '/', body);
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Gone: connections to its port are refused. */
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private answer(method: string, url: string, body: string): [number, unknown] {
    if (this.mode === '503') return [503, { error_code: 50301, message: 'unavailable' }];
    if (url.startsWith('/config/')) return [200, { compatibilityLevel: 'BACKWARD_TRANSITIVE' }];
    if (method === 'POST' && url.endsWith('/versions')) {
      const { schema } = JSON.parse(body) as { schema: string };
      if (!this.ids.has(schema)) this.ids.set(schema, this.ids.size + 1);
      return [200, { id: this.ids.get(schema) }];
    }
    const id = Number(/^\/schemas\/ids\/(\d+)$/.exec(url)?.[1]);
    const schema = [...this.ids].find(([, known]) => known === id)?.[0];
    return schema ? [200, { schema }] : [404, { error_code: 40403, message: 'Schema not found' }];
  }
}

describe('AvroCodec with a persisted schema cache', () => {
  const registry = new FakeRegistry();
  let dir: string;
  const warnings: string[] = [];
  const logger = { warn: (_details: Record<string, unknown>, message: string) => warnings.push(message) };
  const codecFor = (cacheDir = dir) =>
    new AvroCodec(createSchemaRegistry(registry.url, { requestTimeoutMs: 1000 }), {
      cache: new PersistedSchemaCache(cacheDir, registry.url, logger),
      logger,
    });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'avro-codec-'));
    warnings.length = 0;
    await registry.start();
  });
  afterEach(async () => {
    await registry.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  /** Registers and encodes with the registry up, so the cache holds the schema. */
  async function encodedWhileUp(): Promise<{ id: number; bytes: Buffer }> {
    const codec = codecFor();
    const { id } = await codec.register('orders', ORDER);
    return { id, bytes: await codec.encode(id, { amount: 42 }) };
  }

  it('decodes a schema id new to this process from the persisted cache while the registry answers 503', async () => {
    const { bytes } = await encodedWhileUp();
    registry.mode = '503';
    const restarted = codecFor();
    expect((await restarted.decode<{ amount: number }>(bytes)).value).toEqual({ amount: 42 });
    expect(await restarted.writerName(bytes)).toBe('test.Order');
    expect(warnings).toEqual(['schema registry unreachable: using the persisted copy of this schema']);
  });

  it('registers from the cache and encodes and decodes while the registry refuses connections', async () => {
    const { id, bytes } = await encodedWhileUp();
    await registry.stop();
    const restarted = codecFor();
    expect(restarted.registerFromCache('orders', ORDER)).toEqual({ id, subject: 'orders-test.Order' });
    expect(restarted.registerFromCache('other-topic', ORDER)).toBeUndefined();
    expect(await restarted.encode(id, { amount: 42 })).toEqual(bytes);
    const withNote = { ...ORDER, fields: [...ORDER.fields, { name: 'note', type: 'string', default: '' }] };
    expect(await restarted.decodeAs(bytes, withNote)).toEqual({ amount: 42, note: '' });
    // A codec that never registered it decodes it from the persisted copy.
    expect((await codecFor().decode(bytes)).value).toEqual({ amount: 42 });
  });

  it('keeps an id found nowhere a retryable failure, and one the registry does not know (404) a permanent one', async () => {
    const { bytes } = await encodedWhileUp();
    registry.mode = '503';
    const empty = codecFor(mkdtempSync(join(dir, 'empty-')));
    await expect(decodeOrPoison(bytes, (value) => empty.decode(value))).rejects.toMatchObject({ status: 503 });
    registry.mode = 'up';
    const unknown = Buffer.from(bytes);
    unknown.writeInt32BE(999, 1);
    await expect(decodeOrPoison(unknown, (value) => empty.decode(value))).resolves.toMatchObject({
      failure: { kind: 'unknown-schema' },
    });
    // The id that failed while the registry was down is looked up again once it is back.
    expect((await empty.decode(bytes)).value).toEqual({ amount: 42 });
  });

  it('refuses a value its schema does not accept, naming the field', async () => {
    const codec = codecFor();
    const { id } = await codec.register('orders', ORDER);
    await expect(codec.encode(id, { amount: 'many' })).rejects.toMatchObject({ paths: ['amount'] });
  });
});

describe('registerSchemas while the registry is down', () => {
  const catalogue = new EventCatalogue(loadSchemaFiles());
  const topics = topicNames('outage');
  const registry = new FakeRegistry();
  let dir: string;
  const warnings: string[] = [];
  const logger = { warn: (_details: Record<string, unknown>, message: string) => warnings.push(message) };
  const codecFor = (cacheDir: string, url: string) =>
    new AvroCodec(createSchemaRegistry(url, { requestTimeoutMs: 1000 }), {
      cache: new PersistedSchemaCache(cacheDir, url, logger),
      logger,
    });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'registered-schemas-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('starts from the ids a previous start persisted, with a warning; without them, fails clearly', async () => {
    await registry.start();
    const url = registry.url;
    const first = await registerSchemas(codecFor(dir, url), catalogue, topics, logger);
    await registry.stop();

    const restarted = await registerSchemas(codecFor(dir, url), catalogue, topics, logger);
    expect(restarted).toEqual(first);
    expect(warnings).toEqual([expect.stringMatching(/^schema registry unreachable: started from the persisted/)]);

    await expect(registerSchemas(codecFor(join(dir, 'empty'), url), catalogue, topics)).rejects.toThrow(
      /schema registry unreachable \(.*ECONNREFUSED.*\) and no persisted schema id for outage\.events-.*: cannot start until the registry answers/,
    );
  });
});
