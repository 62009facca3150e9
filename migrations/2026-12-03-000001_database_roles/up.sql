-- Two database roles (SPEC §8). This migration runs as the owner of the schema; the server
-- connects as another role that owns nothing and receives its table privileges through the
-- NOLOGIN group role `gatehouse_app`. A role that owns a table can ALTER or DROP it and
-- turn its row-level security off; the application role can do none of that.

-- The group role is cluster-wide: create it when missing, if this role may.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'gatehouse_app') THEN
    BEGIN
      CREATE ROLE gatehouse_app NOLOGIN;
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE EXCEPTION 'the group role gatehouse_app does not exist and % may not create it', current_user
        USING HINT = 'as a superuser: CREATE ROLE gatehouse_app NOLOGIN; GRANT gatehouse_app TO <application role>; then run gatehouse migrate again';
    END;
  END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO gatehouse_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO gatehouse_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO gatehouse_app;
-- Diesel's bookkeeping: readable, never writable, by the application.
REVOKE INSERT, UPDATE, DELETE ON __diesel_schema_migrations FROM gatehouse_app;

-- Tables and sequences that later migrations create (as this same owner role) are
-- granted at creation.
ALTER DEFAULT PRIVILEGES IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO gatehouse_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
  GRANT USAGE ON SEQUENCES TO gatehouse_app;
