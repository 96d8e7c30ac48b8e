-- Replays of hookstream.events to one endpoint (POST /v1/endpoints/:id/replay): what was asked, what
-- matched, and how far scheduling got. `updated_at` moves with every scheduled batch, so a job whose
-- producer stopped mid-way shows as interrupted rather than running for ever.
CREATE TABLE replay_jobs (
  id                 text PRIMARY KEY,
  tenant_id          text NOT NULL,
  environment        text NOT NULL,
  endpoint_id        text NOT NULL,
  since              timestamptz NOT NULL,
  until              timestamptz NOT NULL,
  event_types        text[],
  include_delivered  boolean NOT NULL,
  status             text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
  matched            integer NOT NULL,
  already_delivered  integer NOT NULL,
  to_schedule        integer NOT NULL,
  scheduled          integer NOT NULL DEFAULT 0,
  error              text,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  finished_at        timestamptz
);
CREATE INDEX replay_jobs_endpoint ON replay_jobs (tenant_id, environment, endpoint_id, created_at DESC);
