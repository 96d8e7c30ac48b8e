import type { AvroSchema, SchemaFile } from './schemas';

/** One bad field of a request, named by its path (e.g. `data.amount`). */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

export interface EventTypeVersion {
  readonly version: number;
  /** The envelope record: event id, tenant, environment, type, createdAt, and the typed `data`. */
  readonly schema: AvroSchema;
  /**
   * The schema to decode with when rendering this version: its fields also answer to the names later
   * versions renamed them to (a renamed field carries its old name in `aliases`; Avro resolution only
   * reads the reader's aliases, so an older reader learns the newer names here).
   */
  readonly readerSchema: AvroSchema;
}

export interface EventTypeDefinition {
  readonly type: string;
  readonly description: string;
  /** Sent only to endpoints that name the type: `"*"` does not include it. */
  readonly optIn: boolean;
  readonly versions: readonly EventTypeVersion[];
  readonly latestVersion: number;
}

export type ParseResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errors: FieldError[] };

type AvroType = string | AvroSchema | readonly AvroType[];
interface AvroField {
  readonly name: string;
  readonly aliases?: readonly string[];
  readonly type: AvroType;
  readonly default?: unknown;
  readonly allowedValues?: readonly string[];
  readonly format?: string;
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

/**
 * The event types of schemas/, and the JSON ⇄ Avro mapping of their `data`: ISO 8601 times become
 * timestamp-millis and back; `allowedValues` and `format` on a field are checked too.
 */
export class EventCatalogue {
  private readonly byType: ReadonlyMap<string, EventTypeDefinition>;
  /** `renderData` per type and version, compiled on first use: it runs for every delivery. */
  private readonly renderers = new Map<string, ToJson>();

  constructor(files: readonly SchemaFile[]) {
    const grouped = new Map<string, SchemaFile[]>();
    for (const file of files) grouped.set(file.type, [...(grouped.get(file.type) ?? []), file]);
    this.byType = new Map(
      [...grouped].map(([type, versions]) => {
        const sorted = [...versions].sort((a, b) => a.formatVersion - b.formatVersion);
        const latest = sorted[sorted.length - 1];
        if (!latest) throw new Error(`event type ${type} has no schema`);
        return [
          type,
          {
            type,
            description: String(latest.schema['doc'] ?? ''),
            optIn: latest.schema['optIn'] === true,
            versions: sorted.map((file, index) => ({
              version: file.formatVersion,
              schema: file.schema,
              readerSchema: withLaterNames(
                file.schema,
                sorted.slice(index + 1).map((later) => later.schema),
              ),
            })),
            latestVersion: latest.formatVersion,
          },
        ];
      }),
    );
  }

  types(): readonly EventTypeDefinition[] {
    return [...this.byType.values()];
  }

  get(type: string): EventTypeDefinition | undefined {
    return this.byType.get(type);
  }

  has(type: string): boolean {
    return this.byType.has(type);
  }

  schemaOf(type: string, version: number): AvroSchema | undefined {
    return this.versionOf(type, version)?.schema;
  }

  /** The schema that reads any version's data as this version (see EventTypeVersion.readerSchema). */
  readerSchemaOf(type: string, version: number): AvroSchema | undefined {
    return this.versionOf(type, version)?.readerSchema;
  }

  private versionOf(type: string, version: number): EventTypeVersion | undefined {
    return this.byType.get(type)?.versions.find((candidate) => candidate.version === version);
  }

  /** JSON `data` from a request, as the Avro value of that type's `data` record in that version. */
  parseData(type: string, version: number, data: unknown): ParseResult<Record<string, unknown>> {
    const record = this.dataRecord(type, version);
    const errors: FieldError[] = [];
    const value = fromJson(record, data, 'data', errors);
    return errors.length > 0 ? { ok: false, errors } : { ok: true, value: value as Record<string, unknown> };
  }

  /** An Avro `data` value as JSON: timestamps as ISO 8601, every field present. */
  renderData(type: string, version: number, data: Record<string, unknown>): Record<string, unknown> {
    const key = `${type}\u0000${version}`;
    let render = this.renderers.get(key);
    if (!render) {
      render = compileToJson(this.dataRecord(type, version));
      this.renderers.set(key, render);
    }
    return render(data) as Record<string, unknown>;
  }

  private dataRecord(type: string, version: number): AvroSchema {
    const schema = this.schemaOf(type, version);
    const data = (schema?.['fields'] as AvroField[] | undefined)?.find((field) => field.name === 'data');
    if (!data || typeof data.type !== 'object' || Array.isArray(data.type)) {
      throw new Error(`no data record for ${type} v${version}`);
    }
    return data.type as AvroSchema;
  }
}

function describe(type: AvroType): string {
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) return type.map(describe).join(' or ');
  const schema = type as AvroSchema;
  if (schema['logicalType'] === 'timestamp-millis') return 'an ISO 8601 date-time';
  return String(schema['type']);
}

function fromJson(type: AvroType, value: unknown, path: string, errors: FieldError[], field?: AvroField): unknown {
  const fail = (message: string) => {
    errors.push({ field: path, message });
    return undefined;
  };
  if (Array.isArray(type)) {
    if (value === null && type.includes('null')) return null;
    const branches = type.filter((branch) => branch !== 'null');
    const [only] = branches;
    if (branches.length === 1 && only !== undefined) return fromJson(only, value, path, errors, field);
    return fail(`must be ${describe(type)}`);
  }
  if (typeof type === 'string') {
    switch (type) {
      case 'string':
        if (typeof value !== 'string') return fail('must be a string');
        if (field?.allowedValues && !field.allowedValues.includes(value)) {
          return fail(`must be one of ${field.allowedValues.map((v) => `"${v}"`).join(', ')}`);
        }
        if (field?.format === 'iso4217' && !/^[A-Z]{3}$/.test(value))
          return fail('must be an ISO 4217 currency code (e.g. "EUR")');
        return value;
      case 'long':
        if (typeof value !== 'number' || !Number.isSafeInteger(value)) return fail('must be an integer');
        return value;
      case 'int':
        if (typeof value !== 'number' || !Number.isInteger(value) || value < INT_MIN || value > INT_MAX) {
          return fail('must be a 32-bit integer');
        }
        return value;
      case 'double':
      case 'float':
        if (typeof value !== 'number' || !Number.isFinite(value)) return fail('must be a number');
        return value;
      case 'boolean':
        if (typeof value !== 'boolean') return fail('must be true or false');
        return value;
      case 'null':
        if (value !== null) return fail('must be null');
        return null;
      default:
        return fail(`has an unsupported type ${type}`);
    }
  }
  const schema = type as AvroSchema;
  if (schema['logicalType'] === 'timestamp-millis') {
    if (typeof value !== 'string' || !ISO_8601.test(value) || Number.isNaN(Date.parse(value))) {
      return fail('must be an ISO 8601 date-time with a time zone (e.g. "2026-11-28T12:00:00Z")');
    }
    return Date.parse(value);
  }
  switch (schema['type']) {
    case 'record': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('must be an object');
      const input = value as Record<string, unknown>;
      const fields = schema['fields'] as AvroField[];
      // A field's former names (its aliases) are accepted too: a producer still sending an older shape keeps working.
      const known = new Set(fields.flatMap((f) => [f.name, ...(f.aliases ?? [])]));
      for (const name of Object.keys(input)) {
        if (!known.has(name)) errors.push({ field: `${path}.${name}`, message: 'is not a field of this event type' });
      }
      const output: Record<string, unknown> = {};
      for (const f of fields) {
        const fieldPath = `${path}.${f.name}`;
        const given = [f.name, ...(f.aliases ?? [])].filter((name) => input[name] !== undefined);
        const [name] = given;
        if (given.length > 1) {
          errors.push({ field: fieldPath, message: `give one of ${given.map((n) => `"${n}"`).join(', ')}, not both` });
          continue;
        }
        if (name === undefined) {
          if ('default' in f) output[f.name] = f.default;
          else errors.push({ field: fieldPath, message: 'is required' });
          continue;
        }
        output[f.name] = fromJson(f.type, input[name], fieldPath, errors, f);
      }
      return output;
    }
    case 'array': {
      if (!Array.isArray(value)) return fail('must be an array');
      return value.map((item, index) => fromJson(schema['items'] as AvroType, item, `${path}[${index}]`, errors));
    }
    case 'enum': {
      const symbols = schema['symbols'] as string[];
      if (typeof value !== 'string' || !symbols.includes(value)) return fail(`must be one of ${symbols.join(', ')}`);
      return value;
    }
    default:
      return fromJson(schema['type'] as AvroType, value, path, errors, field);
  }
}

type ToJson = (value: unknown) => unknown;

/** Avro value → JSON for one schema, the schema walked once: what `renderData` runs for every delivery. */
function compileToJson(type: AvroType): ToJson {
  if (Array.isArray(type)) {
    const only = type.find((branch) => branch !== 'null');
    return only === undefined ? () => null : compileToJson(only);
  }
  if (typeof type === 'string') return orNull((value) => value);
  const schema = type as AvroSchema;
  if (schema['logicalType'] === 'timestamp-millis') return orNull((value) => new Date(Number(value)).toISOString());
  if (schema['type'] === 'record') {
    const fields = (schema['fields'] as AvroField[]).map((field) => [field.name, compileToJson(field.type)] as const);
    return orNull((value) => {
      const input = value as Record<string, unknown>;
      const output: Record<string, unknown> = {};
      for (const [name, render] of fields) output[name] = render(input[name]);
      return output;
    });
  }
  if (schema['type'] === 'array') {
    const item = compileToJson(schema['items'] as AvroType);
    return orNull((value) => (value as unknown[]).map(item));
  }
  return typeof schema['type'] === 'string' && !['enum', 'fixed'].includes(schema['type'])
    ? compileToJson(schema['type'])
    : orNull((value) => value);
}

/** Null and undefined render as null, whatever the schema. */
function orNull(render: ToJson): ToJson {
  return (value) => (value === null || value === undefined ? null : render(value));
}

/**
 * A copy of `schema` whose record fields also carry, as aliases, the names later versions gave them
 * (a later field whose `aliases` hold this field's name). Records are matched by name, at any depth.
 */
function withLaterNames(schema: AvroSchema, later: readonly AvroSchema[]): AvroSchema {
  const laterRecords = new Map<string, AvroField[]>();
  for (const version of later) {
    forEachRecord(version, (record) => {
      const name = String(record['name']);
      laterRecords.set(name, [...(laterRecords.get(name) ?? []), ...(record['fields'] as AvroField[])]);
    });
  }
  const copy = structuredClone(schema) as Record<string, unknown>;
  forEachRecord(copy, (record) => {
    const fields = record['fields'] as (AvroField & { aliases?: string[] })[];
    const names = new Set(fields.map((field) => field.name));
    for (const field of fields) {
      const newer = (laterRecords.get(String(record['name'])) ?? [])
        .filter((candidate) => candidate.aliases?.includes(field.name) && !names.has(candidate.name))
        .map((candidate) => candidate.name);
      if (newer.length > 0) field.aliases = [...new Set([...(field.aliases ?? []), ...newer])];
    }
  });
  return copy;
}

function forEachRecord(type: unknown, visit: (record: Record<string, unknown>) => void): void {
  if (Array.isArray(type)) {
    for (const branch of type) forEachRecord(branch, visit);
    return;
  }
  if (typeof type !== 'object' || type === null) return;
  const schema = type as Record<string, unknown>;
  if (schema['type'] === 'record') {
    visit(schema);
    for (const field of schema['fields'] as AvroField[]) forEachRecord(field.type, visit);
  } else if (schema['type'] === 'array') {
    forEachRecord(schema['items'], visit);
  } else if (typeof schema['type'] === 'object') {
    forEachRecord(schema['type'], visit);
  }
}
