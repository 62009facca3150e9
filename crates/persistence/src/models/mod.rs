//! Row types: `X` (queried), `NewX` (inserted).

pub mod api_key;
pub mod audit;
pub mod invitation;
pub mod membership;
pub mod project;
pub mod redis_epoch;
pub mod role;
pub mod tenant;
pub mod user;

pub use api_key::{ApiKey, NewApiKey};
pub use audit::{AuditEvent, NewAuditEvent};
pub use invitation::{Invitation, NewInvitation};
pub use membership::{Membership, NewMembership};
pub use project::{NewProject, NewTask, Project, ProjectChangeset, Task, TaskChangeset};
pub use redis_epoch::RedisEpoch;
pub use role::{NewRole, Role};
pub use tenant::{NewTenant, Tenant};
pub use user::{NewUser, User};
