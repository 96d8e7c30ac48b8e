import {
  type EventCatalogue,
  INTERNAL_RECORDS,
  type InternalRecordName,
  loadInternalSchema,
  RETRY_TIERS,
  type TopicNames,
} from '@hookstream/contracts';
import type { AvroCodec, RegisteredSchema } from './avro-codec';

export interface RegisteredSchemas {
  /** Per event type, its format versions' subjects and ids, on the events topic. */
  readonly events: ReadonlyMap<string, ReadonlyMap<number, RegisteredSchema>>;
  readonly internal: Readonly<Record<InternalRecordName, RegisteredSchema>>;
}

/**
 * Registers every schema the apps write: each event type's versions in order (so the subject's
 * versions are the format versions), and the engine's own records under the topics that carry them.
 */
export async function registerSchemas(
  codec: AvroCodec,
  catalogue: EventCatalogue,
  topics: TopicNames,
): Promise<RegisteredSchemas> {
  const events = new Map<string, Map<number, RegisteredSchema>>();
  for (const definition of catalogue.types()) {
    const versions = new Map<number, RegisteredSchema>();
    for (const { version, schema } of definition.versions)
      versions.set(version, await codec.register(topics.events, schema));
    events.set(definition.type, versions);
  }
  const internal = {} as Record<InternalRecordName, RegisteredSchema>;
  for (const [name, topic] of Object.entries(INTERNAL_RECORDS) as [
    InternalRecordName,
    (typeof INTERNAL_RECORDS)[InternalRecordName],
  ][]) {
    const schema = loadInternalSchema(name);
    if (topic === 'retry') {
      // The same record on every tier: one subject per tier topic, the same schema id.
      for (const tier of RETRY_TIERS) internal[name] = await codec.register(topics.retry(tier), schema);
    } else {
      internal[name] = await codec.register(topics[topic], schema);
    }
  }
  return { events, internal };
}
