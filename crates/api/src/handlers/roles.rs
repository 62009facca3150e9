use crate::error::{ApiError, Problem};
use crate::handlers::page::{Page, PageQuery};
use crate::paths::RolePath;
use crate::validate::{self, Valid};
use crate::work::TenantWork;
use actix_web::{HttpResponse, web};
use auth::revocation::Affected;
use chrono::{DateTime, Utc};
use domain::{Action, Description, RoleId, RoleName, ScopeSet, Target, TenantId, UserId, policy};
use persistence::models::Role;
use persistence::repo::roles::{self, RoleChangeset};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use validator::Validate;

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "01930000-0000-7000-8000-0000000000c1", "name": "billing", "description": "Reads the audit log", "permissions": ["tenant:read", "audit:read"], "builtin": false, "created_at": "2026-11-22T12:00:00Z", "updated_at": "2026-11-22T12:00:00Z"}))]
pub struct RoleResponse {
    pub id: RoleId,
    pub name: String,
    pub description: String,
    #[schema(value_type = Vec<domain::Scope>)]
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
            permissions: r.permissions.names(),
            builtin: r.builtin,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"name": "billing", "description": "Reads the audit log", "permissions": ["tenant:read", "audit:read"]}))]
pub struct CreateRoleRequest {
    /// Letters, digits, spaces, `-`, `_` and `.`.
    #[schema(value_type = domain::RoleName)]
    #[validate(custom(function = "validate::role_name"))]
    pub name: String,
    #[serde(default)]
    #[schema(value_type = domain::Description)]
    #[validate(custom(function = "validate::description"))]
    pub description: String,
    /// Scopes of the catalog; never more than the caller holds.
    #[validate(custom(function = "validate::tenant_scopes"))]
    #[schema(value_type = Vec<domain::TenantScope>)]
    pub permissions: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"permissions": ["tenant:read"]}))]
pub struct UpdateRoleRequest {
    #[schema(value_type = Option<domain::RoleName>)]
    #[validate(custom(function = "validate::role_name"))]
    #[serde(default, deserialize_with = "crate::validate::not_null")]
    pub name: Option<String>,
    #[schema(value_type = Option<domain::Description>)]
    #[validate(custom(function = "validate::description"))]
    #[serde(default, deserialize_with = "crate::validate::not_null")]
    pub description: Option<String>,
    #[validate(custom(function = "validate::tenant_scopes"))]
    #[schema(value_type = Option<Vec<domain::TenantScope>>)]
    #[serde(default, deserialize_with = "crate::validate::not_null")]
    pub permissions: Option<Vec<String>>,
}

/// Every holder of a role: their tokens stop at the next request (marked all at once).
fn holders_affected(tenant: TenantId, holders: Vec<UserId>) -> Vec<Affected> {
    holders
        .into_iter()
        .map(|user| Affected::Member(tenant, user))
        .collect()
}

/// The custom role of the path, if the caller may change it (`domain::policy`).
async fn editable_role(
    work: &TenantWork,
    id: RoleId,
    after: Option<ScopeSet>,
) -> Result<Role, ApiError> {
    let role = roles::find(&work.tx, id).await?.ok_or(ApiError::NotFound)?;
    policy::edit_role(work.scopes(), role.builtin, role.permissions, after)?;
    Ok(role)
}

/// The tenant's roles.
///
/// Requires `roles:read`; API keys may call it. Built-in and custom roles, oldest first
/// (the four built-ins come first), with cursor pagination.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/roles", tag = "roles", operation_id = "list_roles",
    params(("tenant_id" = Uuid, Path), PageQuery),
    responses((status = 200, description = "Roles", body = Page<RoleResponse>)))]
pub async fn list_roles(
    work: TenantWork,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (limit, after) = (query.limit()?, query.after_id()?);
    let rows = roles::list(&work.tx, after, limit as i64 + 1).await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, limit, |r| r.id, RoleResponse::from)))
}

/// One role.
///
/// Requires `roles:read`; API keys may call it. An unknown id, or another tenant's role, is
/// 404.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/roles/{role_id}", tag = "roles", operation_id = "get_role",
    params(("tenant_id" = Uuid, Path), ("role_id" = Uuid, Path)),
    responses((status = 200, description = "The role", body = RoleResponse), (status = 404, description = "No such role in this tenant", body = Problem)))]
pub async fn get_role(
    work: TenantWork,
    path: web::Path<RolePath>,
) -> Result<HttpResponse, ApiError> {
    let role = roles::find(&work.tx, path.role_id).await?;
    Ok(HttpResponse::Ok().json(RoleResponse::from(role.ok_or(ApiError::NotFound)?)))
}

/// Create a custom role.
///
/// Requires `roles:write`; API keys may call it. `permissions` must be tenant scopes the
/// caller holds (403 otherwise), and the name must be unique in the tenant (409). Audited
/// as `role.created`.
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
    work: TenantWork,
    body: Valid<CreateRoleRequest>,
) -> Result<HttpResponse, ApiError> {
    let (name, description) = (
        RoleName::parse(&body.name)?,
        Description::parse(&body.description)?,
    );
    let permissions = validate::parse_tenant_scopes(&body.permissions, "permissions")?;
    policy::grant(work.scopes(), permissions)?;
    let role = roles::insert(&work.tx, &name, &description, permissions).await?;
    let details = json!({"permissions": role.permissions.names()});
    work.audit(Action::RoleCreated, Target::Role(role.id), details)
        .await?;
    work.commit().await?;
    Ok(HttpResponse::Created().json(RoleResponse::from(role)))
}

/// Edit a custom role.
///
/// Requires `roles:write`; API keys may call it. Only the fields sent change; a built-in
/// role or a taken name is 409, and the caller must hold every permission the role has
/// before and after the edit (403). Every holder's tokens for this tenant stop at their
/// next request, even for a change of name or description (a refresh gets the new scopes).
/// Audited as `role.updated`.
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
    mut work: TenantWork,
    path: web::Path<RolePath>,
    body: Valid<UpdateRoleRequest>,
) -> Result<HttpResponse, ApiError> {
    let name = body.name.as_deref().map(RoleName::parse).transpose()?;
    let description = body
        .description
        .as_deref()
        .map(Description::parse)
        .transpose()?;
    let permissions = body.permissions.as_deref();
    let permissions = permissions
        .map(|p| validate::parse_tenant_scopes(p, "permissions"))
        .transpose()?;
    editable_role(&work, path.role_id, permissions).await?;
    let changes = RoleChangeset {
        name: name.as_ref().map(RoleName::as_str),
        description: description.as_ref().map(Description::as_str),
        permissions: permissions.map(ScopeSet::names),
        updated_at: Some(Utc::now()),
    };
    let role = roles::update_custom(&work.tx, path.role_id, changes).await?;
    let holders = roles::holders(&work.tx, path.role_id).await?;
    work.revoke(holders_affected(work.tenant(), holders))
        .await?;
    let details = json!({"permissions": role.permissions.names()});
    work.audit(Action::RoleUpdated, Target::Role(path.role_id), details)
        .await?;
    work.commit().await?;
    Ok(HttpResponse::Ok().json(RoleResponse::from(role)))
}

/// Delete a custom role.
///
/// Requires `roles:write`; API keys may call it. A built-in role is 409, and the caller
/// must hold every permission the role grants (403). Its holders lose it and their tokens
/// for this tenant stop at their next request (a refresh gets their remaining scopes);
/// audited as `role.deleted`.
#[utoipa::path(delete, path = "/api/v1/tenants/{tenant_id}/roles/{role_id}", tag = "roles", operation_id = "delete_role",
    params(("tenant_id" = Uuid, Path), ("role_id" = Uuid, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "The role has permissions the caller does not hold", body = Problem),
        (status = 404, description = "No such role in this tenant", body = Problem),
        (status = 409, description = "Built-in role", body = Problem),
    ))]
pub async fn delete_role(
    mut work: TenantWork,
    path: web::Path<RolePath>,
) -> Result<HttpResponse, ApiError> {
    let role = editable_role(&work, path.role_id, None).await?;
    let holders = roles::holders(&work.tx, path.role_id).await?;
    work.revoke(holders_affected(work.tenant(), holders))
        .await?;
    roles::delete_custom(&work.tx, path.role_id).await?;
    work.audit(
        Action::RoleDeleted,
        Target::Role(path.role_id),
        json!({"name": role.name}),
    )
    .await?;
    work.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
