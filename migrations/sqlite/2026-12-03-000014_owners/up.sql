-- Organization owners and a session's current organization.

-- The owner: the membership that cannot be removed or deactivated and alone hands the
-- organization over (transfer-ownership). The founder's at first; here, for organizations
-- that exist already, the oldest active membership holding Team admin (the built-in role's
-- id is derived from its name, see src/roles), else the oldest membership.
ALTER TABLE organizations ADD COLUMN owner_membership_id TEXT REFERENCES memberships (id);
UPDATE organizations SET owner_membership_id = (
    SELECT m.id FROM memberships m
    WHERE m.organization_id = organizations.id
    ORDER BY
        CASE WHEN m.membership_status = 'active' AND EXISTS (
            SELECT 1 FROM membership_roles r
            WHERE r.membership_id = m.id AND r.role_id = 're.fBrA_EDjmTB9ybfHMXQxwg'
        ) THEN 0 ELSE 1 END,
        m.created_at, m.id
    LIMIT 1
);
-- A membership owns at most its own organization; the index also keeps the foreign key's
-- check cheap when a membership is deleted.
CREATE UNIQUE INDEX organizations_by_owner ON organizations (owner_membership_id);

-- The organization a session works in (`GET /v0/index` links it); NULL when the user is an
-- active member nowhere. Existing sessions start in the user's oldest active membership.
ALTER TABLE sessions ADD COLUMN organization_id TEXT REFERENCES organizations (id);
UPDATE sessions SET organization_id = (
    SELECT m.organization_id FROM memberships m
    WHERE m.user_id = sessions.user_id AND m.membership_status = 'active'
    ORDER BY m.created_at, m.id
    LIMIT 1
);
-- A member who leaves an organization moves their sessions there elsewhere.
CREATE INDEX sessions_by_user ON sessions (user_id, organization_id);
