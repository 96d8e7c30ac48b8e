import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PersistedSchemaCache } from './schema-cache';

const REGISTRY = 'http://127.0.0.1:8081/apis/ccompat/v7';
const SCHEMA = '{"fields":[{"name":"a","type":"string"}],"name":"X","type":"record"}';

/** Every file under a directory, relative to it. */
const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1));

describe('PersistedSchemaCache', () => {
  let dir: string;
  const warnings: string[] = [];
  const logger = { warn: (_details: Record<string, unknown>, message: string) => warnings.push(message) };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'schema-cache-'));
    warnings.length = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps ids and registrations across instances, one file per entry, no temp file left', () => {
    new PersistedSchemaCache(dir, REGISTRY, logger).rememberRegistration('t-X', SCHEMA, 7);
    const later = new PersistedSchemaCache(dir, `${REGISTRY}/`, logger);
    expect(later.registeredId('t-X', SCHEMA)).toBe(7);
    expect(later.schemaText(7)).toBe(SCHEMA);
    expect(later.registeredId('u-X', SCHEMA)).toBeUndefined();
    expect(later.schemaText(8)).toBeUndefined();
    expect(filesUnder(dir).filter((file) => file.endsWith('.tmp'))).toEqual([]);
    expect(filesUnder(dir)).toHaveLength(2);
    expect(warnings).toEqual([]);
  });

  it("never answers with another registry's ids", () => {
    new PersistedSchemaCache(dir, REGISTRY, logger).rememberSchema(7, SCHEMA);
    expect(new PersistedSchemaCache(dir, 'http://127.0.0.1:9999', logger).schemaText(7)).toBeUndefined();
  });

  it('ignores a corrupt or unreadable entry with a warning', () => {
    const cache = new PersistedSchemaCache(dir, REGISTRY, logger);
    cache.rememberSchema(7, SCHEMA);
    cache.rememberSchema(8, SCHEMA);
    const [first, second] = filesUnder(dir).sort();
    writeFileSync(join(dir, first!), '{"id": 7, "sch');
    rmSync(join(dir, second!));
    mkdirSync(join(dir, second!)); // reading a directory fails with EISDIR
    expect(cache.schemaText(7)).toBeUndefined();
    expect(cache.schemaText(8)).toBeUndefined();
    expect(warnings).toEqual([
      'persisted schema cache entry corrupt; ignored',
      'persisted schema cache entry unreadable; ignored',
    ]);
  });

  it('ignores an entry written for another key', () => {
    const cache = new PersistedSchemaCache(dir, REGISTRY, logger);
    cache.rememberSchema(7, SCHEMA);
    const [file] = filesUnder(dir);
    writeFileSync(join(dir, file!), JSON.stringify({ id: 9, schema: SCHEMA }));
    expect(cache.schemaText(7)).toBeUndefined();
  });

  it('works on without persisting when the directory cannot be written, warning once', () => {
    const notADir = join(dir, 'file');
    writeFileSync(notADir, '');
    const cache = new PersistedSchemaCache(notADir, REGISTRY, logger);
    expect(() => cache.rememberRegistration('t-X', SCHEMA, 7)).not.toThrow();
    expect(() => cache.rememberSchema(8, SCHEMA)).not.toThrow();
    expect(warnings).toEqual(['cannot persist schemas; a registry outage will not be survived']);
  });
});
