-- Which endpoints were sent a hookstream.format_deprecated notice, once per deprecated (type, version):
-- written after the notice is on Kafka, so a crash in between sends it again (with the same event id).
CREATE TABLE format_deprecation_notices (
  endpoint_id    text NOT NULL,
  event_type     text NOT NULL,
  format_version integer NOT NULL,
  event_id       text NOT NULL,
  sunset_at      timestamptz NOT NULL,
  notified_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (endpoint_id, event_type, format_version)
);
