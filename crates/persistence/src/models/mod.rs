//! Row types: `X` (queried), `NewX` (inserted).

pub mod audit;
pub mod membership;
pub mod role;
pub mod tenant;
pub mod user;

pub use audit::NewAuditEvent;
pub use membership::{Membership, NewMembership};
pub use role::{NewRole, Role};
pub use tenant::{NewTenant, Tenant};
pub use user::{NewUser, User};
