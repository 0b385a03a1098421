DROP TABLE signing_keys;
DROP TABLE webhook_dispatch;
DROP TABLE webhook_delivery_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
DROP INDEX events_by_position;
ALTER TABLE events DROP COLUMN position;
