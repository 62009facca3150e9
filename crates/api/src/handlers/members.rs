use crate::error::{ApiError, Problem};
use crate::facts;
use crate::handlers::me::RoleRef;
use crate::handlers::page::{Page, PageQuery};
use crate::paths::MemberPath;
use crate::validate::Valid;
use crate::work::TenantWork;
use actix_web::{HttpResponse, web};
use auth::revocation::Affected;
use chrono::{DateTime, Utc};
use domain::{Action, MembershipStatus, RoleId, Target, UserId, policy};
use persistence::repo::memberships::{self, Member};
use persistence::repo::{invitations, roles};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use utoipa::ToSchema;
use validator::Validate;

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"user_id": "01930000-0000-7000-8000-000000000002", "email": "ada@example.com", "display_name": "Ada", "status": "active", "roles": [{"id": "01930000-0000-7000-8000-0000000000c1", "name": "owner"}], "joined_at": "2026-11-22T12:00:00Z"}))]
pub struct MemberResponse {
    pub user_id: UserId,
    pub email: String,
    pub display_name: String,
    /// `active` or `disabled`
    pub status: MembershipStatus,
    pub roles: Vec<RoleRef>,
    pub joined_at: DateTime<Utc>,
}

impl From<Member> for MemberResponse {
    fn from(m: Member) -> Self {
        Self {
            user_id: m.user.id,
            email: m.user.email,
            display_name: m.user.display_name,
            status: m.membership.status,
            roles: m
                .roles
                .into_iter()
                .map(|r| RoleRef {
                    id: r.id,
                    name: r.name,
                })
                .collect(),
            joined_at: m.membership.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"status": "disabled"}))]
pub struct UpdateMemberRequest {
    #[schema(value_type = domain::MembershipStatus)]
    #[validate(custom(function = "membership_status"))]
    pub status: String,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"role_ids": ["01930000-0000-7000-8000-0000000000c1"]}))]
pub struct SetRolesRequest {
    #[schema(value_type = Vec<Uuid>)]
    #[validate(length(max = 64, message = "at most 64 roles"))]
    pub role_ids: Vec<RoleId>,
}

const STATUS_RULE: &str = "must be `active` or `disabled`";

fn membership_status(raw: &str) -> Result<(), validator::ValidationError> {
    match MembershipStatus::parse(raw) {
        Some(_) => Ok(()),
        None => Err(validator::ValidationError::new("status").with_message(STATUS_RULE.into())),
    }
}

/// The member of the path, if the caller may change their standing at all.
async fn changeable_member(work: &TenantWork, user: UserId) -> Result<Member, ApiError> {
    let target = memberships::find_member(&work.tx, user)
        .await?
        .ok_or(ApiError::NotFound)?;
    policy::change_member(work.actor().await?, facts::holds_owner(&target))?;
    Ok(target)
}

/// The end of a change to `user`'s standing: their tokens for the tenant stop (marked with
/// the change, SPEC §8), and the answer is the member as they now are.
async fn changed_member(mut work: TenantWork, user: UserId) -> Result<HttpResponse, ApiError> {
    work.revoke(vec![Affected::Member(work.tenant(), user)])
        .await?;
    let member = memberships::find_member(&work.tx, user).await?;
    let member = member.ok_or(ApiError::NotFound)?;
    work.commit().await?;
    Ok(HttpResponse::Ok().json(MemberResponse::from(member)))
}

/// Refuses a change that leaves the tenant without an active owner (409).
async fn keep_an_owner(work: &TenantWork, user: UserId) -> Result<(), ApiError> {
    let owners = memberships::active_owners(&work.tx).await?;
    Ok(policy::keep_an_owner(&owners, user)?)
}

/// The tenant's members with their roles.
///
/// Requires `members:read`; API keys may call it. Lists every member, disabled ones
/// included, ordered by `user_id`, with cursor pagination.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/members", tag = "members", operation_id = "list_members",
    params(("tenant_id" = Uuid, Path), PageQuery),
    responses((status = 200, description = "Members", body = Page<MemberResponse>)))]
pub async fn list_members(
    work: TenantWork,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (limit, after) = (query.limit()?, query.after_id()?);
    let rows = memberships::list_members(&work.tx, after, limit as i64 + 1).await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(
        rows,
        limit,
        |m| m.user.id,
        MemberResponse::from,
    )))
}

/// One member, with their roles.
///
/// Requires `members:read`; API keys may call it. `user_id` is the user's id; a user who is
/// not a member of this tenant is 404.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/members/{user_id}", tag = "members", operation_id = "get_member",
    params(("tenant_id" = Uuid, Path), ("user_id" = Uuid, Path)),
    responses((status = 200, description = "The member", body = MemberResponse), (status = 404, description = "Not a member of this tenant", body = Problem)))]
pub async fn get_member(
    work: TenantWork,
    path: web::Path<MemberPath>,
) -> Result<HttpResponse, ApiError> {
    let member = memberships::find_member(&work.tx, path.user_id).await?;
    Ok(HttpResponse::Ok().json(MemberResponse::from(member.ok_or(ApiError::NotFound)?)))
}

/// Disable or re-enable a member.
///
/// Requires `members:write`; API keys may call it. Only an owner using their own token may
/// change an owner (403), and the last active owner cannot be disabled (409). Either way
/// the member's access tokens for this tenant stop at their next request; while disabled,
/// their refreshes for it and the API keys they created are refused. Audited as
/// `member.disabled` or `member.enabled`.
#[utoipa::path(patch, path = "/api/v1/tenants/{tenant_id}/members/{user_id}", tag = "members", operation_id = "update_member",
    params(("tenant_id" = Uuid, Path), ("user_id" = Uuid, Path)),
    request_body = UpdateMemberRequest,
    responses(
        (status = 200, description = "Updated", body = MemberResponse),
        (status = 403, description = "Changing an owner takes an owner", body = Problem),
        (status = 404, description = "Not a member of this tenant", body = Problem),
        (status = 409, description = "The last active owner", body = Problem),
        (status = 422, description = "Unknown status", body = Problem),
    ))]
pub async fn update_member(
    work: TenantWork,
    path: web::Path<MemberPath>,
    body: Valid<UpdateMemberRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = path.user_id;
    let status = MembershipStatus::parse(&body.status)
        .ok_or_else(|| ApiError::validation("status", STATUS_RULE))?;
    changeable_member(&work, user).await?;
    if status == MembershipStatus::Disabled {
        keep_an_owner(&work, user).await?;
    }
    memberships::set_status(&work.tx, user, status).await?;
    let action = match status {
        MembershipStatus::Disabled => Action::MemberDisabled,
        MembershipStatus::Active => Action::MemberEnabled,
    };
    work.audit(action, Target::User(user), Value::Null).await?;
    changed_member(work, user).await
}

/// Remove a member from the tenant.
///
/// Requires `members:write`; API keys may call it. Only an owner using their own token may
/// remove an owner (403), and the last active owner cannot be removed (409). The member's
/// tokens for this tenant and the API keys they created stop at their next request, and the
/// open invitations they created are revoked; audited as `member.removed`.
#[utoipa::path(delete, path = "/api/v1/tenants/{tenant_id}/members/{user_id}", tag = "members", operation_id = "remove_member",
    params(("tenant_id" = Uuid, Path), ("user_id" = Uuid, Path)),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "Removing an owner takes an owner", body = Problem),
        (status = 404, description = "Not a member of this tenant", body = Problem),
        (status = 409, description = "The last active owner", body = Problem),
    ))]
pub async fn remove_member(
    mut work: TenantWork,
    path: web::Path<MemberPath>,
) -> Result<HttpResponse, ApiError> {
    let user = path.user_id;
    changeable_member(&work, user).await?;
    keep_an_owner(&work, user).await?;
    memberships::delete(&work.tx, user).await?;
    // Invitations die with their creator's membership (SPEC §8): a removed admin leaves no
    // door open behind them.
    let revoked = invitations::delete_open_created_by(&work.tx, user).await?;
    let details = json!({"invitations_revoked": revoked});
    work.audit(Action::MemberRemoved, Target::User(user), details)
        .await?;
    work.revoke(vec![Affected::Member(work.tenant(), user)])
        .await?;
    work.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Replace a member's roles.
///
/// Requires `roles:write`; API keys may call it. `role_ids` becomes the member's whole set
/// of roles (an empty list leaves none); each must exist in this tenant (422). Every newly
/// given role must grant only permissions the caller holds, only an owner using their own
/// token grants or removes `owner` (403), and the last active owner cannot lose it (409).
/// The member's tokens for this tenant stop at their next request (a refresh gets the new
/// scopes); audited as `member.roles_changed`.
#[utoipa::path(put, path = "/api/v1/tenants/{tenant_id}/members/{user_id}/roles", tag = "members", operation_id = "set_member_roles",
    params(("tenant_id" = Uuid, Path), ("user_id" = Uuid, Path)),
    request_body = SetRolesRequest,
    responses(
        (status = 200, description = "The member with their new roles", body = MemberResponse),
        (status = 403, description = "Escalation, or `owner` granted/removed by a non-owner", body = Problem),
        (status = 404, description = "Not a member of this tenant", body = Problem),
        (status = 409, description = "Would demote the last active owner", body = Problem),
        (status = 422, description = "Unknown role id", body = Problem),
    ))]
pub async fn set_member_roles(
    work: TenantWork,
    path: web::Path<MemberPath>,
    body: Valid<SetRolesRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = path.user_id;
    let wanted: BTreeSet<RoleId> = body.role_ids.iter().copied().collect();
    let wanted: Vec<RoleId> = wanted.into_iter().collect();
    let target = memberships::find_member(&work.tx, user)
        .await?
        .ok_or(ApiError::NotFound)?;
    let new_roles = roles::find_many(&work.tx, &wanted).await?;
    if new_roles.len() != wanted.len() {
        let message = "contains a role that does not exist in this tenant";
        return Err(ApiError::validation("role_ids", message));
    }
    let (old, new) = (
        facts::role_grants(&target.roles),
        facts::role_grants(&new_roles),
    );
    let owners = memberships::active_owners(&work.tx).await?;
    policy::set_roles(work.actor().await?, &old, &new, user, &owners)?;
    memberships::set_roles(&work.tx, user, &wanted).await?;
    let names: Vec<&str> = new_roles.iter().map(|r| r.name.as_str()).collect();
    work.audit(
        Action::MemberRolesChanged,
        Target::User(user),
        json!({"roles": names}),
    )
    .await?;
    changed_member(work, user).await
}
