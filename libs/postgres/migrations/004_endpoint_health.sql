-- Endpoint health, projected from attempts and circuit events: hourly counts for success rates over a
-- window, the last success and failure, the circuit's state.
CREATE TABLE endpoint_attempts_hourly (
  endpoint_id  text NOT NULL,
  hour         timestamptz NOT NULL,
  successes    integer NOT NULL DEFAULT 0,
  failures     integer NOT NULL DEFAULT 0,
  latency_ms_sum bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (endpoint_id, hour)
);

CREATE TABLE endpoint_health (
  endpoint_id        text PRIMARY KEY,
  last_success_at    timestamptz,
  last_failure_at    timestamptz,
  circuit_state      text NOT NULL DEFAULT 'closed',
  circuit_changed_at timestamptz
);
