//! The black-box suite: one binary, modules mirror the URL paths they test.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod config;
mod docs;
mod errors;
mod health;
mod openapi;
mod rls;
