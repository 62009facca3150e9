//! The black-box suite: one binary, modules mirror the URL paths they test.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod abuse;
mod access_tokens;
mod authorization_codes;
mod authorization_matrix;
mod config;
mod database_roles;
mod docs;
mod errors;
mod fail_closed;
mod fuzz;
mod hardening;
mod health;
mod log_hygiene;
mod me;
mod oauth_refresh;
mod oauth_token;
mod openapi;
mod platform;
mod platform_clients;
mod problems;
mod redis_loss;
mod revocation_mirror;
mod rls;
mod rls_catalog;
mod sessions;
mod signup;
mod snapshots;
mod stored_values;
mod tenant_api_keys;
mod tenant_audit;
mod tenant_invitations;
mod tenant_members;
mod tenant_projects;
mod tenant_roles;
mod well_known;
