import { type AvroSchema, type InternalRecordName, loadInternalSchema } from '@hookstream/contracts';
import type { AvroCodec } from './avro-codec';

/**
 * Names and decodes some of the engine's own records by their writer schema's record name, read with
 * today's schema: a record written under an older version of its schema (another id) is still recognised.
 */
export class InternalRecordDecoder<Name extends InternalRecordName = InternalRecordName> {
  private readonly byFullName: ReadonlyMap<string, { name: Name; schema: AvroSchema }>;

  constructor(
    private readonly codec: AvroCodec,
    names: readonly Name[],
  ) {
    this.byFullName = new Map(
      names.map((name) => {
        const schema = loadInternalSchema(name);
        return [`${String(schema.namespace)}.${String(schema.name)}`, { name, schema }];
      }),
    );
  }

  /** The record, or undefined for a value that is not one of these (not Confluent-framed, or another record). */
  async decode(value: Buffer | null): Promise<{ name: Name; record: unknown } | undefined> {
    if (!value || value.length < 5 || value[0] !== 0) return undefined;
    const known = this.byFullName.get(await this.codec.writerName(value));
    if (!known) return undefined;
    return { name: known.name, record: await this.codec.decodeAs(value, known.schema) };
  }
}
