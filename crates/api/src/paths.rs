//! The path parameters of tenant routes, by name and typed: a handler takes the ids it
//! uses and never sees the tenant id, which the guard has already checked.

use domain::{ApiKeyId, InvitationId, ProjectId, RoleId, SessionId, TaskId, TenantId, UserId};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct ProjectPath {
    pub project_id: ProjectId,
}

#[derive(Debug, Deserialize)]
pub struct TaskPath {
    pub project_id: ProjectId,
    pub task_id: TaskId,
}

#[derive(Debug, Deserialize)]
pub struct MemberPath {
    pub user_id: UserId,
}

#[derive(Debug, Deserialize)]
pub struct RolePath {
    pub role_id: RoleId,
}

#[derive(Debug, Deserialize)]
pub struct ApiKeyPath {
    pub key_id: ApiKeyId,
}

#[derive(Debug, Deserialize)]
pub struct InvitationPath {
    pub invitation_id: InvitationId,
}

#[derive(Debug, Deserialize)]
pub struct SessionPath {
    pub session_id: SessionId,
}

#[derive(Debug, Deserialize)]
pub struct TenantPath {
    pub tenant_id: TenantId,
}

#[derive(Debug, Deserialize)]
pub struct ClientPath {
    pub client_id: String,
}
