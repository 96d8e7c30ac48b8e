-- Which format versions each tenant's deliveries use, per event type (projected from DeliveryScheduled):
-- who still receives an old version, and since when no one does.
CREATE TABLE event_type_versions (
  tenant_id         text NOT NULL,
  environment       text NOT NULL,
  event_type        text NOT NULL,
  format_version    integer NOT NULL,
  deliveries        bigint NOT NULL,
  first_delivery_at timestamptz NOT NULL,
  last_delivery_at  timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, environment, event_type, format_version)
);

INSERT INTO event_type_versions
SELECT tenant_id, environment, event_type, format_version, count(*), min(created_at), max(created_at)
  FROM deliveries
 WHERE format_version IS NOT NULL
 GROUP BY 1, 2, 3, 4;
