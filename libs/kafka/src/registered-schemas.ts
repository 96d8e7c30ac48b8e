import {
  type AvroSchema,
  type EventCatalogue,
  INTERNAL_RECORDS,
  type InternalRecordName,
  loadInternalSchema,
  RETRY_TIERS,
  type TopicNames,
} from '@hookstream/contracts';
import type { AvroCodec, RegisteredSchema } from './avro-codec';
import type { SchemaCacheLogger } from './schema-cache';
import { isRegistryUnreachable, subjectFor } from './schema-registry';

export interface RegisteredSchemas {
  /** Per event type, its format versions' subjects and ids, on the events topic. */
  readonly events: ReadonlyMap<string, ReadonlyMap<number, RegisteredSchema>>;
  readonly internal: Readonly<Record<InternalRecordName, RegisteredSchema>>;
}

/**
 * Registers every schema the apps write: each event type's versions in order (so the subject's
 * versions are the format versions), and the engine's own records under the topics that carry them.
 * With the registry unreachable, the ids a previous start persisted will do, if there is one for
 * every schema: the app starts (with a warning) rather than waiting for the registry.
 */
export async function registerSchemas(
  codec: AvroCodec,
  catalogue: EventCatalogue,
  topics: TopicNames,
  logger?: SchemaCacheLogger,
): Promise<RegisteredSchemas> {
  const registrar = cacheFallback(codec);
  const events = new Map<string, Map<number, RegisteredSchema>>();
  for (const definition of catalogue.types()) {
    const versions = new Map<number, RegisteredSchema>();
    for (const { version, schema } of definition.versions)
      versions.set(version, await registrar.register(topics.events, schema));
    events.set(definition.type, versions);
  }
  const internal = {} as Record<InternalRecordName, RegisteredSchema>;
  for (const [name, carriers] of Object.entries(INTERNAL_RECORDS) as [
    InternalRecordName,
    (typeof INTERNAL_RECORDS)[InternalRecordName],
  ][]) {
    const schema = loadInternalSchema(name);
    // The same record on several topics (every retry tier): one subject per topic, the same schema id.
    for (const topic of [carriers].flat()) {
      if (topic === 'retry') {
        for (const tier of RETRY_TIERS) internal[name] = await registrar.register(topics.retry(tier), schema);
      } else {
        internal[name] = await registrar.register(topics[topic], schema);
      }
    }
  }
  if (registrar.unreachable) {
    logger?.warn(
      { err: registrar.unreachable },
      'schema registry unreachable: started from the persisted schema cache; new schema ids cannot be decoded until it is back',
    );
  }
  return { events, internal };
}

/** After the first schema the registry could not take, the rest come from the cache straight away. */
function cacheFallback(codec: AvroCodec) {
  const state = {
    unreachable: undefined as Error | undefined,
    async register(topic: string, schema: AvroSchema): Promise<RegisteredSchema> {
      if (!state.unreachable) {
        try {
          return await codec.register(topic, schema);
        } catch (error) {
          if (!isRegistryUnreachable(error)) throw error;
          state.unreachable = error as Error;
        }
      }
      const cached = codec.registerFromCache(topic, schema);
      if (cached) return cached;
      throw new Error(
        `schema registry unreachable (${state.unreachable.message}) and no persisted schema id for ` +
          `${subjectFor(topic, schema)}: cannot start until the registry answers`,
        { cause: state.unreachable },
      );
    },
  };
  return state;
}
