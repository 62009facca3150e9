//! Handlers, one module per resource, one function per action (`verb_noun`: the
//! OpenAPI `operationId`).

pub mod client;
pub mod health;
pub mod me;
pub mod oauth;
pub mod page;
pub mod permissions;
pub mod sessions;
pub mod signup;
pub mod tenants;
pub mod well_known;
