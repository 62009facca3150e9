//! Handlers, one module per resource, one function per action (`verb_noun`: the
//! OpenAPI `operationId`).

pub mod api_keys;
pub mod audit;
pub mod authorize;
pub mod client;
pub mod clients;
pub mod code_grant;
pub mod email;
pub mod health;
pub mod invitations;
pub mod login;
pub mod me;
pub mod members;
pub mod oauth;
pub mod oidc;
pub mod page;
pub mod permissions;
pub mod platform;
pub mod problems;
pub mod projects;
pub mod roles;
pub mod sessions;
pub mod signup;
pub mod tasks;
pub mod tenants;
pub mod well_known;
