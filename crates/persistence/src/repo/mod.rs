//! Repositories, one module per aggregate: its row types and its queries. Every function
//! takes the unit of work it runs in (`&TenantTx` for a tenant's data, whose tenant it
//! uses; `&Tx` for global tables), never a connection from the pool.

pub mod api_keys;
pub mod audit;
pub mod email_tokens;
pub mod invitations;
pub mod memberships;
pub mod oauth_clients;
pub mod outbox;
pub mod projects;
pub mod redis_epochs;
pub mod roles;
pub mod tenants;
pub mod users;

/// A write that must have touched one row: `NotFound` when it touched none.
pub(crate) fn exactly_one(rows: usize) -> Result<(), crate::PersistenceError> {
    match rows {
        0 => Err(crate::PersistenceError::NotFound),
        _ => Ok(()),
    }
}
