import { Type } from 'avsc';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSchemaFiles, schemasDir } from './schemas';

describe('schema files', () => {
  it('finds the repository schemas and parses each as Avro', () => {
    const files = loadSchemaFiles();
    expect(files.map((file) => `${file.type}@v${file.formatVersion}`)).toContain('payin.succeeded@v1');
    for (const file of files) expect(() => Type.forSchema(file.schema as never)).not.toThrow();
  });

  it('takes the format version from the file name and ignores other files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'schemas-'));
    mkdirSync(join(dir, 'refund.updated'));
    const record = JSON.stringify({ type: 'record', name: 'R', fields: [] });
    writeFileSync(join(dir, 'refund.updated', 'v10.avsc'), record);
    writeFileSync(join(dir, 'refund.updated', 'v2.avsc'), record);
    writeFileSync(join(dir, 'refund.updated', 'example.json'), '{}');
    expect(loadSchemaFiles(dir).map((file) => file.formatVersion)).toEqual([2, 10]);
  });

  it('says where it looked when there is no schemas directory', () => {
    expect(() => schemasDir(tmpdir())).toThrow(/no schemas\/ directory above/);
  });
});
