-- Foundation: organizations, users, memberships and their roles, API keys, events.
-- Instants are BIGINT microseconds since the Unix epoch (UTC); ids are their full text
-- form (`og.…`). The PostgreSQL migration of the same name creates the same schema.

CREATE TABLE organizations (
    id TEXT PRIMARY KEY NOT NULL,
    display_name TEXT NOT NULL,
    organization_mode TEXT NOT NULL CHECK (organization_mode IN ('test-mode', 'live-mode')),
    -- The organization's own legal person (a corporation); its row arrives with the
    -- onboarding area, the id is fixed at creation so the link never changes.
    own_legal_person_id TEXT NOT NULL UNIQUE,
    can_decide_on_verifications BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    -- Stored lower-cased: one user per address, whatever the caller's capitalisation.
    email TEXT NOT NULL UNIQUE,
    username TEXT NOT NULL,
    given_name TEXT,
    surname TEXT,
    created_at BIGINT NOT NULL
);

CREATE TABLE memberships (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    UNIQUE (organization_id, user_id)
);
CREATE INDEX memberships_by_organization ON memberships (organization_id, created_at, id);
CREATE INDEX memberships_by_user ON memberships (user_id, created_at, id);

-- Role ids are either built-in roles (defined in code) or an organization's custom roles.
CREATE TABLE membership_roles (
    membership_id TEXT NOT NULL REFERENCES memberships (id) ON DELETE CASCADE,
    role_id TEXT NOT NULL,
    PRIMARY KEY (membership_id, role_id)
);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    -- SHA-256 of the secret, hex. The secret itself is shown once and never stored.
    secret_hash TEXT NOT NULL UNIQUE,
    live BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (organization_id, name)
);
CREATE INDEX api_keys_by_organization ON api_keys (organization_id, created_at, id);
CREATE INDEX api_keys_by_user ON api_keys (user_id, created_at, id);

-- The outbox: every state change writes its Griffin event here in the same transaction.
CREATE TABLE events (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX events_by_organization ON events (organization_id, created_at, id);
