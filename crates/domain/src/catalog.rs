//! The catalog of Gatehouse's vocabulary, in one place: the id of every kind of thing, the
//! permission catalog (SPEC §3: every scope, with its description), the audit action
//! catalog and what audit records name as their target. Adding a resource adds its id, its
//! scopes, its actions and its target kind here; the rules for them live in `ids`,
//! `permission` and `audit`.

use crate::audit::{actions, targets};
use crate::ids::id_type;
use crate::permission::scope_catalog;
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

id_type!(
    /// A tenant (organization).
    TenantId
);
id_type!(
    /// A global user identity.
    UserId
);
id_type!(
    /// A role of one tenant.
    RoleId
);
id_type!(
    /// A login session: one refresh-token family.
    SessionId
);
id_type!(
    /// A project of one tenant.
    ProjectId
);
id_type!(
    /// A task of one project.
    TaskId
);
id_type!(
    /// An API key of one tenant.
    ApiKeyId
);
id_type!(
    /// An invitation into one tenant.
    InvitationId
);
id_type!(
    /// One audit event.
    AuditEventId
);

scope_catalog! {
    TenantRead => "tenant:read", "Read the tenant";
    TenantWrite => "tenant:write", "Rename the tenant and change its settings";
    MembersRead => "members:read", "List members and invitations";
    MembersWrite => "members:write", "Invite, disable and remove members";
    RolesRead => "roles:read", "List roles";
    RolesWrite => "roles:write", "Create, edit and delete roles; assign roles to members";
    ApiKeysRead => "api-keys:read", "List API keys";
    ApiKeysWrite => "api-keys:write", "Create and revoke API keys";
    AuditRead => "audit:read", "Read the audit log";
    ProjectsRead => "projects:read", "Read projects";
    ProjectsWrite => "projects:write", "Create, edit and delete projects; edit and delete any task";
    TasksRead => "tasks:read", "Read tasks";
    TasksWrite => "tasks:write", "Create tasks; edit and delete the tasks one created";
    PlatformAdmin => "platform:admin", "Platform operators only: list, suspend and activate tenants";
}

actions! {
    UserSignedUp => "user.signed_up",
    LoginSucceeded => "login.succeeded",
    LoginFailed => "login.failed",
    SessionRevoked => "session.revoked",
    TenantCreated => "tenant.created",
    TenantUpdated => "tenant.updated",
    TenantSuspended => "tenant.suspended",
    TenantActivated => "tenant.activated",
    MemberInvited => "member.invited",
    MemberJoined => "member.joined",
    MemberEnabled => "member.enabled",
    MemberDisabled => "member.disabled",
    MemberRemoved => "member.removed",
    MemberRolesChanged => "member.roles_changed",
    InvitationRevoked => "invitation.revoked",
    RoleCreated => "role.created",
    RoleUpdated => "role.updated",
    RoleDeleted => "role.deleted",
    ApiKeyCreated => "api_key.created",
    ApiKeyRevoked => "api_key.revoked",
    ProjectCreated => "project.created",
    ProjectUpdated => "project.updated",
    ProjectDeleted => "project.deleted",
    TaskCreated => "task.created",
    TaskUpdated => "task.updated",
    TaskDeleted => "task.deleted",
}

targets! {
    User(UserId) => "user",
    Tenant(TenantId) => "tenant",
    Session(SessionId) => "session",
    Role(RoleId) => "role",
    ApiKey(ApiKeyId) => "api_key",
    Invitation(InvitationId) => "invitation",
    Project(ProjectId) => "project",
    Task(TaskId) => "task",
}
