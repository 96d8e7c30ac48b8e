-- The registry id of the format version's schema each delivery's body is rendered in (null for
-- deliveries scheduled before it was recorded).
ALTER TABLE deliveries ADD COLUMN schema_id integer;
