//! The black-box suite: one binary, modules mirror the URL paths they test.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod access_tokens;
mod config;
mod docs;
mod errors;
mod health;
mod me;
mod oauth_refresh;
mod oauth_token;
mod openapi;
mod rls;
mod sessions;
mod signup;
mod well_known;
