import {
  type EventCatalogue,
  type InternalRecordName,
  loadInternalSchema,
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
  const internal = {
    'endpoint-configured': await codec.register(topics.endpoints, loadInternalSchema('endpoint-configured')),
    'delivery-scheduled': await codec.register(topics.deliveryEvents, loadInternalSchema('delivery-scheduled')),
    'dispatch-requested': await codec.register(topics.dispatch, loadInternalSchema('dispatch-requested')),
  };
  return { events, internal };
}
