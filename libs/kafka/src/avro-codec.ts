import { type SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type { AvroSchema } from '@hookstream/contracts';
import { registerAvroSchema, subjectFor } from './schema-registry';

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

  /** Decodes with the writer's schema resolved to `readerSchema` (Avro schema resolution: another format version). */
  async decodeAs<T>(bytes: Buffer, readerSchema: AvroSchema): Promise<T> {
    return (await this.registry.decode(bytes, { [SchemaType.AVRO]: { readerSchema: readerSchema as never } })) as T;
  }

  async decode<T>(bytes: Buffer): Promise<{ value: T; schemaId: number }> {
    return { value: (await this.registry.decode(bytes)) as T, schemaId: schemaIdOf(bytes) };
  }
}

export { subjectFor };

/** The schema id of a Confluent-framed value (magic byte 0, then the id as a 4-byte big-endian int). */
export function schemaIdOf(bytes: Buffer): number {
  if (bytes.length < 5 || bytes[0] !== 0) throw new Error('not in the Confluent wire format');
  return bytes.readInt32BE(1);
}
