//! The Gatehouse HTTP API: configuration, the app factory shared by `main` and the tests,
//! the route tree, guards, handlers and the OpenAPI document.

pub mod api_keys;
pub mod cli;
pub mod client_origins;
pub mod client_registration;
pub mod config;
pub mod error;
pub mod extract;
pub mod facts;
pub mod guards;
pub mod handlers;
pub mod headers;
pub mod mail;
pub mod metrics;
pub mod openapi;
pub mod paths;
pub mod problems;
pub mod redis_epoch;
pub mod routes;
pub mod signin;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod tokens;
pub mod validate;
pub mod work;

pub use config::Config;
pub use startup::Application;
