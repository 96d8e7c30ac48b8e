import { type EventCatalogue, type EventEnvelope, isSystemEventType, isTestEventRecord } from '@hookstream/contracts';
import { isSubscribed } from '@hookstream/delivery';

/** What a replay asks for: one endpoint's subscription, over a time range, optionally fewer types. */
export interface ReplayCriteria {
  readonly endpoint: {
    readonly id: string;
    readonly tenantId: string;
    readonly environment: 'sandbox' | 'live';
    readonly eventTypes: readonly string[];
  };
  /** Event creation times, `since` included, `until` excluded (epoch milliseconds). */
  readonly since: number;
  readonly until: number;
  /** Types to replay among those the endpoint receives; all of them when absent. */
  readonly eventTypes?: readonly string[];
}

/**
 * The fan-out's own decision, made again for one endpoint over a past range: the endpoint's owner, a
 * type it subscribes to now (opt-in types only by name), and never a test or a system event (those
 * had deliveries of their own). Disabled endpoints are refused before a replay starts.
 */
export function matchesReplay(
  event: Pick<EventEnvelope, 'tenantId' | 'environment' | 'type' | 'createdAt'>,
  headers: Readonly<Record<string, unknown>> | undefined,
  criteria: ReplayCriteria,
  catalogue: EventCatalogue,
): boolean {
  const { endpoint } = criteria;
  if (event.tenantId !== endpoint.tenantId || event.environment !== endpoint.environment) return false;
  if (event.createdAt < criteria.since || event.createdAt >= criteria.until) return false;
  if (criteria.eventTypes && !criteria.eventTypes.includes(event.type)) return false;
  if (isTestEventRecord(headers)) return false;
  const definition = catalogue.get(event.type);
  if (!definition || isSystemEventType(definition)) return false;
  return isSubscribed(
    {
      endpointId: endpoint.id,
      tenantId: endpoint.tenantId,
      environment: endpoint.environment,
      eventTypes: endpoint.eventTypes,
      status: 'enabled',
    },
    event.type,
    definition.optIn,
  );
}
