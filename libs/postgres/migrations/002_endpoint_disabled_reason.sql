-- Why an endpoint was disabled when the engine did it (a 410 Gone, days of failures); null when enabled.
ALTER TABLE endpoints ADD COLUMN disabled_reason text;
