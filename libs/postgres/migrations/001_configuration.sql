-- Configuration: tenants, API keys, endpoints, idempotency keys, and the outbox that carries endpoint
-- changes to Kafka. Postgres is the system of record for these; delivery state lives in Kafka.

CREATE TABLE tenants (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
  id            text PRIMARY KEY,
  tenant_id     text NOT NULL REFERENCES tenants (id),
  environment   text NOT NULL CHECK (environment IN ('sandbox', 'live')),
  lookup        text NOT NULL UNIQUE,
  hash          text NOT NULL,
  allowed_cidrs cidr[],
  created_at    timestamptz NOT NULL DEFAULT now(),
  revoked_at    timestamptz
);

CREATE TABLE endpoints (
  id                     text PRIMARY KEY,
  tenant_id              text NOT NULL REFERENCES tenants (id),
  environment            text NOT NULL CHECK (environment IN ('sandbox', 'live')),
  url                    text NOT NULL,
  description            text,
  event_types            text[] NOT NULL,
  format_version         integer NOT NULL,
  timeout_ms             integer NOT NULL,
  rate_limit_per_second  integer,
  retry_schedule         text[],
  ordering               text NOT NULL DEFAULT 'none',
  status                 text NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'disabled')),
  sealed_secret          bytea NOT NULL,
  previous_sealed_secret bytea,
  previous_secret_expires_at timestamptz,
  version                bigint NOT NULL DEFAULT 1,
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now(),
  deleted_at             timestamptz
);
CREATE INDEX endpoints_owner ON endpoints (tenant_id, environment, created_at) WHERE deleted_at IS NULL;

CREATE TABLE idempotency_keys (
  tenant_id     text NOT NULL,
  environment   text NOT NULL,
  key           text NOT NULL,
  request_hash  text NOT NULL,
  event_id      text NOT NULL,
  response      jsonb,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, environment, key)
);
CREATE INDEX idempotency_keys_age ON idempotency_keys (created_at);

-- Written in the same transaction as the change it announces; a relay publishes it and marks it.
CREATE TABLE outbox (
  id            bigserial PRIMARY KEY,
  topic         text NOT NULL,
  key           text NOT NULL,
  endpoint_id   text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  published_at  timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
