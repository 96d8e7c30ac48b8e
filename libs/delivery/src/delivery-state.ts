/**
 * A delivery's state, folded from its events on the delivery log (the truth). `evolve` is pure and
 * idempotent: an event applied twice changes nothing the second time, so replays and redeliveries
 * of the log give the same state.
 */

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed' | 'exhausted';

/**
 * Why an exhausted delivery gets no further attempt: its retry schedule ran out, its endpoint answered
 * 410 Gone, or its endpoint was disabled or deleted before the attempt went out (none was made).
 */
export type ExhaustedReason = 'retries_exhausted' | 'endpoint_gone' | 'endpoint_disabled' | 'endpoint_deleted';

export interface AttemptSummary {
  readonly n: number;
  readonly at: number;
  readonly statusCode: number | null;
  readonly latencyMs: number;
  readonly errorClass: string | null;
  readonly error: string | null;
  readonly responseBody: string | null;
}

interface DeliveryFacts {
  readonly deliveryId: string;
  readonly eventId: string;
  readonly tenantId: string;
  readonly environment: 'sandbox' | 'live';
  readonly endpointId: string;
  readonly eventType: string;
}

export type DeliveryEvent =
  | ({
      readonly type: 'DeliveryScheduled';
      readonly formatVersion: number;
      readonly schemaId: number | null;
      readonly transactionId: string | null;
      readonly scheduledAt: number;
      /** A sample event sent by `POST /v1/endpoints/:id/test`. */
      readonly isTest: boolean;
    } & DeliveryFacts)
  | ({ readonly type: 'AttemptSucceeded' | 'AttemptFailed'; readonly attempt: AttemptSummary } & DeliveryFacts)
  | ({ readonly type: 'RetryScheduled'; readonly attempt: number; readonly dueAt: number } & DeliveryFacts)
  | ({
      readonly type: 'DeliveryExhausted';
      readonly attempts: number;
      readonly exhaustedAt: number;
      readonly reason: ExhaustedReason;
    } & DeliveryFacts)
  | ({ readonly type: 'DeliveryRedriven'; readonly redrivenAt: number } & DeliveryFacts);

export type DeliveryState =
  | { readonly status: 'unknown' }
  | (DeliveryFacts & {
      readonly status: DeliveryStatus;
      readonly formatVersion: number | null;
      readonly schemaId: number | null;
      readonly transactionId: string | null;
      readonly isTest: boolean;
      readonly attempts: readonly AttemptSummary[];
      readonly nextAttemptAt: number | null;
      /** Set while the status is `exhausted`. */
      readonly exhaustedReason: ExhaustedReason | null;
      readonly createdAt: number;
      readonly updatedAt: number;
    });

export const UNKNOWN: DeliveryState = { status: 'unknown' };

type Known = Exclude<DeliveryState, { status: 'unknown' }>;

function facts(event: DeliveryFacts): DeliveryFacts {
  return {
    deliveryId: event.deliveryId,
    eventId: event.eventId,
    tenantId: event.tenantId,
    environment: event.environment,
    endpointId: event.endpointId,
    eventType: event.eventType,
  };
}

function timeOf(event: DeliveryEvent): number {
  switch (event.type) {
    case 'DeliveryScheduled':
      return event.scheduledAt;
    case 'AttemptSucceeded':
    case 'AttemptFailed':
      return event.attempt.at;
    case 'RetryScheduled':
      return event.dueAt;
    case 'DeliveryExhausted':
      return event.exhaustedAt;
    case 'DeliveryRedriven':
      return event.redrivenAt;
  }
}

/** The state of a delivery once a log event is applied; the log may repeat an event, or begin mid-way. */
export function evolve(state: DeliveryState, event: DeliveryEvent): DeliveryState {
  const at = timeOf(event);
  // A log read from the middle (or an attempt seen before its scheduling) still yields a delivery.
  const current: Known =
    state.status === 'unknown'
      ? {
          status: 'pending',
          formatVersion: null,
          schemaId: null,
          transactionId: null,
          isTest: false,
          attempts: [],
          nextAttemptAt: null,
          exhaustedReason: null,
          createdAt: at,
          updatedAt: at,
          // Last: fields new to a spread object after it cost a hidden class per object on our Node (V8 11.3).
          ...facts(event),
        }
      : state;
  const isFinal = current.status === 'succeeded' || current.status === 'exhausted';

  switch (event.type) {
    case 'DeliveryScheduled':
      return {
        ...current,
        formatVersion: event.formatVersion,
        schemaId: event.schemaId,
        transactionId: event.transactionId,
        isTest: event.isTest,
        createdAt: Math.min(current.createdAt, event.scheduledAt),
        nextAttemptAt:
          current.attempts.length === 0 && current.status === 'pending' ? event.scheduledAt : current.nextAttemptAt,
      };
    case 'AttemptSucceeded':
    case 'AttemptFailed': {
      if (current.attempts.some((attempt) => attempt.n === event.attempt.n)) return current;
      const attempts = [...current.attempts, event.attempt].sort((a, b) => a.n - b.n);
      const isSuccess = event.type === 'AttemptSucceeded';
      return {
        ...current,
        attempts,
        status: isSuccess ? 'succeeded' : isFinal ? current.status : 'failed',
        nextAttemptAt: isSuccess || isFinal ? null : current.nextAttemptAt,
        exhaustedReason: isSuccess ? null : current.exhaustedReason,
        updatedAt: Math.max(current.updatedAt, at),
      };
    }
    case 'RetryScheduled':
      // A retry scheduled for an attempt already made is an old event: nothing to wait for.
      if (isFinal || current.attempts.some((attempt) => attempt.n >= event.attempt)) return current;
      return { ...current, status: 'failed', nextAttemptAt: event.dueAt, updatedAt: Math.max(current.updatedAt, at) };
    case 'DeliveryExhausted':
      if (current.status === 'succeeded' || current.status === 'exhausted') return current;
      return {
        ...current,
        status: 'exhausted',
        nextAttemptAt: null,
        exhaustedReason: event.reason,
        updatedAt: Math.max(current.updatedAt, at),
      };
    case 'DeliveryRedriven':
      if (current.status === 'pending' && current.nextAttemptAt === event.redrivenAt) return current;
      return {
        ...current,
        status: 'pending',
        nextAttemptAt: event.redrivenAt,
        exhaustedReason: null,
        updatedAt: Math.max(current.updatedAt, at),
      };
  }
}

export type DeliveryCommand = { readonly type: 'RetryNow'; readonly now: number };

export class DeliveryCommandRefused extends Error {
  override readonly name = 'DeliveryCommandRefused';
  constructor(
    readonly reason: 'unknown-delivery' | 'in-progress',
    message: string,
  ) {
    super(message);
  }
}

/** Checks a command against the state and answers the events it causes. */
export function decide(command: DeliveryCommand, state: DeliveryState): DeliveryEvent[] {
  if (state.status === 'unknown') throw new DeliveryCommandRefused('unknown-delivery', 'no such delivery');
  switch (command.type) {
    case 'RetryNow':
      if (state.status === 'pending')
        throw new DeliveryCommandRefused('in-progress', 'the delivery has not been attempted yet');
      return [{ type: 'DeliveryRedriven', redrivenAt: command.now, ...facts(state) }];
  }
}
