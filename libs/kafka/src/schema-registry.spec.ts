import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { canonicalSchemaJson, createSchemaRegistry, registerAvroSchema, subjectFor } from './schema-registry';

describe('subjectFor (TopicRecordNameStrategy)', () => {
  it('joins the topic and the record full name', () => {
    expect(
      subjectFor('hookstream.events', { type: 'record', name: 'PayinSucceeded', namespace: 'hookstream.events' }),
    ).toBe('hookstream.events-hookstream.events.PayinSucceeded');
  });

  it('takes a dotted name as the full name, whatever the namespace', () => {
    expect(subjectFor('t', { type: 'record', name: 'a.b.C', namespace: 'ignored' })).toBe('t-a.b.C');
  });
});

describe('canonicalSchemaJson', () => {
  it('is the same text for a reformatted or reordered schema, and keeps field order', () => {
    const file = JSON.parse(`{
      "type": "record", "name": "X",
      "fields": [ { "name": "b", "type": "long", "default": 0 }, { "name": "a", "type": "string" } ]
    }`) as unknown;
    const reordered = {
      fields: [
        { default: 0, type: 'long', name: 'b' },
        { type: 'string', name: 'a' },
      ],
      name: 'X',
      type: 'record',
    };
    expect(canonicalSchemaJson(file)).toBe(canonicalSchemaJson(reordered));
    expect(canonicalSchemaJson(file)).toBe(
      '{"fields":[{"default":0,"name":"b","type":"long"},{"name":"a","type":"string"}],"name":"X","type":"record"}',
    );
  });
});

describe('createSchemaRegistry', () => {
  let server: Server;
  let requests = 0;

  beforeAll(async () => {
    // A registry that takes every request and never answers.
    server = createServer(() => (requests += 1));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('fails a request the registry never answers after its timeout, instead of waiting forever', async () => {
    const registry = createSchemaRegistry(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, {
      requestTimeoutMs: 200,
    });
    const startedAt = Date.now();
    await expect(registry.getSchema(1)).rejects.toThrow(/Timeout \(200ms\)/);
    expect(Date.now() - startedAt).toBeLessThan(10_000);
    expect(requests).toBeGreaterThanOrEqual(1);
  });

  it('registers again when a registration times out, three times in all', async () => {
    const registry = createSchemaRegistry(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, {
      requestTimeoutMs: 200,
    });
    const before = requests;
    await expect(
      registerAvroSchema(registry, 't', { type: 'record', name: 'X', fields: [{ name: 'a', type: 'string' }] }),
    ).rejects.toThrow(/Timeout \(200ms\)/);
    expect(requests - before).toBe(3);
  });
});
