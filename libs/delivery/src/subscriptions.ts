/** What the fan-out needs to know of an endpoint to decide whether an event goes to it. */
export interface EndpointSubscription {
  readonly endpointId: string;
  readonly tenantId: string;
  readonly environment: 'sandbox' | 'live';
  readonly eventTypes: readonly string[];
  readonly status: 'enabled' | 'disabled';
}

/** `"*"` subscribes to every type except the opt-in ones, which an endpoint must name. */
export function isSubscribed(endpoint: EndpointSubscription, eventType: string, isOptIn: boolean): boolean {
  if (endpoint.status !== 'enabled') return false;
  if (endpoint.eventTypes.includes(eventType)) return true;
  return !isOptIn && endpoint.eventTypes.includes('*');
}

/** The endpoints of one tenant and environment, kept current from the endpoint change feed. */
export class EndpointDirectory<T extends EndpointSubscription> {
  private readonly byId = new Map<string, T>();
  private readonly byOwner = new Map<string, Map<string, T>>();

  upsert(endpoint: T): void {
    this.remove(endpoint.endpointId);
    this.byId.set(endpoint.endpointId, endpoint);
    const key = ownerKey(endpoint.tenantId, endpoint.environment);
    const owned = this.byOwner.get(key) ?? new Map<string, T>();
    owned.set(endpoint.endpointId, endpoint);
    this.byOwner.set(key, owned);
  }

  remove(endpointId: string): void {
    const existing = this.byId.get(endpointId);
    if (!existing) return;
    this.byId.delete(endpointId);
    this.byOwner.get(ownerKey(existing.tenantId, existing.environment))?.delete(endpointId);
  }

  get(endpointId: string): T | undefined {
    return this.byId.get(endpointId);
  }

  subscribers(tenantId: string, environment: string, eventType: string, isOptIn: boolean): T[] {
    const owned = this.byOwner.get(ownerKey(tenantId, environment));
    return owned ? [...owned.values()].filter((endpoint) => isSubscribed(endpoint, eventType, isOptIn)) : [];
  }

  get size(): number {
    return this.byId.size;
  }
}

const ownerKey = (tenantId: string, environment: string) => `${tenantId}/${environment}`;
