/** The engine's own records, as their Avro schemas in schemas/internal/ define them (times in ms). */

export type Environment = 'sandbox' | 'live';

export interface SealedSecret {
  readonly sealed: Buffer;
  readonly expiresAt: number | null;
}

export interface EndpointConfigured {
  readonly endpointId: string;
  readonly tenantId: string;
  readonly environment: Environment;
  readonly url: string;
  readonly eventTypes: string[];
  readonly formatVersion: number;
  readonly timeoutMs: number;
  readonly rateLimitPerSecond: number | null;
  readonly retrySchedule: string[] | null;
  readonly ordering: string;
  readonly status: 'enabled' | 'disabled';
  readonly secrets: SealedSecret[];
  readonly version: number;
  readonly updatedAt: number;
}

export interface DeliveryScheduled {
  readonly deliveryId: string;
  readonly eventId: string;
  readonly tenantId: string;
  readonly environment: Environment;
  readonly endpointId: string;
  readonly eventType: string;
  readonly formatVersion: number;
  readonly transactionId: string | null;
  readonly scheduledAt: number;
}

export interface DispatchRequested {
  readonly deliveryId: string;
  readonly eventId: string;
  readonly tenantId: string;
  readonly environment: Environment;
  readonly endpointId: string;
  readonly eventType: string;
  readonly formatVersion: number;
  readonly attempt: number;
  readonly event: Buffer;
  readonly requestedAt: number;
}

/** An event as it travels on the events topic: the envelope of every event type. */
export interface EventEnvelope {
  readonly eventId: string;
  readonly tenantId: string;
  readonly environment: Environment;
  readonly type: string;
  readonly createdAt: number;
  readonly data: Record<string, unknown>;
}
