use crate::error::{ApiError, Problem};
use crate::guards::Principal;
use crate::handlers::client::ClientInfo;
use crate::handlers::page::{Page, PageQuery};
use crate::handlers::tenants::TenantResponse;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use auth::revocation::Affected;
use domain::{TenantId, TenantStatus};
use persistence::repo::audit::{self, AuditRecord};
use persistence::repo::tenants;
use uuid::Uuid;

/// Every tenant (platform operators).
#[utoipa::path(get, path = "/api/v1/platform/tenants", tag = "platform", operation_id = "list_all_tenants",
    params(PageQuery),
    responses(
        (status = 200, description = "Tenants, oldest first", body = inline(Page<TenantResponse>)),
        (status = 403, description = "Missing `platform:admin`", body = Problem),
    ))]
pub async fn list_all_tenants(
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (limit, after) = (query.limit()?, query.after_id()?);
    let rows = persistence::global(&state.db, move |conn| {
        Box::pin(tenants::list(conn, after, limit as i64 + 1))
    })
    .await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, limit, |t| t.id, TenantResponse::from)))
}

async fn set_status(
    state: &AppState,
    principal: &Principal,
    client: ClientInfo,
    id: Uuid,
    status: TenantStatus,
) -> Result<HttpResponse, ApiError> {
    let tenant = TenantId(id);
    let actor = principal.user;
    let affected = [Affected::Tenant(tenant)];
    if status == TenantStatus::Suspended {
        // Written before the change commits, so no crash in between can lose it (SPEC §8).
        state.revocations.before_commit(&affected).await?;
    }
    let updated = persistence::in_tenant(&state.db, tenant, move |conn| {
        Box::pin(async move {
            let Some(updated) = tenants::set_status(conn, tenant, status).await? else {
                return Ok(None);
            };
            let action = if status == TenantStatus::Suspended {
                "tenant.suspended"
            } else {
                "tenant.activated"
            };
            audit::record(
                conn,
                tenant,
                AuditRecord {
                    actor_id: Some(actor.0),
                    action,
                    target: Some(format!("tenant:{tenant}")),
                    ip: client.ip_string(),
                    user_agent: client.user_agent,
                    details: serde_json::Value::Null,
                },
            )
            .await?;
            Ok(Some(updated))
        })
    })
    .await?
    .ok_or(ApiError::NotFound)?;
    if status == TenantStatus::Suspended {
        // Every token for the tenant stops at its next request.
        state.revocations.mark(&affected).await?;
    }
    Ok(HttpResponse::Ok().json(TenantResponse::from(updated)))
}

/// Suspend a tenant: its tokens and API keys stop at once and its members cannot log in to it.
#[utoipa::path(post, path = "/api/v1/platform/tenants/{tenant_id}/suspend", tag = "platform", operation_id = "suspend_tenant",
    params(("tenant_id" = Uuid, Path)),
    responses((status = 200, description = "Suspended", body = TenantResponse), (status = 404, description = "No such tenant", body = Problem)))]
pub async fn suspend_tenant(
    state: web::Data<AppState>,
    principal: Principal,
    client: ClientInfo,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    set_status(
        &state,
        &principal,
        client,
        path.into_inner(),
        TenantStatus::Suspended,
    )
    .await
}

/// Reactivate a suspended tenant.
#[utoipa::path(post, path = "/api/v1/platform/tenants/{tenant_id}/activate", tag = "platform", operation_id = "activate_tenant",
    params(("tenant_id" = Uuid, Path)),
    responses((status = 200, description = "Active", body = TenantResponse), (status = 404, description = "No such tenant", body = Problem)))]
pub async fn activate_tenant(
    state: web::Data<AppState>,
    principal: Principal,
    client: ClientInfo,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    set_status(
        &state,
        &principal,
        client,
        path.into_inner(),
        TenantStatus::Active,
    )
    .await
}
