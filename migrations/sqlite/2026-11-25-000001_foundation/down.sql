DROP TABLE events;
DROP TABLE api_keys;
DROP TABLE membership_roles;
DROP TABLE memberships;
DROP TABLE users;
DROP TABLE organizations;
