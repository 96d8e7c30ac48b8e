-- The event as it was written (Avro, Confluent framing), so a delivery can be sent again on request.
ALTER TABLE events ADD COLUMN payload bytea;
