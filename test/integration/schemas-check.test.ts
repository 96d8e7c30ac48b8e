// The registry's side of the schemas gate (`npm run schemas:check`): on subjects of our own (a topic
// prefix of our own), registered BACKWARD_TRANSITIVE by the apps' registry client, a breaking format
// version is refused by the compatibility endpoint, by the gate, and on registration (409); and the
// gate catches a registry that disagrees with files that are fine on their own.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AvroSchema, topicNames } from '@hookstream/contracts';
import { createSchemaRegistry, registerAvroSchema, subjectFor } from '@hookstream/kafka';
import { cleanUp } from '../support/clean-up';
import { repoRoot, stackEnv, uniqueName } from '../support/stack';

interface AvroField {
  name: string;
  type: unknown;
  default?: unknown;
}
type AvroRecord = AvroSchema & { fields: AvroField[] };

const prefix = uniqueName('it-schemas');
const topic = topicNames(prefix).events;
const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

const repoSchema = (path: string) => JSON.parse(readFileSync(join(repoRoot, 'schemas', path), 'utf8')) as AvroRecord;

/** The event's `data` fields, changed by `change`, in a copy of the schema. */
function withDataFields(schema: AvroRecord, change: (fields: AvroField[]) => AvroField[]): AvroRecord {
  const copy = structuredClone(schema);
  const data = copy.fields.find((field) => field.name === 'data');
  if (!data) throw new Error(`${String(schema['name'])} has no data field`);
  const record = data.type as AvroRecord;
  record.fields = change(record.fields);
  return copy;
}

const postSchema = (path: string, schema: AvroSchema) =>
  fetch(`${stackEnv.registryUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': CONTENT_TYPE },
    body: JSON.stringify({ schema: JSON.stringify(schema), schemaType: 'AVRO' }),
  });

/** A schemas dir of its own, and the gate run on it against the registry, under our topic prefix. */
class TempSchemas {
  readonly dir: string;

  constructor(root: string) {
    this.dir = mkdtempSync(join(root, 'schemas-'));
  }

  write(type: string, version: number, schema: AvroSchema): void {
    mkdirSync(join(this.dir, type), { recursive: true });
    writeFileSync(join(this.dir, type, `v${version}.avsc`), JSON.stringify(schema, null, 2));
  }

  check(): { status: number | null; output: string } {
    const run = spawnSync(
      process.execPath,
      [join(repoRoot, 'scripts/schemas-check.mjs'), '--dir', this.dir, '--require-registry'],
      {
        cwd: repoRoot,
        encoding: 'utf8',
        env: { ...process.env, KAFKA_TOPIC_PREFIX: prefix, SCHEMA_REGISTRY_URL: stackEnv.registryUrl },
      },
    );
    return { status: run.status, output: `${run.stdout}${run.stderr}` };
  }
}

describe('npm run schemas:check against the registry', () => {
  const registry = createSchemaRegistry(stackEnv.registryUrl);
  const root = mkdtempSync(join(tmpdir(), 'hookstream-schemas-it-'));

  afterAll(async () => {
    rmSync(root, { recursive: true, force: true });
    // Our subjects, soft- then hard-deleted, with whatever else lives under the prefix.
    await cleanUp(prefix);
  });

  describe('a type whose v1 is registered', () => {
    const v1 = repoSchema('payin.succeeded/v1.avsc');
    const subject = subjectFor(topic, v1);
    const schemas = new TempSchemas(root);

    beforeAll(async () => {
      schemas.write('payin.succeeded', 1, v1);
      await registerAvroSchema(registry, topic, v1);
    });

    it('is a BACKWARD_TRANSITIVE subject named <topic>-<record full name>', async () => {
      expect(subject).toBe(`${prefix}.events-hookstream.events.PayinSucceeded`);
      const config = await fetch(`${stackEnv.registryUrl}/config/${encodeURIComponent(subject)}`);
      expect(await config.json()).toMatchObject({ compatibilityLevel: 'BACKWARD_TRANSITIVE' });
    });

    it('passes a v2 adding a field with a default, as compatible with the registered v1', () => {
      schemas.write(
        'payin.succeeded',
        2,
        withDataFields(v1, (fields) => [...fields, { name: 'surchargeAmount', type: 'long', default: 0 }]),
      );

      const { status, output } = schemas.check();

      expect(output).not.toMatch(/^FAIL/m);
      expect(status).toBe(0);
      expect(output).toContain(`registry: compatible with its latest version (${subject})`);
    });

    it('refuses a v2 changing a field type: the compatibility endpoint, the gate, and registration (409)', async () => {
      const breaking = withDataFields(v1, (fields) =>
        fields.map((field) => (field.name === 'amount' ? { ...field, type: 'string' } : field)),
      );
      schemas.write('payin.succeeded', 2, breaking);

      const compatibility = await postSchema(
        `/compatibility/subjects/${encodeURIComponent(subject)}/versions/latest?verbose=true`,
        breaking,
      );
      expect(compatibility.status).toBe(200);
      expect(await compatibility.json()).toMatchObject({ is_compatible: false });

      const { status, output } = schemas.check();
      expect(status).toBe(1);
      expect(output).toMatch(
        /^FAIL .*payin\.succeeded\/v2\.avsc: field "data\.amount" changed type from long to string/m,
      );
      expect(output).toContain(
        `payin.succeeded/v2.avsc: the registry refuses it: not compatible with the latest version of ${subject}`,
      );

      const registration = await postSchema(`/subjects/${encodeURIComponent(subject)}/versions`, breaking);
      expect(registration.status).toBe(409);
      await expect(registerAvroSchema(registry, topic, breaking)).rejects.toThrow(/incompatible/i);
    });
  });

  it('catches a registry whose latest version differs from the files, which the files alone cannot show', async () => {
    // The registry holds a v1 without `responseMessage`; the v1 file (fine on its own) requires it.
    const v1 = repoSchema('payout.updated/v1.avsc');
    const registered = withDataFields(v1, (fields) => fields.filter((field) => field.name !== 'responseMessage'));
    await registerAvroSchema(registry, topic, registered);
    const schemas = new TempSchemas(root);
    schemas.write('payout.updated', 1, v1);

    const { status, output } = schemas.check();

    expect(status).toBe(1);
    expect(output).toMatch(
      new RegExp(
        `^FAIL .*payout\\.updated/v1\\.avsc: the registry refuses it: not compatible with the latest version of ${subjectFor(topic, v1).replaceAll('.', '\\.')}`,
        'm',
      ),
    );
    expect(output.match(/^FAIL/gm)).toHaveLength(1);
  });
});
