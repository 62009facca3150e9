DROP TABLE audit_events;
DROP TABLE membership_roles;
DROP TABLE roles;
DROP TABLE memberships;
DROP TABLE users;
DROP TABLE tenants;
DROP FUNCTION app_user_id();
DROP FUNCTION app_tenant_id();
