//! Row types (`X` queried, `NewX` inserted) live beside their queries in `repo`; the ones
//! other crates name are re-exported here.

pub use crate::repo::api_keys::{ApiKey, NewApiKey};
pub use crate::repo::audit::AuditEvent;
pub use crate::repo::invitations::{Invitation, NewInvitation};
pub use crate::repo::memberships::{Membership, NewMembership};
pub use crate::repo::projects::{
    NewProject, NewTask, Project, ProjectChangeset, Task, TaskChangeset,
};
pub use crate::repo::redis_epochs::RedisEpoch;
pub use crate::repo::roles::{NewRole, Role};
pub use crate::repo::tenants::{NewTenant, Tenant};
pub use crate::repo::users::{NewUser, User};
