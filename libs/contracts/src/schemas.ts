import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** An Avro schema as parsed JSON. */
export type AvroSchema = Readonly<Record<string, unknown>>;

/** schemas/ at the repository root, found from source (ts-jest) and from the build output alike. */
export function schemasDir(from = __dirname): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'schemas');
    if (existsSync(join(dir, 'package.json')) && existsSync(candidate)) return candidate;
  }
  throw new Error(`no schemas/ directory above ${from}`);
}

export interface SchemaFile {
  /** The event type, from the folder name (e.g. `payin.succeeded`). */
  readonly type: string;
  /** The format version, from the file name (`v2.avsc` → 2), never from the registry's numbering. */
  readonly formatVersion: number;
  readonly path: string;
  readonly schema: AvroSchema;
}

/** Event type folders are named like the types themselves: `<noun>.<verb or state>`. */
const EVENT_TYPE_FOLDER = /^[a-z]+\.[a-z_]+$/;

export function loadSchemaFiles(dir = schemasDir()): readonly SchemaFile[] {
  const files: SchemaFile[] = [];
  for (const type of readdirSync(dir, { withFileTypes: true })) {
    if (!type.isDirectory() || !EVENT_TYPE_FOLDER.test(type.name)) continue;
    for (const file of readdirSync(join(dir, type.name))) {
      const match = /^v(\d+)\.avsc$/.exec(file);
      if (!match) continue;
      const path = join(dir, type.name, file);
      files.push({ type: type.name, formatVersion: Number(match[1]), path, schema: readJson(path) });
    }
  }
  return files.sort((a, b) => a.type.localeCompare(b.type) || a.formatVersion - b.formatVersion);
}

/** The engine's own records (endpoint changes, delivery events, dispatch requests): `schemas/internal/<name>.avsc`. */
export const INTERNAL_RECORDS = {
  'endpoint-configured': 'endpoints',
  'delivery-scheduled': 'deliveryEvents',
  'attempt-succeeded': 'deliveryEvents',
  'attempt-failed': 'deliveryEvents',
  'retry-scheduled': 'deliveryEvents',
  'delivery-exhausted': 'deliveryEvents',
  'delivery-redriven': 'deliveryEvents',
  'endpoint-disabled': 'deliveryEvents',
  'circuit-opened': 'deliveryEvents',
  'circuit-closed': 'deliveryEvents',
  'sequence-skipped': 'deliveryEvents',
  // On the ordering topic, a dispatch request waits to be numbered (its sequence still null).
  'dispatch-requested': ['dispatch', 'ordering'],
  'retry-requested': 'retry',
  'ordered-delivery-finished': 'ordering',
} as const;
/** Each record's name, and which topics carry it (`retry`: every retry tier). */
export type InternalRecordName = keyof typeof INTERNAL_RECORDS;

export function loadInternalSchema(name: InternalRecordName, dir = schemasDir()): AvroSchema {
  return readJson(join(dir, 'internal', `${name}.avsc`));
}

function readJson(path: string): AvroSchema {
  return JSON.parse(readFileSync(path, 'utf8')) as AvroSchema;
}

/** The gRPC contract: `libs/contracts/proto/hookstream/v1/delivery_status.proto`. */
export function deliveryStatusProto(): string {
  return join(dirname(schemasDir()), 'libs/contracts/proto/hookstream/v1/delivery_status.proto');
}
