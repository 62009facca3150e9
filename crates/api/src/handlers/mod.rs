//! Handlers, one module per resource, one function per action (`verb_noun`: the
//! OpenAPI `operationId`).

pub mod health;
