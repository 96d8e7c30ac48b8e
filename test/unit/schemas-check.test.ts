// The schemas compatibility gate (`npm run schemas:check`), run as a child process on temp copies of
// schemas/: what passes, and what fails with the file, the field and the rule named. Offline: the
// registry's side is in test/integration/schemas-check.test.ts.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const repoRoot = join(__dirname, '../..');

interface AvroField {
  name: string;
  type: unknown;
  default?: unknown;
  aliases?: string[];
  allowedValues?: string[];
}
interface AvroRecord {
  name: string;
  namespace?: string;
  fields: AvroField[];
}

/** A copy of the repository's schemas/ at `<tmp>/schemas`, outside any git repository until `commit()`. */
class SchemasCopy {
  readonly root = mkdtempSync(join(tmpdir(), 'hookstream-schemas-'));
  readonly dir = join(this.root, 'schemas');

  constructor() {
    cpSync(join(repoRoot, 'schemas'), this.dir, { recursive: true });
  }

  /** Makes the copy a git repository whose HEAD holds it as it is: its versions are now published. */
  commit(): void {
    for (const args of [
      ['init', '-q'],
      ['add', '-A'],
      ['commit', '-q', '-m', 'schemas as published'],
    ]) {
      const git = spawnSync(
        'git',
        [
          '-c',
          'user.name=schemas-check test',
          '-c',
          'user.email=test@example.invalid',
          '-c',
          'commit.gpgsign=false',
          ...args,
        ],
        { cwd: this.root, encoding: 'utf8' },
      );
      if (git.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${git.stderr}`);
    }
  }

  newestVersion(type: string): number {
    return Math.max(...readdirSync(join(this.dir, type)).map((name) => Number(/^v(\d+)\.avsc$/.exec(name)?.[1] ?? 0)));
  }

  read(path: string): AvroRecord {
    return JSON.parse(readFileSync(join(this.dir, path), 'utf8')) as AvroRecord;
  }

  write(path: string, schema: AvroRecord, indent = 2): void {
    writeFileSync(join(this.dir, path), `${JSON.stringify(schema, null, indent)}\n`);
  }

  remove(path: string): void {
    unlinkSync(join(this.dir, path));
  }

  /** Writes the next format version of `type`: the newest one changed by `change`. Returns its path. */
  addVersion(type: string, change: (schema: AvroRecord) => void): string {
    const newest = this.newestVersion(type);
    const schema = this.read(`${type}/v${newest}.avsc`);
    change(schema);
    const path = `${type}/v${newest + 1}.avsc`;
    this.write(path, schema);
    return path;
  }

  check(): { status: number | null; output: string } {
    const run = spawnSync(
      process.execPath,
      [join(repoRoot, 'scripts/schemas-check.mjs'), '--dir', this.dir, '--offline'],
      {
        cwd: repoRoot,
        encoding: 'utf8',
      },
    );
    return { status: run.status, output: `${run.stdout}${run.stderr}` };
  }
}

/** The fields of an event's `data` record. */
function dataFields(schema: AvroRecord): AvroField[] {
  const data = schema.fields.find((field) => field.name === 'data');
  if (!data) throw new Error(`${schema.name} has no data field`);
  return (data.type as AvroRecord).fields;
}

function field(fields: AvroField[], name: string): AvroField {
  const found = fields.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no field ${name}`);
  return found;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The line naming the file and what is wrong with it. */
const failure = (path: string, message: string) => new RegExp(`^FAIL .*schemas/${escape(path)}: ${message}`, 'm');

describe('npm run schemas:check', () => {
  const copies: SchemasCopy[] = [];
  const copy = () => {
    const schemas = new SchemasCopy();
    copies.push(schemas);
    return schemas;
  };

  afterAll(() => {
    for (const schemas of copies) rmSync(schemas.root, { recursive: true, force: true });
  });

  it("passes the repository's schemas, one ok line each", () => {
    const schemas = copy();
    const { status, output } = schemas.check();

    expect(output).not.toMatch(/^FAIL/m);
    expect(status).toBe(0);
    expect(output).toMatch(/^ok {3}.*schemas\/payin\.succeeded\/v1\.avsc/m);
    expect(output).toMatch(/^ok {3}.*schemas\/internal\/delivery-scheduled\.avsc/m);
    expect(output).toMatch(/no git repository to compare/);
    expect(output).toMatch(/^schemas:check: all \d+ schemas ok$/m);
  });

  describe('a new format version', () => {
    it('fails when it adds a field without a default, naming the field and the versions it cannot read', () => {
      const schemas = copy();
      const path = schemas.addVersion('payin.succeeded', (schema) => {
        dataFields(schema).push({ name: 'surchargeAmount', type: 'long' });
      });

      const { status, output } = schemas.check();

      expect(status).toBe(1);
      expect(output).toMatch(
        failure(
          path,
          'field "data\\.surchargeAmount" \\(long\\) has no default, so v1(, v\\d+)*( and v\\d+)? data cannot be read',
        ),
      );
      expect(output).toMatch(/rule: a new field needs a default/);
    });

    it("fails when it changes a field's type, naming the field and both types", () => {
      const schemas = copy();
      const path = schemas.addVersion('payin.succeeded', (schema) => {
        field(dataFields(schema), 'amount').type = 'string';
      });

      const { status, output } = schemas.check();

      expect(status).toBe(1);
      expect(output).toMatch(failure(path, 'field "data\\.amount" changed type from long to string, so v1'));
    });

    it('passes a field added with a default and one renamed with its old name in aliases', () => {
      const schemas = copy();
      const path = schemas.addVersion('payin.succeeded', (schema) => {
        const fields = dataFields(schema);
        fields.push({ name: 'surchargeAmount', type: 'long', default: 0 });
        Object.assign(field(fields, 'responseMessage'), { name: 'responseText', aliases: ['responseMessage'] });
      });

      const { status, output } = schemas.check();

      expect(output).not.toMatch(/^FAIL/m);
      expect(status).toBe(0);
      expect(output).toMatch(new RegExp(`^ok {3}.*schemas/${escape(path)} \\(valid Avro; reads v1`, 'm'));
    });

    it('fails when it drops an enum symbol without a default symbol', () => {
      const schemas = copy();
      const path = schemas.addVersion('payin.succeeded', (schema) => {
        field(schema.fields, 'environment').type = { type: 'enum', name: 'Environment', symbols: ['sandbox'] };
      });

      const { status, output } = schemas.check();

      expect(status).toBe(1);
      expect(output).toMatch(
        failure(path, 'field "environment" \\(enum Environment\\) drops "live" and has no default'),
      );
    });

    it('fails when it narrows allowedValues, which Avro cannot see', () => {
      const schemas = copy();
      const path = schemas.addVersion('payout.updated', (schema) => {
        const status = field(dataFields(schema), 'status');
        status.allowedValues = status.allowedValues?.filter((value) => value !== 'reversed');
      });

      const { status, output } = schemas.check();

      expect(status).toBe(1);
      expect(output).toMatch(failure(path, 'field "data\\.status" drops "reversed" from its allowedValues'));
    });

    it('fails when it renames the record, which would make it another subject', () => {
      const schemas = copy();
      const path = schemas.addVersion('payin.succeeded', (schema) => {
        schema.name = 'PaymentSucceeded';
      });

      const { status, output } = schemas.check();

      expect(status).toBe(1);
      expect(output).toMatch(
        failure(
          path,
          'record hookstream\\.events\\.PaymentSucceeded differs from hookstream\\.events\\.PayinSucceeded of v1',
        ),
      );
    });

    it('fails when it leaves a gap in the version numbers', () => {
      const schemas = copy();
      const newest = schemas.newestVersion('refund.updated');
      schemas.write(`refund.updated/v${newest + 2}.avsc`, schemas.read(`refund.updated/v${newest}.avsc`));

      const { status, output } = schemas.check();

      expect(status).toBe(1);
      expect(output).toMatch(
        failure(`refund.updated/v${newest + 2}.avsc`, `v${newest + 1}\\.avsc of refund\\.updated is missing`),
      );
    });

    it('fails when it is not valid Avro', () => {
      const schemas = copy();
      const path = schemas.addVersion('payin.succeeded', (schema) => {
        dataFields(schema).push({ name: 'surchargeAmount', type: 'long', default: 'none' });
      });

      const { status, output } = schemas.check();

      expect(status).toBe(1);
      expect(output).toMatch(failure(path, 'not a valid Avro schema: .*default'));
    });
  });

  describe('a published version (in git HEAD)', () => {
    it('fails when edited, naming what changed', () => {
      const schemas = copy();
      schemas.commit();
      const v1 = schemas.read('payin.succeeded/v1.avsc');
      const fields = dataFields(v1);
      fields.splice(fields.indexOf(field(fields, 'responseMessage')), 1);
      schemas.write('payin.succeeded/v1.avsc', v1);

      const { status, output } = schemas.check();

      expect(status).toBe(1);
      expect(output).toMatch(
        failure(
          'payin.succeeded/v1.avsc',
          'published version changed since HEAD \\(field "data\\.responseMessage" removed\\)',
        ),
      );
      expect(output).toMatch(/a published format version never changes; add v\d+\.avsc instead/);
    });

    it('fails when only a custom attribute changed (allowedValues)', () => {
      const schemas = copy();
      schemas.commit();
      const v1 = schemas.read('payout.updated/v1.avsc');
      field(dataFields(v1), 'status').allowedValues?.push('on_hold');
      schemas.write('payout.updated/v1.avsc', v1);

      const { status, output } = schemas.check();

      expect(status).toBe(1);
      expect(output).toMatch(
        failure(
          'payout.updated/v1.avsc',
          'published version changed since HEAD \\(field "data\\.status": "allowedValues" changed',
        ),
      );
    });

    it('passes when only reformatted (whitespace, key order)', () => {
      const schemas = copy();
      schemas.commit();
      const v1 = schemas.read('payin.succeeded/v1.avsc');
      const reordered = Object.fromEntries(Object.entries(v1).reverse()) as unknown as AvroRecord;
      schemas.write('payin.succeeded/v1.avsc', reordered, 4);

      const { status, output } = schemas.check();

      expect(output).not.toMatch(/^FAIL/m);
      expect(status).toBe(0);
      expect(output).toMatch(/^ok {3}.*payin\.succeeded\/v1\.avsc \(valid Avro; as published in HEAD\)/m);
    });

    it('fails when deleted', () => {
      const schemas = copy();
      schemas.commit();
      const newest = schemas.newestVersion('payin.failed');
      schemas.remove(`payin.failed/v${newest}.avsc`);

      const { status, output } = schemas.check();

      expect(status).toBe(1);
      expect(output).toMatch(failure(`payin.failed/v${newest}.avsc`, 'published version deleted since HEAD'));
    });
  });

  describe("an engine record (schemas/internal), evolved in place against HEAD's version", () => {
    it('fails when it adds a field without a default', () => {
      const schemas = copy();
      schemas.commit();
      const record = schemas.read('internal/delivery-scheduled.avsc');
      record.fields.push({ name: 'priority', type: 'int' });
      schemas.write('internal/delivery-scheduled.avsc', record);

      const { status, output } = schemas.check();

      expect(status).toBe(1);
      expect(output).toMatch(
        failure(
          'internal/delivery-scheduled.avsc',
          `field "priority" \\(int\\) has no default, so records written with HEAD's version cannot be read`,
        ),
      );
    });

    it('passes a field added with a default', () => {
      const schemas = copy();
      schemas.commit();
      const record = schemas.read('internal/delivery-scheduled.avsc');
      record.fields.push({ name: 'priority', type: ['null', 'int'], default: null });
      schemas.write('internal/delivery-scheduled.avsc', record);

      const { status, output } = schemas.check();

      expect(output).not.toMatch(/^FAIL/m);
      expect(status).toBe(0);
      expect(output).toMatch(
        /internal\/delivery-scheduled\.avsc \(valid Avro; reads records written with HEAD's version\)/,
      );
    });
  });
});
