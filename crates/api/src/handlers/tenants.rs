use crate::error::{ApiError, Problem, Validator};
use crate::guards::Principal;
use crate::handlers::client::ClientInfo;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use domain::{Slug, TenantId, TenantName};
use persistence::PersistenceError;
use persistence::models::Tenant;
use persistence::repo::audit::{self, AuditRecord};
use persistence::repo::tenants;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"name": "Acme Corp", "slug": "acme"}))]
pub struct CreateTenantRequest {
    /// 1 to 100 characters.
    pub name: String,
    /// `^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$`, unique.
    pub slug: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "01930000-0000-7000-8000-000000000001", "slug": "acme", "name": "Acme Corp", "status": "active", "created_at": "2026-11-22T12:00:00Z"}))]
pub struct TenantResponse {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    /// `active` or `suspended`
    pub status: String,
    pub created_at: DateTime<Utc>,
}

impl From<Tenant> for TenantResponse {
    fn from(t: Tenant) -> Self {
        Self {
            id: t.id,
            slug: t.slug,
            name: t.name,
            status: t.status,
            created_at: t.created_at,
        }
    }
}

/// Parses a tenant's name and slug, collecting field errors under `prefix`.
pub fn parse_tenant(
    v: &mut Validator,
    prefix: &str,
    name: &str,
    slug: &str,
) -> Option<(TenantName, Slug)> {
    let name = v.check_as(&format!("{prefix}name"), TenantName::parse(name));
    let slug = v.check_as(&format!("{prefix}slug"), Slug::parse(slug));
    Some((name?, slug?))
}

/// Unique-constraint violations as the 409 a client can act on.
pub fn conflict(error: PersistenceError) -> ApiError {
    match error {
        PersistenceError::Conflict(constraint) if constraint.contains("slug") => {
            ApiError::Conflict("this slug is taken".into())
        }
        PersistenceError::Conflict(constraint) if constraint.contains("email") => {
            ApiError::Conflict("this email is already registered".into())
        }
        other => other.into(),
    }
}

/// Create a tenant; the caller becomes its owner.
///
/// The caller's current token is not widened: refresh with `tenant=<slug>` to act in it.
#[utoipa::path(post, path = "/api/v1/tenants", tag = "tenants", operation_id = "create_tenant",
    request_body = CreateTenantRequest,
    responses(
        (status = 201, description = "Created", body = TenantResponse),
        (status = 401, description = "No valid token", body = Problem),
        (status = 409, description = "The slug is taken", body = Problem),
        (status = 422, description = "Invalid name or slug", body = Problem),
    ))]
pub async fn create_tenant(
    state: web::Data<AppState>,
    principal: Principal,
    client: ClientInfo,
    body: web::Json<CreateTenantRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Validator::default();
    let parsed = parse_tenant(&mut v, "", &body.name, &body.slug);
    v.finish()?;
    let Some((name, slug)) = parsed else {
        return Err(ApiError::Internal("validated input missing".into()));
    };
    let id = TenantId::new();
    let owner = principal.user;
    let tenant = persistence::in_tenant(&state.db, id, move |conn| {
        Box::pin(async move {
            let tenant = tenants::create_with_owner(conn, id, &slug, &name, owner).await?;
            audit::record(
                conn,
                id,
                AuditRecord {
                    actor_id: Some(owner.0),
                    action: "tenant.created",
                    target: Some(format!("tenant:{id}")),
                    ip: client.ip_string(),
                    user_agent: client.user_agent,
                    details: serde_json::json!({"slug": tenant.slug}),
                },
            )
            .await?;
            Ok(tenant)
        })
    })
    .await
    .map_err(conflict)?;
    Ok(HttpResponse::Created().json(TenantResponse::from(tenant)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"name": "Acme Corporation"}))]
pub struct UpdateTenantRequest {
    pub name: String,
}

/// The tenant of the path (the token's).
#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}", tag = "tenants", operation_id = "get_tenant",
    params(("tenant_id" = Uuid, Path)),
    responses(
        (status = 200, description = "The tenant", body = TenantResponse),
        (status = 401, description = "No valid credentials", body = Problem),
        (status = 403, description = "Another tenant's token, or missing `tenant:read`", body = Problem),
    ))]
pub async fn get_tenant(
    state: web::Data<AppState>,
    ctx: crate::guards::TenantContext,
) -> Result<HttpResponse, ApiError> {
    let tenant = ctx.tenant;
    let found = persistence::in_tenant(&state.db, tenant, move |conn| {
        Box::pin(tenants::find(conn, tenant))
    })
    .await?;
    Ok(HttpResponse::Ok().json(TenantResponse::from(found.ok_or(ApiError::NotFound)?)))
}

/// Rename the tenant.
#[utoipa::path(patch, path = "/api/v1/tenants/{tenant_id}", tag = "tenants", operation_id = "update_tenant",
    params(("tenant_id" = Uuid, Path)),
    request_body = UpdateTenantRequest,
    responses(
        (status = 200, description = "Updated", body = TenantResponse),
        (status = 422, description = "Invalid name", body = Problem),
    ))]
pub async fn update_tenant(
    state: web::Data<AppState>,
    ctx: crate::guards::TenantContext,
    client: ClientInfo,
    body: web::Json<UpdateTenantRequest>,
) -> Result<HttpResponse, ApiError> {
    let name = TenantName::parse(&body.name)?;
    let tenant = ctx.tenant;
    let updated = persistence::in_tenant(&state.db, tenant, move |conn| {
        Box::pin(async move {
            let updated = tenants::rename(conn, tenant, &name).await?;
            audit::record(
                conn,
                tenant,
                crate::handlers::trail::by(
                    &ctx,
                    &client,
                    "tenant.updated",
                    format!("tenant:{tenant}"),
                    serde_json::json!({"name": updated.name}),
                ),
            )
            .await?;
            Ok(updated)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(TenantResponse::from(updated)))
}
