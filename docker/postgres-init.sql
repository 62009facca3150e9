-- Runs once, when the postgres volume is first initialised (README, "Database roles").
-- The owner owns the database and runs `gatehouse migrate`; the application role owns
-- nothing and receives its table privileges through the NOLOGIN group role gatehouse_app
-- (granted by the migration 2026-12-03-000001_database_roles). Neither is a superuser or
-- has BYPASSRLS, so row-level security applies.
CREATE ROLE gatehouse_owner LOGIN PASSWORD 'gatehouse_owner' NOSUPERUSER NOBYPASSRLS;
CREATE ROLE gatehouse_app NOLOGIN NOSUPERUSER NOBYPASSRLS;
CREATE ROLE gatehouse LOGIN PASSWORD 'gatehouse' NOSUPERUSER NOBYPASSRLS IN ROLE gatehouse_app;
CREATE DATABASE gatehouse OWNER gatehouse_owner;
