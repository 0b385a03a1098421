ALTER TABLE invitations DROP COLUMN group_ids;
DROP TABLE group_roles;
DROP TABLE group_memberships;
DROP TABLE member_groups;
