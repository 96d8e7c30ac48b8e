-- Deliveries of sample events sent by POST /v1/endpoints/:id/test (false for every earlier delivery).
ALTER TABLE deliveries ADD COLUMN is_test boolean NOT NULL DEFAULT false;
