use crate::error::{ApiError, Problem, Validator};
use crate::guards::TenantContext;
use crate::handlers::client::ClientInfo;
use crate::handlers::page::{Page, PageQuery};
use crate::handlers::roles::check_escalation;
use crate::handlers::trail;
use crate::state::AppState;
use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use domain::{ScopeSet, ValidationError};
use persistence::models::{ApiKey, NewApiKey};
use persistence::repo::{api_keys, audit};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "01930000-0000-7000-8000-0000000000e1", "name": "ci", "prefix": "gk_a1b2c3d4", "scopes": ["projects:read"], "created_by": "01930000-0000-7000-8000-000000000002", "expires_at": null, "last_used_at": null, "revoked_at": null, "created_at": "2026-11-22T12:00:00Z"}))]
pub struct ApiKeyResponse {
    pub id: Uuid,
    pub name: String,
    /// `gk_<key_id>`: identifies the key; the secret is never shown again.
    pub prefix: String,
    pub scopes: Vec<String>,
    pub created_by: Option<Uuid>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<ApiKey> for ApiKeyResponse {
    fn from(k: ApiKey) -> Self {
        Self {
            id: k.id,
            name: k.name,
            prefix: format!("gk_{}", k.key_id),
            scopes: k.scopes,
            created_by: k.created_by,
            expires_at: k.expires_at,
            last_used_at: k.last_used_at,
            revoked_at: k.revoked_at,
            created_at: k.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub api_key: ApiKeyResponse,
    /// The key, `gk_<key_id>_<secret>`: send it as `X-API-Key`. Shown once, never again.
    pub key: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"name": "ci", "scopes": ["projects:read"], "expires_at": "2027-01-01T00:00:00Z"}))]
pub struct CreateApiKeyRequest {
    pub name: String,
    /// A subset of the caller's own scopes.
    pub scopes: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

fn key_name(raw: &str) -> Result<String, ValidationError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ValidationError::new("name", "must be 1-100 characters"));
    }
    Ok(name.to_owned())
}

/// The tenant's API keys (never their secrets).
#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/api-keys", tag = "api-keys", operation_id = "list_api_keys",
    params(("tenant_id" = Uuid, Path), PageQuery),
    responses((status = 200, description = "API keys", body = inline(Page<ApiKeyResponse>))))]
pub async fn list_api_keys(
    state: web::Data<AppState>,
    ctx: TenantContext,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (limit, after) = (query.limit()?, query.after_id()?);
    let tenant = ctx.tenant;
    let rows = persistence::in_tenant(&state.db, tenant, move |conn| {
        Box::pin(api_keys::list(conn, tenant, after, limit as i64 + 1))
    })
    .await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, limit, |k| k.id, ApiKeyResponse::from)))
}

/// Create an API key; the key itself is in the response, once.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant_id}/api-keys", tag = "api-keys", operation_id = "create_api_key",
    params(("tenant_id" = Uuid, Path)),
    request_body = CreateApiKeyRequest,
    responses(
        (status = 201, description = "Created (`Cache-Control: no-store`); `key` is shown only here", body = CreatedApiKey),
        (status = 403, description = "Scopes the caller does not hold", body = Problem),
        (status = 422, description = "Invalid name, unknown scope, or expiry in the past", body = Problem),
    ))]
pub async fn create_api_key(
    state: web::Data<AppState>,
    ctx: TenantContext,
    client: ClientInfo,
    body: web::Json<CreateApiKeyRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Validator::default();
    let name = v.check(key_name(&body.name));
    let scopes = v.check(
        ScopeSet::parse_names(&body.scopes)
            .map_err(|e| ValidationError::new("scopes", e.to_string()))
            .and_then(|s| {
                if s.is_subset_of(ScopeSet::all_tenant()) {
                    Ok(s)
                } else {
                    Err(ValidationError::new(
                        "scopes",
                        "platform:admin is not a tenant scope",
                    ))
                }
            }),
    );
    if body.expires_at.is_some_and(|at| at <= Utc::now()) {
        v.check::<()>(Err(ValidationError::new(
            "expires_at",
            "must be in the future",
        )));
    }
    v.finish()?;
    let (Some(name), Some(scopes)) = (name, scopes) else {
        return Err(ApiError::Internal("validated input missing".into()));
    };
    // A key never mints keys: a leaked key could otherwise outlive its own revocation
    // through keys it made (SPEC §8).
    if ctx.principal.api_key.is_some() {
        return Err(ApiError::Forbidden(
            "API keys cannot create API keys; use a user's token".into(),
        ));
    }
    check_escalation(&ctx, scopes)?;
    let generated = state.api_keys.generate();
    let tenant = ctx.tenant;
    let expires_at = body.expires_at;
    let (key_id, secret_hash) = (generated.key_id.clone(), generated.secret_hash.clone());
    let created = persistence::in_tenant(&state.db, tenant, move |conn| {
        Box::pin(async move {
            let key = api_keys::insert(
                conn,
                NewApiKey {
                    id: Uuid::now_v7(),
                    tenant_id: tenant.0,
                    key_id: &key_id,
                    name: &name,
                    secret_hash: &secret_hash,
                    scopes: scopes.names(),
                    created_by: ctx.created_by(),
                    expires_at,
                },
            )
            .await?;
            audit::record(
                conn,
                tenant,
                trail::by(
                    &ctx,
                    &client,
                    "api_key.created",
                    format!("api_key:{}", key.id),
                    serde_json::json!({"scopes": key.scopes}),
                ),
            )
            .await?;
            Ok(key)
        })
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((CACHE_CONTROL, "no-store"))
        .json(CreatedApiKey {
            api_key: created.into(),
            key: generated.full,
        }))
}

/// Revoke an API key: refused at once, on every instance.
#[utoipa::path(delete, path = "/api/v1/tenants/{tenant_id}/api-keys/{key_id}", tag = "api-keys", operation_id = "revoke_api_key",
    params(("tenant_id" = Uuid, Path), ("key_id" = Uuid, Path, description = "The key's `id`")),
    responses((status = 204, description = "Revoked"), (status = 404, description = "No live key with this id in this tenant", body = Problem)))]
pub async fn revoke_api_key(
    state: web::Data<AppState>,
    ctx: TenantContext,
    client: ClientInfo,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let tenant = ctx.tenant;
    let revoked = persistence::in_tenant(&state.db, tenant, move |conn| {
        Box::pin(async move {
            let revoked = api_keys::revoke(conn, tenant, id).await?;
            if revoked.is_some() {
                audit::record(
                    conn,
                    tenant,
                    trail::by(
                        &ctx,
                        &client,
                        "api_key.revoked",
                        format!("api_key:{id}"),
                        serde_json::Value::Null,
                    ),
                )
                .await?;
            }
            Ok(revoked)
        })
    })
    .await?
    .ok_or(ApiError::NotFound)?;
    state.api_keys.revoked(&revoked).await?;
    Ok(HttpResponse::NoContent().finish())
}
