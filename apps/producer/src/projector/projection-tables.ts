/**
 * The tables folded from the delivery log. The live projector writes the tables of these names; a
 * rebuild writes the same shapes under a prefix, then swaps them in.
 */
export const DELIVERY_LOG_TABLES = [
  'deliveries',
  'attempts',
  'endpoint_attempts_hourly',
  'endpoint_health',
  'event_type_versions',
] as const;

export type DeliveryLogTable = (typeof DELIVERY_LOG_TABLES)[number];

export type ProjectionTables = Readonly<Record<DeliveryLogTable, string>>;

export const LIVE_TABLES: ProjectionTables = Object.fromEntries(
  DELIVERY_LOG_TABLES.map((table) => [table, table]),
) as ProjectionTables;

export function prefixedTables(prefix: string): ProjectionTables {
  return Object.fromEntries(DELIVERY_LOG_TABLES.map((table) => [table, `${prefix}${table}`])) as ProjectionTables;
}

/**
 * Held shared by every projector batch and exclusively by a rebuild: while a rebuild holds it, the
 * live tables stay at one cut of the log. Any constant, distinct from the migration lock.
 */
export const PROJECTION_LOCK = 0x70726f6a;

/** The projection's name in `projection_offsets`. */
export const PROJECTION = 'deliveries';
