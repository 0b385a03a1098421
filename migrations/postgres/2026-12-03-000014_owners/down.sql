DROP INDEX sessions_by_user;
ALTER TABLE sessions DROP COLUMN organization_id;
DROP INDEX organizations_by_owner;
ALTER TABLE organizations DROP COLUMN owner_membership_id;
