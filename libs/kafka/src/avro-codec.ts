import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { type Resolver, Type } from 'avsc';
import type { AvroSchema } from '@hookstream/contracts';
import { registerAvroSchema } from './schema-registry';

export interface RegisteredSchema {
  readonly id: number;
  readonly subject: string;
}

/**
 * Avro in the Confluent wire format, with the registry client's caches. Schemas are registered once at
 * start; after that encoding and decoding need the registry only for schema ids not seen before.
 */
export class AvroCodec {
  private readonly registered = new Map<string, RegisteredSchema>();
  private readonly writerNames = new Map<number, string>();
  private readonly readers = new WeakMap<AvroSchema, { type: Type; resolvers: Map<number, Resolver> }>();

  constructor(private readonly registry: SchemaRegistry) {}

  /** Registers (or finds) the schema under `<topic>-<record full name>` and remembers its id. */
  async register(topic: string, schema: AvroSchema): Promise<RegisteredSchema> {
    const key = `${topic}\u0000${JSON.stringify(schema)}`;
    const known = this.registered.get(key);
    if (known) return known;
    const registered = await registerAvroSchema(this.registry, topic, schema);
    this.registered.set(key, registered);
    return registered;
  }

  encode(schemaId: number, value: unknown): Promise<Buffer> {
    return this.registry.encode(schemaId, value);
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
      const writer = (await this.registry.getSchema(writerId)) as unknown as Type;
      resolver = reader.type.createResolver(writer);
      reader.resolvers.set(writerId, resolver);
    }
    return reader.type.fromBuffer(bytes.subarray(5), resolver) as T;
  }

  /** The full name of the record the writer's schema describes, e.g. `hookstream.delivery.AttemptFailed`. */
  async writerName(bytes: Buffer): Promise<string> {
    const writerId = schemaIdOf(bytes);
    let name = this.writerNames.get(writerId);
    if (name === undefined) {
      name = ((await this.registry.getSchema(writerId)) as unknown as Type).name ?? '';
      this.writerNames.set(writerId, name);
    }
    return name;
  }

  async decode<T>(bytes: Buffer): Promise<{ value: T; schemaId: number }> {
    return { value: (await this.registry.decode(bytes)) as T, schemaId: schemaIdOf(bytes) };
  }
}

/** The schema id of a Confluent-framed value (magic byte 0, then the id as a 4-byte big-endian int). */
export function schemaIdOf(bytes: Buffer): number {
  if (bytes.length < 5 || bytes[0] !== 0) throw new Error('not in the Confluent wire format');
  return bytes.readInt32BE(1);
}
