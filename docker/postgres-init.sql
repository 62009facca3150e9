-- The application role: no superuser, no BYPASSRLS, so row-level security applies to it.
CREATE ROLE gatehouse LOGIN PASSWORD 'gatehouse' NOSUPERUSER NOBYPASSRLS;
CREATE DATABASE gatehouse OWNER gatehouse;
