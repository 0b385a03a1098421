DROP TABLE signing_keys;
DROP TABLE webhook_dispatch;
DROP TABLE webhook_delivery_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
CREATE TABLE events_by_id (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
INSERT INTO events_by_id SELECT id, organization_id, event_type, payload, created_at FROM events;
DROP TABLE events;
ALTER TABLE events_by_id RENAME TO events;
CREATE INDEX events_by_organization ON events (organization_id, created_at, id);
