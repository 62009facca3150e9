use crate::error::{ApiError, Problem};
use crate::guards::Caller;
use crate::handlers::client::ClientInfo;
use crate::state::AppState;
use crate::validate::{self, Valid};
use crate::work::{self, TenantWork};
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use domain::TenantStatus;
use domain::{Action, Slug, Target, TenantId, TenantName};
use persistence::models::Tenant;
use persistence::repo::tenants;
use persistence::{Mode, TenantTx};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use validator::Validate;

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"name": "Acme Corp", "slug": "acme"}))]
pub struct CreateTenantRequest {
    /// 1 to 100 characters.
    #[schema(value_type = domain::TenantName)]
    #[validate(custom(function = "validate::tenant_name"))]
    pub name: String,
    /// `^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$`, unique.
    #[schema(value_type = domain::Slug)]
    #[validate(custom(function = "validate::slug"))]
    pub slug: String,
}

impl CreateTenantRequest {
    /// The domain values of a validated request.
    pub fn parse(&self) -> Result<(TenantName, Slug), ApiError> {
        Ok((TenantName::parse(&self.name)?, Slug::parse(&self.slug)?))
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "01930000-0000-7000-8000-000000000001", "slug": "acme", "name": "Acme Corp", "status": "active", "created_at": "2026-11-22T12:00:00Z"}))]
pub struct TenantResponse {
    pub id: TenantId,
    pub slug: String,
    pub name: String,
    /// `active` or `suspended`
    pub status: TenantStatus,
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

/// Create a tenant; the caller becomes its owner.
///
/// The caller's current token is not widened: refresh with `tenant=<slug>` to act in it.
#[utoipa::path(post, path = "/api/v1/tenants", tag = "tenants", operation_id = "create_tenant",
    request_body = CreateTenantRequest,
    responses(
        (status = 201, description = "Created", body = TenantResponse),
        (status = 409, description = "The slug is taken", body = Problem),
        (status = 422, description = "Invalid name or slug", body = Problem),
    ))]
pub async fn create_tenant(
    state: web::Data<AppState>,
    caller: Caller,
    client: ClientInfo,
    body: Valid<CreateTenantRequest>,
) -> Result<HttpResponse, ApiError> {
    let (name, slug) = body.0.parse()?;
    let (id, owner) = (TenantId::new(), caller.user());
    let tx = TenantTx::begin(&state.db, id, Mode::ReadWrite).await?;
    let tenant = tenants::create_with_owner(&tx, &slug, &name, owner).await?;
    let details = json!({"slug": tenant.slug});
    work::record(
        &tx,
        owner.0,
        &client,
        Action::TenantCreated,
        Target::Tenant(id),
        details,
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(TenantResponse::from(tenant)))
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"name": "Acme Corporation"}))]
pub struct UpdateTenantRequest {
    #[schema(value_type = domain::TenantName)]
    #[validate(custom(function = "validate::tenant_name"))]
    pub name: String,
}

/// The tenant of the path (the token's).
///
/// Requires `tenant:read`; API keys may call it. The path's `tenant_id` must be the
/// credential's tenant (403 otherwise).
#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}", tag = "tenants", operation_id = "get_tenant",
    params(("tenant_id" = Uuid, Path)),
    responses(
        (status = 200, description = "The tenant", body = TenantResponse),
    ))]
pub async fn get_tenant(work: TenantWork) -> Result<HttpResponse, ApiError> {
    let tenant = tenants::find(&work.tx, work.tenant())
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(TenantResponse::from(tenant)))
}

/// Rename the tenant.
///
/// Requires `tenant:write`; API keys may call it. `name` is required and the slug never
/// changes. Returns the tenant; audited as `tenant.updated`.
#[utoipa::path(patch, path = "/api/v1/tenants/{tenant_id}", tag = "tenants", operation_id = "update_tenant",
    params(("tenant_id" = Uuid, Path)),
    request_body = UpdateTenantRequest,
    responses(
        (status = 200, description = "Updated", body = TenantResponse),
        (status = 422, description = "Invalid name", body = Problem),
    ))]
pub async fn update_tenant(
    work: TenantWork,
    body: Valid<UpdateTenantRequest>,
) -> Result<HttpResponse, ApiError> {
    let name = TenantName::parse(&body.name)?;
    let updated = tenants::rename(&work.tx, work.tenant(), &name).await?;
    let details = json!({"name": updated.name});
    work.audit(
        Action::TenantUpdated,
        Target::Tenant(work.tenant()),
        details,
    )
    .await?;
    work.commit().await?;
    Ok(HttpResponse::Ok().json(TenantResponse::from(updated)))
}
