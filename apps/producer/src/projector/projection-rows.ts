/** Rows of the delivery projections, as the projector writes them and the status queries read them. */

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
  transaction_id: string | null;
  next_attempt_at: Date | null;
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
