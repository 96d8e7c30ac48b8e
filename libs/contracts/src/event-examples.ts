import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventCatalogue } from './event-catalogue';
import { schemasDir } from './schemas';
import { merchantEventTypes } from './system-event-types';

/** A sample event's `data`, as JSON in the type's newest format version. */
export interface EventExample {
  readonly type: string;
  readonly formatVersion: number;
  readonly data: Record<string, unknown>;
}

/**
 * The sample `data` of each merchant event type, from `schemas/<type>/example.json` beside its schemas
 * (what `POST /v1/endpoints/:id/test` sends). Each is checked against the type's newest format version
 * when loaded, so a schema change that breaks an example fails at start, not when a merchant tests.
 */
export class EventExamples {
  private readonly byType: ReadonlyMap<string, EventExample>;

  constructor(catalogue: EventCatalogue, dir = schemasDir()) {
    const byType = new Map<string, EventExample>();
    for (const definition of merchantEventTypes(catalogue.types())) {
      const path = join(dir, definition.type, 'example.json');
      if (!existsSync(path)) throw new Error(`${definition.type} has no example (${path})`);
      const parsed = catalogue.parseData(
        definition.type,
        definition.latestVersion,
        JSON.parse(readFileSync(path, 'utf8')) as unknown,
      );
      if (!parsed.ok) {
        throw new Error(
          `${path} is not a valid ${definition.type} v${definition.latestVersion}: ${JSON.stringify(parsed.errors)}`,
        );
      }
      byType.set(definition.type, {
        type: definition.type,
        formatVersion: definition.latestVersion,
        data: parsed.value,
      });
    }
    this.byType = byType;
  }

  /** The example of a merchant type; undefined for an unknown or system type (those cannot be tested). */
  get(type: string): EventExample | undefined {
    return this.byType.get(type);
  }
}
