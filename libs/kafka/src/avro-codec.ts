import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { type Resolver, Type } from 'avsc';
import type { AvroSchema } from '@hookstream/contracts';
import type { KafkaSettings } from './kafka-settings';
import { PersistedSchemaCache, type SchemaCacheLogger } from './schema-cache';
import {
  canonicalSchemaJson,
  createSchemaRegistry,
  isRegistryUnreachable,
  registerAvroSchema,
  subjectFor,
} from './schema-registry';

export interface RegisteredSchema {
  readonly id: number;
  readonly subject: string;
}

export interface AvroCodecOptions {
  /** The schemas on disk: the fallback while the registry is unreachable. */
  readonly cache?: PersistedSchemaCache;
  readonly logger?: SchemaCacheLogger;
}

/** A value the writer's schema does not accept; `paths` are the fields at fault. */
export class AvroValidationError extends Error {
  override readonly name = 'AvroValidationError';
  constructor(
    message: string,
    readonly paths: readonly string[],
  ) {
    super(message);
  }
}

/**
 * Avro in the Confluent wire format. Each writer schema's avsc Type is built once per id and kept
 * here, found in this order: in memory, the registry, then (only while the registry is unreachable)
 * the persisted cache. Schemas are registered once at start; after that the registry is needed only
 * for schema ids not seen before, and not even then if another start persisted them.
 */
export class AvroCodec {
  private readonly registered = new Map<string, RegisteredSchema>();
  private readonly writers = new Map<number, Promise<Type>>();
  private readonly readers = new WeakMap<AvroSchema, { type: Type; resolvers: Map<number, Resolver> }>();

  constructor(
    private readonly registry: SchemaRegistry,
    private readonly options: AvroCodecOptions = {},
  ) {}

  /** Registers (or finds) the schema under `<topic>-<record full name>` and remembers its id. */
  async register(topic: string, schema: AvroSchema): Promise<RegisteredSchema> {
    const key = `${topic}\u0000${JSON.stringify(schema)}`;
    const known = this.registered.get(key);
    if (known) return known;
    const registered = await registerAvroSchema(this.registry, topic, schema);
    this.options.cache?.rememberRegistration(registered.subject, canonicalSchemaJson(schema), registered.id);
    return this.remember(key, registered, schema);
  }

  /** The id a previous start persisted for this schema, for starting while the registry is unreachable. */
  registerFromCache(topic: string, schema: AvroSchema): RegisteredSchema | undefined {
    const subject = subjectFor(topic, schema);
    const id = this.options.cache?.registeredId(subject, canonicalSchemaJson(schema));
    if (id === undefined) return undefined;
    return this.remember(`${topic}\u0000${JSON.stringify(schema)}`, { id, subject }, schema);
  }

  async encode(schemaId: number, value: unknown): Promise<Buffer> {
    const writer = await this.writerType(schemaId);
    let payload: Buffer;
    try {
      payload = writer.toBuffer(value);
    } catch (error) {
      const paths: string[] = [];
      writer.isValid(value, { errorHook: (path) => paths.push(path.join('.')) });
      throw new AvroValidationError((error as Error).message, paths);
    }
    const header = Buffer.alloc(5);
    header.writeInt32BE(schemaId, 1);
    return Buffer.concat([header, payload]);
  }

  /**
   * Decodes with the writer's schema resolved to `readerSchema` (Avro schema resolution: another
   * format version). Reader types and resolvers are built once per (reader, writer) pair: building
   * them is most of the cost of a decode.
   */
  async decodeAs<T>(bytes: Buffer, readerSchema: AvroSchema): Promise<T> {
    const writerId = schemaIdOf(bytes);
    let reader = this.readers.get(readerSchema);
    if (!reader) {
      reader = { type: Type.forSchema(readerSchema as never), resolvers: new Map() };
      this.readers.set(readerSchema, reader);
    }
    let resolver = reader.resolvers.get(writerId);
    if (!resolver) {
      resolver = reader.type.createResolver(await this.writerType(writerId));
      reader.resolvers.set(writerId, resolver);
    }
    return reader.type.fromBuffer(bytes.subarray(5), resolver) as T;
  }

  /** The full name of the record the writer's schema describes, e.g. `hookstream.delivery.AttemptFailed`. */
  async writerName(bytes: Buffer): Promise<string> {
    return (await this.writerType(schemaIdOf(bytes))).name ?? '';
  }

  async decode<T>(bytes: Buffer): Promise<{ value: T; schemaId: number }> {
    const schemaId = schemaIdOf(bytes);
    const writer = await this.writerType(schemaId);
    return { value: writer.fromBuffer(bytes.subarray(5)) as T, schemaId };
  }

  private remember(key: string, registered: RegisteredSchema, schema: AvroSchema): RegisteredSchema {
    this.registered.set(key, registered);
    if (!this.writers.has(registered.id)) {
      this.writers.set(registered.id, Promise.resolve(Type.forSchema(schema as never)));
    }
    return registered;
  }

  /** One lookup per id at a time; a failed one is forgotten, so the next decode tries again. */
  private writerType(id: number): Promise<Type> {
    let writer = this.writers.get(id);
    if (!writer) {
      writer = this.lookUpWriterType(id);
      this.writers.set(id, writer);
      const lookup = writer;
      lookup.catch(() => {
        if (this.writers.get(id) === lookup) this.writers.delete(id);
      });
    }
    return writer;
  }

  private async lookUpWriterType(id: number): Promise<Type> {
    let writer: Type;
    try {
      writer = (await this.registry.getSchema(id)) as unknown as Type;
    } catch (error) {
      // A 404 or any other answer is rethrown as it is: the caller tells permanent from retryable.
      const cached = isRegistryUnreachable(error) ? this.cachedWriterType(id) : undefined;
      if (!cached) throw error;
      this.options.logger?.warn(
        { err: error, schemaId: id },
        'schema registry unreachable: using the persisted copy of this schema',
      );
      return cached;
    }
    this.options.cache?.rememberSchema(id, JSON.stringify(writer.schema({ exportAttrs: true })));
    return writer;
  }

  private cachedWriterType(id: number): Type | undefined {
    const text = this.options.cache?.schemaText(id);
    if (text === undefined) return undefined;
    try {
      return Type.forSchema(JSON.parse(text) as never);
    } catch (error) {
      this.options.logger?.warn({ err: error, schemaId: id }, 'persisted schema is not a valid Avro schema; ignored');
      return undefined;
    }
  }
}

/** The apps' codec: their registry, with its schemas persisted under SCHEMA_CACHE_DIR. */
export function createAvroCodec(settings: KafkaSettings, logger: SchemaCacheLogger): AvroCodec {
  const cache =
    settings.schemaCacheDir === undefined
      ? undefined
      : new PersistedSchemaCache(settings.schemaCacheDir, settings.registryUrl, logger);
  return new AvroCodec(createSchemaRegistry(settings.registryUrl), { cache, logger });
}

/** The schema id of a Confluent-framed value (magic byte 0, then the id as a 4-byte big-endian int). */
export function schemaIdOf(bytes: Buffer): number {
  if (bytes.length < 5 || bytes[0] !== 0) throw new Error('not in the Confluent wire format');
  return bytes.readInt32BE(1);
}
