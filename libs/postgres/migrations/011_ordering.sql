-- Per-key ordering (endpoints with ordering 'per-key'), written only by the sequencer. Operational
-- state, not a projection: it decides what is sent next, so it is kept, never rebuilt from the log.
-- Where each (endpoint, ordering key) stands: deliveries 1..last_sequence are numbered, and
-- 1..finished_through have ended; finished_through + 1 is out now or goes next.
CREATE TABLE ordering_keys (
  endpoint_id       text NOT NULL,
  ordering_key      text NOT NULL,
  last_sequence     bigint NOT NULL,
  finished_through  bigint NOT NULL,
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (endpoint_id, ordering_key)
);

-- The number each delivery got: numbering a redelivered record again is a no-op.
CREATE TABLE ordering_numbered (
  delivery_id   text PRIMARY KEY,
  endpoint_id   text NOT NULL,
  ordering_key  text NOT NULL,
  sequence      bigint NOT NULL,
  numbered_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ordering_numbered_endpoint ON ordering_numbered (endpoint_id);

-- The parking area: numbered deliveries waiting for the one before them to end, as the dispatch
-- request the sequencer publishes when it lets them go.
CREATE TABLE ordering_waiting (
  endpoint_id     text NOT NULL,
  ordering_key    text NOT NULL,
  sequence        bigint NOT NULL,
  delivery_id     text NOT NULL,
  dispatch        bytea NOT NULL,
  waiting_since   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (endpoint_id, ordering_key, sequence)
);
