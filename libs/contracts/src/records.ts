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

/** What every record about one delivery carries. */
export interface DeliveryRef {
  readonly deliveryId: string;
  readonly eventId: string;
  readonly tenantId: string;
  readonly environment: Environment;
  readonly endpointId: string;
  readonly eventType: string;
}

/**
 * Just the delivery reference of a record (records carry more fields than the next one takes). Spread it
 * last in a record literal, `{ attempt, ...deliveryRefOf(dispatch) }`: on the Node we run (V8 11.3),
 * fields new to a spread object that follow the spread give every object a hidden class of its own,
 * about 1 µs per field, and leave the code reading those objects megamorphic.
 */
export function deliveryRefOf(record: DeliveryRef): DeliveryRef {
  return {
    deliveryId: record.deliveryId,
    eventId: record.eventId,
    tenantId: record.tenantId,
    environment: record.environment,
    endpointId: record.endpointId,
    eventType: record.eventType,
  };
}

export interface DeliveryScheduled extends DeliveryRef {
  readonly formatVersion: number;
  /** The registry id of the format version's schema; null in records written before it was kept. */
  readonly schemaId: number | null;
  readonly transactionId: string | null;
  readonly scheduledAt: number;
  /** A sample event sent by `POST /v1/endpoints/:id/test`; false in records written before it was kept. */
  readonly isTest: boolean;
}

/** Where an ordered delivery stands in its key's order; absent (null when decoded) on every other delivery. */
export interface OrderingPosition {
  /** The business key of a `per-key` endpoint's delivery (see `orderingKeyOf`). */
  readonly orderingKey?: string | null;
  /** 1, 2, … per key and endpoint; null while the delivery waits for the sequencer to number it. */
  readonly sequence?: number | null;
}

export interface DispatchRequested extends DeliveryRef, OrderingPosition {
  readonly formatVersion: number;
  readonly attempt: number;
  readonly event: Buffer;
  readonly requestedAt: number;
  /** Sent with a `hookstream-test: 1` header; false in records written before it was kept. */
  readonly isTest: boolean;
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

export interface AttemptRecord extends DeliveryRef {
  readonly attempt: number;
  readonly formatVersion: number;
  readonly attemptedAt: number;
  readonly url: string;
  readonly resolvedIp: string | null;
  readonly latencyMs: number;
  readonly statusCode: number | null;
  readonly responseBody: string | null;
  readonly secretFingerprints: string[];
  readonly signedContentSha256: string;
  readonly webhookTimestamp: number;
}

export type AttemptSucceeded = AttemptRecord;

export type AttemptErrorClass =
  'timeout' | 'connection_refused' | 'connection_reset' | 'dns' | 'tls' | 'non_2xx' | 'refused_address' | 'other';

export interface AttemptFailed extends AttemptRecord {
  readonly errorClass: AttemptErrorClass;
  readonly error: string | null;
}

export interface RetryScheduled extends DeliveryRef {
  readonly attempt: number;
  readonly dueAt: number;
  readonly tiers: string[];
  readonly scheduledAt: number;
}

export interface DeliveryRedriven extends DeliveryRef {
  readonly attempt: number;
  readonly reason: string;
  readonly redrivenAt: number;
}

export interface DeliveryExhausted extends DeliveryRef {
  readonly attempts: number;
  readonly exhaustedAt: number;
  /** An `ExhaustedReason` (@hookstream/delivery); null in records written before it was added. */
  readonly reason: string | null;
}

interface EndpointRef {
  readonly endpointId: string;
  readonly tenantId: string;
  readonly environment: Environment;
}

export interface EndpointDisabled extends EndpointRef {
  readonly reason: string;
  readonly disabledAt: number;
}

export interface CircuitOpened extends EndpointRef {
  readonly consecutiveFailures: number;
  readonly openedAt: number;
}

export interface CircuitClosed extends EndpointRef {
  readonly closedAt: number;
}

export interface RetryRequested extends DeliveryRef, OrderingPosition {
  readonly formatVersion: number;
  readonly attempt: number;
  readonly event: Buffer;
  readonly dueAt: number;
  readonly remainingTiers: string[];
  /** Carried into the retry's DispatchRequested; false in records written before it was kept. */
  readonly isTest: boolean;
}

/** An ordered delivery's end, on the ordering topic: the sequencer lets the next one of its key go. */
export interface OrderedDeliveryFinished extends DeliveryRef {
  readonly orderingKey: string;
  readonly sequence: number;
  readonly outcome: 'succeeded' | 'exhausted' | 'dropped';
  readonly finishedAt: number;
}

/** On the delivery log: an ordered delivery ended without success and its key moved past it. */
export interface SequenceSkipped extends DeliveryRef {
  readonly orderingKey: string;
  readonly sequence: number;
  readonly reason: 'exhausted' | 'dropped';
  readonly skippedAt: number;
}
