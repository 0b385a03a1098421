-- Webhooks and their delivery queue. The events table is the queue's source: each event's
-- `position` is the id of the transaction that wrote it, and one dispatch cursor walks
-- (position, id) below the oldest transaction still running — every transaction below it has
-- ended, so no event can appear behind the cursor. Deliveries are written by the dispatcher,
-- outside the transactions that wrote the events, so a payment writes nothing more than before.
ALTER TABLE events ADD COLUMN position BIGINT NOT NULL DEFAULT (pg_current_xact_id()::text::bigint);
CREATE INDEX events_by_position ON events (position, id);

CREATE TABLE webhooks (
    id TEXT PRIMARY KEY NOT NULL,
    -- Griffin allows one webhook per organization.
    organization_id TEXT NOT NULL UNIQUE REFERENCES organizations (id),
    destination_url TEXT NOT NULL,
    description TEXT,
    webhook_state TEXT NOT NULL,
    created_by TEXT REFERENCES users (id),
    -- The latest test event, if any.
    test_event_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY NOT NULL,
    webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id TEXT NOT NULL REFERENCES events (id),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    delivery_status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    max_attempts INTEGER NOT NULL,
    -- When a pending delivery is next due; NULL once it is delivered or failed.
    next_attempt_at BIGINT,
    -- A sender that claimed the delivery owns it until then.
    lease_until BIGINT,
    last_http_status INTEGER,
    last_error_code TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE delivery_status = 'pending';
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, created_at, id);
CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries (event_id, created_at, id);

CREATE TABLE webhook_delivery_attempts (
    delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt INTEGER NOT NULL,
    started_at BIGINT NOT NULL,
    duration_micros BIGINT NOT NULL,
    http_status INTEGER,
    error_code TEXT,
    PRIMARY KEY (delivery_id, attempt)
);

-- The dispatch cursor: the last event (by position, then id) turned into deliveries.
CREATE TABLE webhook_dispatch (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    position BIGINT NOT NULL,
    event_id TEXT NOT NULL
);
INSERT INTO webhook_dispatch (id, position, event_id)
    SELECT 1, COALESCE(MAX(position), 0), COALESCE(MAX(id), '') FROM events;

-- The server's keys for signing webhooks (ES512). The private half never leaves the database.
CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY NOT NULL,
    private_pkcs8 BYTEA NOT NULL,
    public_point BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    -- Set when a newer key replaced it; it stays published until `published_until`.
    retired_at BIGINT,
    published_until BIGINT
);
