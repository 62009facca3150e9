use crate::error::{ApiError, Problem};
use crate::guards::TenantContext;
use crate::handlers::client::ClientInfo;
use crate::handlers::me::RoleRef;
use crate::handlers::page::{Page, PageQuery};
use crate::handlers::roles::check_escalation;
use crate::handlers::trail;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use auth::revocation::Affected;
use chrono::{DateTime, Utc};
use domain::{BuiltinRole, MembershipStatus, RoleId, ScopeSet, TenantId, UserId};
use persistence::AsyncPgConnection;
use persistence::models::Role;
use persistence::repo::memberships::{self, Member};
use persistence::repo::{audit, invitations, roles};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"user_id": "01930000-0000-7000-8000-000000000002", "email": "ada@example.com", "display_name": "Ada", "status": "active", "roles": [{"id": "01930000-0000-7000-8000-0000000000c1", "name": "owner"}], "joined_at": "2026-11-22T12:00:00Z"}))]
pub struct MemberResponse {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
    /// `active` or `disabled`
    pub status: String,
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

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"status": "disabled"}))]
pub struct UpdateMemberRequest {
    /// `active` or `disabled`
    pub status: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"role_ids": ["01930000-0000-7000-8000-0000000000c1"]}))]
pub struct SetRolesRequest {
    pub role_ids: Vec<Uuid>,
}

pub fn is_owner_role(role: &Role) -> bool {
    role.builtin && role.name == BuiltinRole::Owner.name()
}

/// Whether `user` holds `owner` in the unit of work's tenant.
pub async fn is_owner(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    user: UserId,
) -> Result<bool, persistence::PersistenceError> {
    Ok(memberships::find_member(conn, tenant, user)
        .await?
        .is_some_and(|m| {
            m.roles.iter().any(is_owner_role)
                && m.membership.status == MembershipStatus::Active.as_str()
        }))
}

/// Whether the caller is a user holding `owner` (an API key never acts as one).
pub async fn acts_as_owner(
    conn: &mut AsyncPgConnection,
    ctx: &TenantContext,
) -> Result<bool, persistence::PersistenceError> {
    match (ctx.user, ctx.principal.api_key) {
        (Some(user), None) => is_owner(conn, ctx.tenant, user).await,
        _ => Ok(false),
    }
}

/// Refuses a change that leaves the tenant without an active owner (409).
async fn keep_an_owner(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    target: UserId,
) -> Result<Result<(), ApiError>, persistence::PersistenceError> {
    let owners = memberships::active_owners(conn, tenant).await?;
    if owners.len() == 1 && owners[0] == target.0 {
        return Ok(Err(ApiError::Conflict(
            "the last active owner cannot be removed, disabled or demoted".into(),
        )));
    }
    Ok(Ok(()))
}

/// Who may change a member's standing at all: changing an owner takes an owner.
async fn guard_target(
    conn: &mut AsyncPgConnection,
    ctx: &TenantContext,
    target: &Member,
) -> Result<Result<(), ApiError>, persistence::PersistenceError> {
    if target.roles.iter().any(is_owner_role) && !acts_as_owner(conn, ctx).await? {
        return Ok(Err(ApiError::Forbidden(
            "only an owner may change an owner".into(),
        )));
    }
    Ok(Ok(()))
}

/// The tenant's members with their roles.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/members", tag = "members", operation_id = "list_members",
    params(("tenant_id" = Uuid, Path), PageQuery),
    responses((status = 200, description = "Members", body = inline(Page<MemberResponse>))))]
pub async fn list_members(
    state: web::Data<AppState>,
    ctx: TenantContext,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (limit, after) = (query.limit()?, query.after_id()?);
    let tenant = ctx.tenant;
    let rows = persistence::in_tenant(&state.db, tenant, move |conn| {
        Box::pin(memberships::list_members(
            conn,
            tenant,
            after,
            limit as i64 + 1,
        ))
    })
    .await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(
        rows,
        limit,
        |m| m.user.id,
        MemberResponse::from,
    )))
}

/// One member.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/members/{user_id}", tag = "members", operation_id = "get_member",
    params(("tenant_id" = Uuid, Path), ("user_id" = Uuid, Path)),
    responses((status = 200, description = "The member", body = MemberResponse), (status = 404, description = "Not a member of this tenant", body = Problem)))]
pub async fn get_member(
    state: web::Data<AppState>,
    ctx: TenantContext,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (_, user) = path.into_inner();
    let tenant = ctx.tenant;
    let member = persistence::in_tenant(&state.db, tenant, move |conn| {
        Box::pin(memberships::find_member(conn, tenant, UserId(user)))
    })
    .await?;
    Ok(HttpResponse::Ok().json(MemberResponse::from(member.ok_or(ApiError::NotFound)?)))
}

/// Disable or re-enable a member. A disabled member's tokens stop at once.
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
    state: web::Data<AppState>,
    ctx: TenantContext,
    client: ClientInfo,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Json<UpdateMemberRequest>,
) -> Result<HttpResponse, ApiError> {
    let (_, user) = path.into_inner();
    let user = UserId(user);
    let status = MembershipStatus::parse(&body.status)
        .ok_or_else(|| ApiError::validation("status", "must be `active` or `disabled`"))?;
    let tenant = ctx.tenant;
    let affected = [Affected::Member(tenant, user)];
    let revocations = state.revocations.clone();
    let member = persistence::in_tenant(&state.db, tenant, move |conn| {
        Box::pin(async move {
            let Some(target) = memberships::find_member(conn, tenant, user).await? else {
                return Ok(Err(ApiError::NotFound));
            };
            if let Err(e) = guard_target(conn, &ctx, &target).await? {
                return Ok(Err(e));
            }
            if status == MembershipStatus::Disabled
                && let Err(e) = keep_an_owner(conn, tenant, user).await?
            {
                return Ok(Err(e));
            }
            memberships::set_status(conn, tenant, user, status).await?;
            let action = if status == MembershipStatus::Disabled {
                "member.disabled"
            } else {
                "member.enabled"
            };
            audit::record(
                conn,
                tenant,
                trail::by(
                    &ctx,
                    &client,
                    action,
                    format!("user:{user}"),
                    serde_json::Value::Null,
                ),
            )
            .await?;
            if let Err(e) = revocations.before_commit(&affected).await {
                return Ok(Err(e.into()));
            }
            Ok(memberships::find_member(conn, tenant, user)
                .await?
                .ok_or(ApiError::NotFound))
        })
    })
    .await??;
    state.revocations.mark(&affected).await?;
    Ok(HttpResponse::Ok().json(MemberResponse::from(member)))
}

/// Remove a member from the tenant. Their tokens for it stop at once.
#[utoipa::path(delete, path = "/api/v1/tenants/{tenant_id}/members/{user_id}", tag = "members", operation_id = "remove_member",
    params(("tenant_id" = Uuid, Path), ("user_id" = Uuid, Path)),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "Removing an owner takes an owner", body = Problem),
        (status = 404, description = "Not a member of this tenant", body = Problem),
        (status = 409, description = "The last active owner", body = Problem),
    ))]
pub async fn remove_member(
    state: web::Data<AppState>,
    ctx: TenantContext,
    client: ClientInfo,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (_, user) = path.into_inner();
    let user = UserId(user);
    let tenant = ctx.tenant;
    let affected = [Affected::Member(tenant, user)];
    let revocations = state.revocations.clone();
    persistence::in_tenant(&state.db, tenant, move |conn| {
        Box::pin(async move {
            let Some(target) = memberships::find_member(conn, tenant, user).await? else {
                return Ok(Err(ApiError::NotFound));
            };
            if let Err(e) = guard_target(conn, &ctx, &target).await? {
                return Ok(Err(e));
            }
            if let Err(e) = keep_an_owner(conn, tenant, user).await? {
                return Ok(Err(e));
            }
            memberships::delete(conn, tenant, user).await?;
            // Invitations die with their creator's membership (SPEC §8): a removed admin
            // leaves no door open behind them.
            let revoked = invitations::delete_open_created_by(conn, tenant, user).await?;
            audit::record(
                conn,
                tenant,
                trail::by(
                    &ctx,
                    &client,
                    "member.removed",
                    format!("user:{user}"),
                    serde_json::json!({"invitations_revoked": revoked}),
                ),
            )
            .await?;
            if let Err(e) = revocations.before_commit(&affected).await {
                return Ok(Err(e.into()));
            }
            Ok(Ok(()))
        })
    })
    .await??;
    state.revocations.mark(&affected).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Replace a member's roles. Only owners grant or remove `owner`; nobody assigns a role
/// with permissions they do not hold.
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
    state: web::Data<AppState>,
    ctx: TenantContext,
    client: ClientInfo,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Json<SetRolesRequest>,
) -> Result<HttpResponse, ApiError> {
    let (_, user) = path.into_inner();
    let user = UserId(user);
    let mut wanted = body.role_ids.clone();
    wanted.sort();
    wanted.dedup();
    let tenant = ctx.tenant;
    let affected = [Affected::Member(tenant, user)];
    let revocations = state.revocations.clone();
    let member = persistence::in_tenant(&state.db, tenant, move |conn| {
        Box::pin(async move {
            let Some(target) = memberships::find_member(conn, tenant, user).await? else {
                return Ok(Err(ApiError::NotFound));
            };
            let new_roles = roles::find_many(conn, tenant, &wanted).await?;
            if new_roles.len() != wanted.len() {
                return Ok(Err(ApiError::validation(
                    "role_ids",
                    "contains a role that does not exist in this tenant",
                )));
            }
            let old_ids: Vec<Uuid> = target.roles.iter().map(|r| r.id).collect();
            // Granting: every role newly given must be within the caller's own scopes.
            let granted = new_roles
                .iter()
                .filter(|r| !old_ids.contains(&r.id))
                .map(|r| ScopeSet::parse_names(&r.permissions).unwrap_or_default())
                .fold(ScopeSet::EMPTY, ScopeSet::union);
            if let Err(e) = check_escalation(&ctx, granted) {
                return Ok(Err(e));
            }
            let had_owner = target.roles.iter().any(is_owner_role);
            let gets_owner = new_roles.iter().any(is_owner_role);
            if had_owner != gets_owner {
                if !acts_as_owner(conn, &ctx).await? {
                    return Ok(Err(ApiError::Forbidden(
                        "only an owner may grant or remove `owner`".into(),
                    )));
                }
                if had_owner && let Err(e) = keep_an_owner(conn, tenant, user).await? {
                    return Ok(Err(e));
                }
            }
            let ids: Vec<RoleId> = new_roles.iter().map(|r| RoleId(r.id)).collect();
            memberships::set_roles(conn, tenant, user, &ids).await?;
            let names: Vec<&str> = new_roles.iter().map(|r| r.name.as_str()).collect();
            audit::record(
                conn,
                tenant,
                trail::by(
                    &ctx,
                    &client,
                    "member.roles_changed",
                    format!("user:{user}"),
                    serde_json::json!({"roles": names}),
                ),
            )
            .await?;
            if let Err(e) = revocations.before_commit(&affected).await {
                return Ok(Err(e.into()));
            }
            Ok(memberships::find_member(conn, tenant, user)
                .await?
                .ok_or(ApiError::NotFound))
        })
    })
    .await??;
    state.revocations.mark(&affected).await?;
    Ok(HttpResponse::Ok().json(MemberResponse::from(member)))
}
