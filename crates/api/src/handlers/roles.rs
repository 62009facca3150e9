use crate::error::{ApiError, Problem, Validator};
use crate::guards::TenantContext;
use crate::handlers::client::ClientInfo;
use crate::handlers::page::{Page, PageQuery};
use crate::handlers::trail;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use auth::revocation::Affected;
use chrono::{DateTime, Utc};
use domain::{ScopeSet, TenantId, UserId, ValidationError};
use persistence::PersistenceError;
use persistence::models::{NewRole, Role};
use persistence::repo::roles::RoleChangeset;
use persistence::repo::{audit, roles};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "01930000-0000-7000-8000-0000000000c1", "name": "billing", "description": "Reads the audit log", "permissions": ["tenant:read", "audit:read"], "builtin": false, "created_at": "2026-11-22T12:00:00Z", "updated_at": "2026-11-22T12:00:00Z"}))]
pub struct RoleResponse {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub permissions: Vec<String>,
    /// Built-in roles (`owner`, `admin`, `member`, `viewer`) cannot be edited or deleted.
    pub builtin: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Role> for RoleResponse {
    fn from(r: Role) -> Self {
        Self {
            id: r.id,
            name: r.name,
            description: r.description,
            permissions: r.permissions,
            builtin: r.builtin,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"name": "billing", "description": "Reads the audit log", "permissions": ["tenant:read", "audit:read"]}))]
pub struct CreateRoleRequest {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Scopes of the catalog; never more than the caller holds.
    pub permissions: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"permissions": ["tenant:read"]}))]
pub struct UpdateRoleRequest {
    pub name: Option<String>,
    pub description: Option<String>,
    pub permissions: Option<Vec<String>>,
}

fn role_name(raw: &str) -> Result<String, ValidationError> {
    let name = raw.trim();
    let ok = (1..=64).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' ' | '.'));
    if !ok {
        return Err(ValidationError::new(
            "name",
            "must be 1-64 letters, digits, spaces, '-', '_' or '.'",
        ));
    }
    Ok(name.to_owned())
}

fn permissions(names: &[String]) -> Result<ScopeSet, ValidationError> {
    let set = ScopeSet::parse_names(names)
        .map_err(|e| ValidationError::new("permissions", e.to_string()))?;
    if !set.is_subset_of(ScopeSet::all_tenant()) {
        return Err(ValidationError::new(
            "permissions",
            "platform:admin is not a tenant permission",
        ));
    }
    Ok(set)
}

/// Escalation rule (SPEC §5): nobody grants permissions they do not hold.
pub fn check_escalation(ctx: &TenantContext, granted: ScopeSet) -> Result<(), ApiError> {
    if granted.is_subset_of(ctx.scopes) {
        Ok(())
    } else {
        let missing = ScopeSet::all()
            .intersection(granted)
            .iter()
            .filter(|s| !ctx.scopes.contains(*s))
            .map(|s| s.as_str())
            .collect::<Vec<_>>();
        Err(ApiError::Forbidden(format!(
            "you cannot grant permissions you do not hold: {}",
            missing.join(" ")
        )))
    }
}

fn name_conflict(error: PersistenceError) -> ApiError {
    match error {
        PersistenceError::Conflict(_) => ApiError::Conflict("a role with this name exists".into()),
        other => other.into(),
    }
}

/// Every holder of a role: their tokens stop at the next request (marked all at once).
fn holders_affected(tenant: TenantId, holders: &[Uuid]) -> Vec<Affected> {
    holders
        .iter()
        .map(|user| Affected::Member(tenant, UserId(*user)))
        .collect()
}

/// The tenant's roles.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/roles", tag = "roles", operation_id = "list_roles",
    params(("tenant_id" = Uuid, Path), PageQuery),
    responses((status = 200, description = "Roles", body = inline(Page<RoleResponse>))))]
pub async fn list_roles(
    state: web::Data<AppState>,
    ctx: TenantContext,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (limit, after) = (query.limit()?, query.after_id()?);
    let tenant = ctx.tenant;
    let rows = persistence::in_tenant(&state.db, tenant, move |conn| {
        Box::pin(roles::list(conn, tenant, after, limit as i64 + 1))
    })
    .await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, limit, |r| r.id, RoleResponse::from)))
}

/// One role.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/roles/{role_id}", tag = "roles", operation_id = "get_role",
    params(("tenant_id" = Uuid, Path), ("role_id" = Uuid, Path)),
    responses((status = 200, description = "The role", body = RoleResponse), (status = 404, description = "No such role in this tenant", body = Problem)))]
pub async fn get_role(
    state: web::Data<AppState>,
    ctx: TenantContext,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let tenant = ctx.tenant;
    let role = persistence::in_tenant(&state.db, tenant, move |conn| {
        Box::pin(roles::find(conn, tenant, id))
    })
    .await?;
    Ok(HttpResponse::Ok().json(RoleResponse::from(role.ok_or(ApiError::NotFound)?)))
}

/// Create a custom role.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant_id}/roles", tag = "roles", operation_id = "create_role",
    params(("tenant_id" = Uuid, Path)),
    request_body = CreateRoleRequest,
    responses(
        (status = 201, description = "Created", body = RoleResponse),
        (status = 403, description = "Grants a permission the caller does not hold", body = Problem),
        (status = 409, description = "The name is taken", body = Problem),
        (status = 422, description = "Invalid name or unknown permission", body = Problem),
    ))]
pub async fn create_role(
    state: web::Data<AppState>,
    ctx: TenantContext,
    client: ClientInfo,
    body: web::Json<CreateRoleRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Validator::default();
    let name = v.check(role_name(&body.name));
    let perms = v.check(permissions(&body.permissions));
    v.finish()?;
    let (Some(name), Some(perms)) = (name, perms) else {
        return Err(ApiError::Internal("validated input missing".into()));
    };
    check_escalation(&ctx, perms)?;
    let description = body.description.trim().to_owned();
    let tenant = ctx.tenant;
    let role = persistence::in_tenant(&state.db, tenant, move |conn| {
        Box::pin(async move {
            let role = roles::insert(
                conn,
                NewRole {
                    id: Uuid::now_v7(),
                    tenant_id: tenant.0,
                    name: &name,
                    description: &description,
                    permissions: perms.names(),
                    builtin: false,
                },
            )
            .await?;
            audit::record(
                conn,
                tenant,
                trail::by(
                    &ctx,
                    &client,
                    "role.created",
                    format!("role:{}", role.id),
                    serde_json::json!({"permissions": role.permissions}),
                ),
            )
            .await?;
            Ok(role)
        })
    })
    .await
    .map_err(name_conflict)?;
    Ok(HttpResponse::Created().json(RoleResponse::from(role)))
}

/// Edit a custom role. Its holders' tokens stop at once (they refresh to get the new scopes).
#[utoipa::path(patch, path = "/api/v1/tenants/{tenant_id}/roles/{role_id}", tag = "roles", operation_id = "update_role",
    params(("tenant_id" = Uuid, Path), ("role_id" = Uuid, Path)),
    request_body = UpdateRoleRequest,
    responses(
        (status = 200, description = "Updated", body = RoleResponse),
        (status = 403, description = "The role has, or would get, permissions the caller does not hold", body = Problem),
        (status = 404, description = "No such role in this tenant", body = Problem),
        (status = 409, description = "Built-in role, or the name is taken", body = Problem),
        (status = 422, description = "Invalid fields", body = Problem),
    ))]
pub async fn update_role(
    state: web::Data<AppState>,
    ctx: TenantContext,
    client: ClientInfo,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Json<UpdateRoleRequest>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let mut v = Validator::default();
    let name = body.name.as_deref().map(|n| v.check(role_name(n)));
    let perms = body.permissions.as_deref().map(|p| v.check(permissions(p)));
    v.finish()?;
    let (name, perms) = (name.flatten(), perms.flatten());
    let description = body.description.as_deref().map(|d| d.trim().to_owned());
    let tenant = ctx.tenant;
    let revocations = state.revocations.clone();
    let (role, holders) = persistence::in_tenant(&state.db, tenant, move |conn| {
        Box::pin(async move {
            let Some(current) = roles::find(conn, tenant, id).await? else {
                return Ok(Err(ApiError::NotFound));
            };
            if current.builtin {
                return Ok(Err(ApiError::Conflict(
                    "built-in roles cannot be edited".into(),
                )));
            }
            // Editing a role is granting what it holds, before and after.
            let before = ScopeSet::parse_names(&current.permissions).unwrap_or_default();
            if let Err(e) = check_escalation(&ctx, before.union(perms.unwrap_or_default())) {
                return Ok(Err(e));
            }
            let changes = RoleChangeset {
                name: name.as_deref(),
                description: description.as_deref(),
                permissions: perms.map(ScopeSet::names),
                updated_at: Some(Utc::now()),
            };
            let role = roles::update_custom(conn, tenant, id, changes).await?;
            let holders = roles::holders(conn, tenant, id).await?;
            if let Err(e) = revocations
                .before_commit(&holders_affected(tenant, &holders))
                .await
            {
                return Ok(Err(e.into()));
            }
            audit::record(
                conn,
                tenant,
                trail::by(
                    &ctx,
                    &client,
                    "role.updated",
                    format!("role:{id}"),
                    serde_json::json!({"permissions": role.permissions}),
                ),
            )
            .await?;
            Ok(Ok((role, holders)))
        })
    })
    .await
    .map_err(name_conflict)??;
    state
        .revocations
        .mark(&holders_affected(tenant, &holders))
        .await?;
    Ok(HttpResponse::Ok().json(RoleResponse::from(role)))
}

/// Delete a custom role; its holders lose it (and their tokens stop at once).
#[utoipa::path(delete, path = "/api/v1/tenants/{tenant_id}/roles/{role_id}", tag = "roles", operation_id = "delete_role",
    params(("tenant_id" = Uuid, Path), ("role_id" = Uuid, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "The role has permissions the caller does not hold", body = Problem),
        (status = 404, description = "No such role in this tenant", body = Problem),
        (status = 409, description = "Built-in role", body = Problem),
    ))]
pub async fn delete_role(
    state: web::Data<AppState>,
    ctx: TenantContext,
    client: ClientInfo,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let tenant = ctx.tenant;
    let revocations = state.revocations.clone();
    let holders = persistence::in_tenant(&state.db, tenant, move |conn| {
        Box::pin(async move {
            let Some(current) = roles::find(conn, tenant, id).await? else {
                return Ok(Err(ApiError::NotFound));
            };
            if current.builtin {
                return Ok(Err(ApiError::Conflict(
                    "built-in roles cannot be deleted".into(),
                )));
            }
            if let Err(e) = check_escalation(
                &ctx,
                ScopeSet::parse_names(&current.permissions).unwrap_or_default(),
            ) {
                return Ok(Err(e));
            }
            let holders = roles::holders(conn, tenant, id).await?;
            if let Err(e) = revocations
                .before_commit(&holders_affected(tenant, &holders))
                .await
            {
                return Ok(Err(e.into()));
            }
            roles::delete_custom(conn, tenant, id).await?;
            audit::record(
                conn,
                tenant,
                trail::by(
                    &ctx,
                    &client,
                    "role.deleted",
                    format!("role:{id}"),
                    serde_json::json!({"name": current.name}),
                ),
            )
            .await?;
            Ok(Ok(holders))
        })
    })
    .await??;
    state
        .revocations
        .mark(&holders_affected(tenant, &holders))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
