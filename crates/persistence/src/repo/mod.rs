//! Repositories, one module per aggregate. Every function takes the connection of a unit
//! of work (see `tenant_tx`) and, for tenant data, the `TenantId` explicitly.

pub mod api_keys;
pub mod audit;
pub mod invitations;
pub mod memberships;
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
