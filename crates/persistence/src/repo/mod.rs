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
