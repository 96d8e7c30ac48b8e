/** Rows of the delivery projections, as the projector writes them and the status queries read them. */
import type { AttemptSummary, DeliveryState, ExhaustedReason } from '@hookstream/delivery';

export interface DeliveryRow {
  id: string;
  tenant_id: string;
  environment: 'sandbox' | 'live';
  event_id: string;
  event_type: string;
  endpoint_id: string;
  status: 'pending' | 'succeeded' | 'failed' | 'exhausted';
  attempt_count: number;
  last_status_code: number | null;
  format_version: number | null;
  schema_id: number | null;
  transaction_id: string | null;
  is_test: boolean;
  next_attempt_at: Date | null;
  exhausted_reason: ExhaustedReason | null;
  created_at: Date;
  updated_at: Date;
}

export interface AttemptRow {
  delivery_id: string;
  n: number;
  at: Date;
  status_code: number | null;
  latency_ms: number;
  error_class: string | null;
  error: string | null;
  response_body: string | null;
}

/** A delivery's state as its row (and its attempts' rows) hold it: what `evolve` and `decide` take. */
export function deliveryStateOf(
  row: DeliveryRow,
  attempts: readonly AttemptSummary[],
): Exclude<DeliveryState, { status: 'unknown' }> {
  return {
    deliveryId: row.id,
    eventId: row.event_id,
    tenantId: row.tenant_id,
    environment: row.environment,
    endpointId: row.endpoint_id,
    eventType: row.event_type,
    status: row.status,
    formatVersion: row.format_version,
    schemaId: row.schema_id,
    transactionId: row.transaction_id,
    isTest: row.is_test,
    attempts,
    nextAttemptAt: row.next_attempt_at?.getTime() ?? null,
    exhaustedReason: row.exhausted_reason,
    createdAt: row.created_at.getTime(),
    updatedAt: row.updated_at.getTime(),
  };
}
