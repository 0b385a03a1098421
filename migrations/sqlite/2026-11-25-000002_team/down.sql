DROP TABLE invitation_tokens;
DROP TABLE invitations;
DROP TABLE sessions;
ALTER TABLE users DROP COLUMN password_hash;
DROP INDEX membership_roles_by_role;
DROP TABLE roles;
ALTER TABLE memberships DROP COLUMN membership_status;
