-- Projections of the Kafka logs, written only by the projector: rebuilt from offset 0 with equal results.

CREATE TABLE events (
  id           text PRIMARY KEY,
  tenant_id    text NOT NULL,
  environment  text NOT NULL,
  type         text NOT NULL,
  created_at   timestamptz NOT NULL,
  data         jsonb NOT NULL,
  schema_id    integer NOT NULL
);

CREATE TABLE deliveries (
  id               text PRIMARY KEY,
  tenant_id        text NOT NULL,
  environment      text NOT NULL,
  event_id         text NOT NULL,
  event_type       text NOT NULL,
  endpoint_id      text NOT NULL,
  status           text NOT NULL,
  attempt_count    integer NOT NULL,
  last_status_code integer,
  next_attempt_at  timestamptz,
  format_version   integer,
  transaction_id   text,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL
);
-- Every filter of GET /v1/deliveries is an index scan, newest first (the keyset cursor's order).
CREATE INDEX deliveries_owner ON deliveries (tenant_id, environment, created_at DESC, id DESC);
CREATE INDEX deliveries_endpoint ON deliveries (tenant_id, environment, endpoint_id, created_at DESC, id DESC);
CREATE INDEX deliveries_status ON deliveries (tenant_id, environment, status, created_at DESC, id DESC);
CREATE INDEX deliveries_event_type ON deliveries (tenant_id, environment, event_type, created_at DESC, id DESC);
CREATE INDEX deliveries_transaction ON deliveries (tenant_id, environment, transaction_id, created_at DESC, id DESC)
  WHERE transaction_id IS NOT NULL;
CREATE INDEX deliveries_event ON deliveries (event_id);

CREATE TABLE attempts (
  delivery_id    text NOT NULL,
  n              integer NOT NULL,
  at             timestamptz NOT NULL,
  status_code    integer,
  latency_ms     integer NOT NULL,
  error_class    text,
  error          text,
  response_body  text,
  PRIMARY KEY (delivery_id, n)
);

-- The next offset to apply, per projection and partition: written in the same transaction as the rows.
CREATE TABLE projection_offsets (
  projection  text NOT NULL,
  topic       text NOT NULL,
  partition   integer NOT NULL,
  next_offset bigint NOT NULL,
  PRIMARY KEY (projection, topic, partition)
);
