-- Team management: membership status, custom roles, passwords and sessions, invitations.

-- active | deactivated
ALTER TABLE memberships ADD COLUMN membership_status TEXT NOT NULL DEFAULT 'active';

-- An organization's own roles; the built-in ones live in code.
CREATE TABLE roles (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    display_name TEXT NOT NULL,
    description TEXT NOT NULL,
    -- Permission names, comma-separated, from the catalogue in src/roles.
    permissions TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (organization_id, display_name)
);
CREATE INDEX roles_by_organization ON roles (organization_id, created_at, id);
CREATE INDEX membership_roles_by_role ON membership_roles (role_id);

-- argon2 PHC string; NULL for users who never set a password (API-key-only users).
ALTER TABLE users ADD COLUMN password_hash TEXT;

CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    -- SHA-256 of the token, hex; the token itself is shown once.
    token_hash TEXT NOT NULL UNIQUE,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE invitations (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    email TEXT NOT NULL,
    -- Role ids, comma-separated.
    role_ids TEXT NOT NULL,
    -- pending | accepted | cancelled; `expired` is derived from expires_at.
    invitation_status TEXT NOT NULL
        CHECK (invitation_status IN ('pending', 'accepted', 'cancelled')),
    invited_by_user_id TEXT NOT NULL REFERENCES users (id),
    membership_id TEXT REFERENCES memberships (id) ON DELETE SET NULL,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX invitations_by_organization ON invitations (organization_id, created_at, id);
CREATE INDEX invitations_by_email ON invitations (organization_id, email);

-- Every token an invitation was ever sent with: a resend supersedes the previous one, which
-- then answers with its own refusal instead of looking unknown.
CREATE TABLE invitation_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    invitation_id TEXT NOT NULL REFERENCES invitations (id),
    superseded BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL
);
