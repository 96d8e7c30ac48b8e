import {
  deliveryRefOf,
  type AttemptFailed,
  type DeliveryExhausted,
  type DeliveryRedriven,
  type DeliveryScheduled,
  type InternalRecordName,
  type RetryScheduled,
} from '@hookstream/contracts';
import type { DeliveryEvent } from '@hookstream/delivery';

/** A delivery-log record (as its Avro record decodes) as the domain event `evolve` folds, or undefined for other records. */
export function toDeliveryEvent(name: InternalRecordName | undefined, record: unknown): DeliveryEvent | undefined {
  switch (name) {
    case 'delivery-scheduled': {
      const r = record as DeliveryScheduled;
      return {
        type: 'DeliveryScheduled',
        ...deliveryRefOf(r),
        formatVersion: r.formatVersion,
        transactionId: r.transactionId,
        scheduledAt: r.scheduledAt,
      };
    }
    case 'attempt-succeeded':
    case 'attempt-failed': {
      const r = record as AttemptFailed;
      return {
        type: name === 'attempt-succeeded' ? 'AttemptSucceeded' : 'AttemptFailed',
        ...deliveryRefOf(r),
        attempt: {
          n: r.attempt,
          at: r.attemptedAt,
          statusCode: r.statusCode,
          latencyMs: r.latencyMs,
          errorClass: name === 'attempt-failed' ? r.errorClass : null,
          error: name === 'attempt-failed' ? r.error : null,
          responseBody: r.responseBody,
        },
      };
    }
    case 'retry-scheduled': {
      const r = record as RetryScheduled;
      return { type: 'RetryScheduled', ...deliveryRefOf(r), attempt: r.attempt, dueAt: r.dueAt };
    }
    case 'delivery-redriven': {
      const r = record as DeliveryRedriven;
      return { type: 'DeliveryRedriven', ...deliveryRefOf(r), redrivenAt: r.redrivenAt };
    }
    case 'delivery-exhausted': {
      const r = record as DeliveryExhausted;
      return { type: 'DeliveryExhausted', ...deliveryRefOf(r), attempts: r.attempts, exhaustedAt: r.exhaustedAt };
    }
    default:
      return undefined;
  }
}
