-- Groups of an organization's members. A group holds roles; its members hold them through it.
-- (`groups` is a keyword in both SQL dialects' window syntax, hence `member_groups`.)
CREATE TABLE member_groups (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    display_name TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX member_groups_by_organization ON member_groups (organization_id, created_at, id);
-- Names are unique in an organization, case aside (the rule checks first, under the
-- organization's lock; this is the backstop).
CREATE UNIQUE INDEX member_groups_name ON member_groups (organization_id, lower(display_name));

CREATE TABLE group_memberships (
    group_id TEXT NOT NULL REFERENCES member_groups (id) ON DELETE CASCADE,
    membership_id TEXT NOT NULL REFERENCES memberships (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (group_id, membership_id)
);
-- The permission check reads a membership's groups on every request.
CREATE INDEX group_memberships_by_membership ON group_memberships (membership_id, group_id);

CREATE TABLE group_roles (
    group_id TEXT NOT NULL REFERENCES member_groups (id) ON DELETE CASCADE,
    role_id TEXT NOT NULL,
    PRIMARY KEY (group_id, role_id)
);
CREATE INDEX group_roles_by_role ON group_roles (role_id);

-- The groups an invitation adds its member to on acceptance, comma-separated like role_ids.
ALTER TABLE invitations ADD COLUMN group_ids TEXT NOT NULL DEFAULT '';
