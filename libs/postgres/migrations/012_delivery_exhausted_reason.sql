-- Why an exhausted delivery gets no further attempt (ExhaustedReason); null for any other status. Deliveries
-- exhausted before it was recorded ran out of retries, as a rebuild from the log also says.
ALTER TABLE deliveries ADD COLUMN exhausted_reason text;
UPDATE deliveries SET exhausted_reason = 'retries_exhausted' WHERE status = 'exhausted';
