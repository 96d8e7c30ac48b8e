import type { EventTypeDefinition } from './event-catalogue';

/** The notice an endpoint gets when a format version it is pinned to is deprecated. */
export const FORMAT_DEPRECATED_EVENT_TYPE = 'hookstream.format_deprecated';

/**
 * A system event type (`"system": true` in its schema) is sent by hookstream itself, to the endpoints it
 * is about: merchants neither publish it nor subscribe to it, and the fan-out leaves it alone.
 */
export function isSystemEventType(definition: EventTypeDefinition | undefined): boolean {
  const latest = definition?.versions[definition.versions.length - 1];
  return latest?.schema['system'] === true;
}

/** The types merchants publish and subscribe to: the catalogue without its system types. */
export function merchantEventTypes(types: readonly EventTypeDefinition[]): EventTypeDefinition[] {
  return types.filter((definition) => !isSystemEventType(definition));
}
