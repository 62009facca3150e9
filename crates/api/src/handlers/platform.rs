use crate::error::{ApiError, Problem};
use crate::guards::Caller;
use crate::handlers::client::ClientInfo;
use crate::handlers::page::{Page, PageQuery};
use crate::handlers::tenants::TenantResponse;
use crate::paths::TenantPath;
use crate::state::AppState;
use crate::work;
use actix_web::{HttpResponse, web};
use auth::revocation::Affected;
use domain::{Action, Target};
use domain::{TenantId, TenantStatus};
use persistence::repo::tenants;
use persistence::{Mode, TenantTx, Tx};

/// Every tenant (platform operators).
///
/// Requires `platform:admin` in a user's token; API keys are not accepted. Lists every
/// tenant of the platform, suspended ones included, oldest first, with cursor pagination.
#[utoipa::path(get, path = "/api/v1/platform/tenants", tag = "platform", operation_id = "list_all_tenants",
    params(PageQuery),
    responses(
        (status = 200, description = "Tenants, oldest first", body = Page<TenantResponse>),
    ))]
pub async fn list_all_tenants(
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (limit, after) = (query.limit()?, query.after_id()?);
    let tx = Tx::global(&state.db, Mode::ReadOnly).await?;
    let rows = tenants::list(&tx, after, limit as i64 + 1).await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, limit, |t| t.id, TenantResponse::from)))
}

async fn set_status(
    state: &AppState,
    caller: &Caller,
    client: ClientInfo,
    tenant: TenantId,
    status: TenantStatus,
) -> Result<HttpResponse, ApiError> {
    let affected = [Affected::Tenant(tenant)];
    if status == TenantStatus::Suspended {
        // Written before the change commits, so no crash in between can lose it (SPEC §8).
        state.revocations.before_commit(&affected).await?;
    }
    let tx = TenantTx::begin(&state.db, tenant, Mode::ReadWrite).await?;
    let updated = tenants::set_status(&tx, tenant, status)
        .await?
        .ok_or(ApiError::NotFound)?;
    let action = match status {
        TenantStatus::Suspended => Action::TenantSuspended,
        TenantStatus::Active => Action::TenantActivated,
    };
    let target = Target::Tenant(tenant);
    work::record(
        &tx,
        caller.user().0,
        &client,
        action,
        target,
        serde_json::Value::Null,
    )
    .await?;
    tx.commit().await?;
    if status == TenantStatus::Suspended {
        // Every token for the tenant stops at its next request.
        state.revocations.mark(&affected).await?;
    }
    Ok(HttpResponse::Ok().json(TenantResponse::from(updated)))
}

/// Suspend a tenant.
///
/// Requires `platform:admin` in a user's token; API keys are not accepted. Every access
/// token and API key of the tenant stops at its next request, and its members get no new
/// token for it until it is reactivated. Suspending a suspended tenant is answered the same
/// way; an unknown id is 404. Audited as `tenant.suspended` in the tenant's log.
#[utoipa::path(post, path = "/api/v1/platform/tenants/{tenant_id}/suspend", tag = "platform", operation_id = "suspend_tenant",
    params(("tenant_id" = Uuid, Path)),
    responses((status = 200, description = "Suspended", body = TenantResponse), (status = 404, description = "No such tenant", body = Problem)))]
pub async fn suspend_tenant(
    state: web::Data<AppState>,
    caller: Caller,
    client: ClientInfo,
    path: web::Path<TenantPath>,
) -> Result<HttpResponse, ApiError> {
    set_status(
        &state,
        &caller,
        client,
        path.tenant_id,
        TenantStatus::Suspended,
    )
    .await
}

/// Reactivate a suspended tenant.
///
/// Requires `platform:admin` in a user's token; API keys are not accepted. Members can get
/// tokens for the tenant again, and its API keys work again once each instance's API key
/// cache has expired (30 s by default); access tokens stopped by the suspension stay
/// stopped. Activating an active tenant is answered the same way; an unknown id is 404.
/// Audited as `tenant.activated` in the tenant's log.
#[utoipa::path(post, path = "/api/v1/platform/tenants/{tenant_id}/activate", tag = "platform", operation_id = "activate_tenant",
    params(("tenant_id" = Uuid, Path)),
    responses((status = 200, description = "Active", body = TenantResponse), (status = 404, description = "No such tenant", body = Problem)))]
pub async fn activate_tenant(
    state: web::Data<AppState>,
    caller: Caller,
    client: ClientInfo,
    path: web::Path<TenantPath>,
) -> Result<HttpResponse, ApiError> {
    set_status(
        &state,
        &caller,
        client,
        path.tenant_id,
        TenantStatus::Active,
    )
    .await
}
