-- The group role stays: it is cluster-wide, other databases may still grant to it.
ALTER DEFAULT PRIVILEGES IN SCHEMA public
  REVOKE USAGE ON SEQUENCES FROM gatehouse_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
  REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM gatehouse_app;
REVOKE USAGE ON ALL SEQUENCES IN SCHEMA public FROM gatehouse_app;
REVOKE SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public FROM gatehouse_app;
REVOKE USAGE ON SCHEMA public FROM gatehouse_app;
