//! The black-box test harness: each test gets its own database (cloned from a migrated
//! template), its own Redis key prefix, and the app spawned on a random port.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test support: a failed set-up must fail the test loudly"
)]

pub mod app;
pub mod browser;
pub mod db;
pub mod logs;
pub mod resources;
pub mod services;
pub mod smtp;

pub use app::{
    Account, PASSWORD, TestApp, TestAppBuilder, Tokens, assert_security_headers, claims_of,
    header_of,
};
