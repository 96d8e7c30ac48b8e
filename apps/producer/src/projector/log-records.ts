import {
  deliveryRefOf,
  INTERNAL_RECORDS,
  type AttemptFailed,
  type DeliveryExhausted,
  type DeliveryRedriven,
  type DeliveryScheduled,
  type InternalRecordName,
  type RetryScheduled,
} from '@hookstream/contracts';
import type { DeliveryEvent, ExhaustedReason } from '@hookstream/delivery';
import { type AvroCodec, InternalRecordDecoder } from '@hookstream/kafka';

const DELIVERY_LOG_RECORDS = (Object.keys(INTERNAL_RECORDS) as InternalRecordName[]).filter(
  (name) => INTERNAL_RECORDS[name] === 'deliveryEvents',
);

/** Decodes the delivery log's records (see `InternalRecordDecoder`). */
export class DeliveryLogDecoder extends InternalRecordDecoder {
  constructor(codec: AvroCodec) {
    super(codec, DELIVERY_LOG_RECORDS);
  }
}

/** A delivery-log record (as its Avro record decodes) as the domain event `evolve` folds, or undefined for other records. */
export function toDeliveryEvent(name: InternalRecordName | undefined, record: unknown): DeliveryEvent | undefined {
  switch (name) {
    case 'delivery-scheduled': {
      const r = record as DeliveryScheduled;
      return {
        type: 'DeliveryScheduled',
        formatVersion: r.formatVersion,
        schemaId: r.schemaId,
        transactionId: r.transactionId,
        scheduledAt: r.scheduledAt,
        isTest: r.isTest,
        ...deliveryRefOf(r),
      };
    }
    case 'attempt-succeeded':
    case 'attempt-failed': {
      const r = record as AttemptFailed;
      return {
        type: name === 'attempt-succeeded' ? 'AttemptSucceeded' : 'AttemptFailed',
        attempt: {
          n: r.attempt,
          at: r.attemptedAt,
          statusCode: r.statusCode,
          latencyMs: r.latencyMs,
          errorClass: name === 'attempt-failed' ? r.errorClass : null,
          error: name === 'attempt-failed' ? r.error : null,
          responseBody: r.responseBody,
        },
        ...deliveryRefOf(r),
      };
    }
    case 'retry-scheduled': {
      const r = record as RetryScheduled;
      return { type: 'RetryScheduled', attempt: r.attempt, dueAt: r.dueAt, ...deliveryRefOf(r) };
    }
    case 'delivery-redriven': {
      const r = record as DeliveryRedriven;
      return { type: 'DeliveryRedriven', redrivenAt: r.redrivenAt, ...deliveryRefOf(r) };
    }
    case 'delivery-exhausted': {
      const r = record as DeliveryExhausted;
      return {
        type: 'DeliveryExhausted',
        attempts: r.attempts,
        exhaustedAt: r.exhaustedAt,
        // Records from before the field was added: only a spent schedule wrote one then (410 Gone aside).
        reason: (r.reason ?? 'retries_exhausted') as ExhaustedReason,
        ...deliveryRefOf(r),
      };
    }
    default:
      return undefined;
  }
}
