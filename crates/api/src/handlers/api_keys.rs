use crate::error::{ApiError, Problem};
use crate::handlers::page::{Page, PageQuery};
use crate::paths::ApiKeyPath;
use crate::problems::ProblemKind;
use crate::state::AppState;
use crate::validate::{self, Valid};
use crate::work::TenantWork;
use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use domain::{Action, ApiKeyId, ApiKeyName, Target, UserId, policy};
use persistence::models::ApiKey;
use persistence::repo::api_keys::{self, KeySpec};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use validator::Validate;

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "01930000-0000-7000-8000-0000000000e1", "name": "ci", "prefix": "gk_a1b2c3d4", "scopes": ["projects:read"], "created_by": "01930000-0000-7000-8000-000000000002", "expires_at": null, "last_used_at": null, "revoked_at": null, "created_at": "2026-11-22T12:00:00Z"}))]
pub struct ApiKeyResponse {
    pub id: ApiKeyId,
    pub name: String,
    /// `gk_<key_id>`: identifies the key; the secret is never shown again.
    pub prefix: String,
    #[schema(value_type = Vec<domain::Scope>)]
    pub scopes: Vec<String>,
    pub created_by: Option<UserId>,
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
            scopes: k.scopes.names(),
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

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"name": "ci", "scopes": ["projects:read"], "expires_at": "2030-01-01T00:00:00Z"}))]
pub struct CreateApiKeyRequest {
    #[schema(value_type = domain::ApiKeyName)]
    #[validate(custom(function = "validate::api_key_name"))]
    pub name: String,
    /// A subset of the caller's own scopes.
    #[validate(custom(function = "validate::tenant_scopes"))]
    #[schema(value_type = Vec<domain::TenantScope>)]
    pub scopes: Vec<String>,
    #[validate(custom(function = "validate::in_the_future"))]
    #[serde(default, deserialize_with = "crate::validate::not_null")]
    pub expires_at: Option<DateTime<Utc>>,
}

/// The tenant's API keys (never their secrets).
///
/// Requires `api-keys:read`; API keys may call it. Lists every key of the tenant, revoked
/// and expired ones included, oldest first, with cursor pagination.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/api-keys", tag = "api-keys", operation_id = "list_api_keys",
    params(("tenant_id" = Uuid, Path), PageQuery),
    responses((status = 200, description = "API keys", body = Page<ApiKeyResponse>)))]
pub async fn list_api_keys(
    work: TenantWork,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (limit, after) = (query.limit()?, query.after_id()?);
    let rows = api_keys::list(&work.tx, after, limit as i64 + 1).await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, limit, |k| k.id, ApiKeyResponse::from)))
}

/// Create an API key; the key itself is in the response, once.
///
/// Requires `api-keys:write` and a user's access token: an API key cannot create API keys
/// (403). `scopes` must be scopes the caller's token holds (403 otherwise); the key then
/// acts with those scopes cut down to its creator's current ones. The full `key` is
/// returned only in this response (`Cache-Control: no-store`); audited as
/// `api_key.created`.
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
    work: TenantWork,
    body: Valid<CreateApiKeyRequest>,
) -> Result<HttpResponse, ApiError> {
    let name = ApiKeyName::parse(&body.name)?;
    let scopes = validate::parse_tenant_scopes(&body.scopes, "scopes")?;
    // A key never mints keys: a leaked key could otherwise outlive its own revocation
    // through keys it made (SPEC §8).
    let Some(creator) = work.caller.own_user() else {
        let message = "API keys cannot create API keys; use a user's token";
        return Err(ApiError::Refused(
            ProblemKind::KeyCannotMintKeys,
            message.into(),
        ));
    };
    policy::grant(work.scopes(), scopes)?;
    let generated = state.api_keys.generate();
    let spec = KeySpec {
        key_id: &generated.key_id,
        secret_hash: &generated.secret_hash,
        name: &name,
        scopes,
        created_by: creator,
        expires_at: body.expires_at,
    };
    let key = api_keys::insert(&work.tx, spec).await?;
    let details = json!({"scopes": key.scopes.names()});
    work.audit(Action::ApiKeyCreated, Target::ApiKey(key.id), details)
        .await?;
    work.commit().await?;
    let created = CreatedApiKey {
        api_key: key.into(),
        key: generated.full,
    };
    Ok(HttpResponse::Created()
        .insert_header((CACHE_CONTROL, "no-store"))
        .json(created))
}

/// Revoke an API key: refused at once, on every instance.
///
/// Requires `api-keys:write`; API keys may call it. The key stays in the list with
/// `revoked_at` set. An unknown id, another tenant's key or a key already revoked is 404;
/// audited as `api_key.revoked`.
#[utoipa::path(delete, path = "/api/v1/tenants/{tenant_id}/api-keys/{key_id}", tag = "api-keys", operation_id = "revoke_api_key",
    params(("tenant_id" = Uuid, Path), ("key_id" = Uuid, Path, description = "The key's `id`")),
    responses((status = 204, description = "Revoked"), (status = 404, description = "No live key with this id in this tenant", body = Problem)))]
pub async fn revoke_api_key(
    state: web::Data<AppState>,
    work: TenantWork,
    path: web::Path<ApiKeyPath>,
) -> Result<HttpResponse, ApiError> {
    let key = api_keys::revoke(&work.tx, path.key_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    work.audit(
        Action::ApiKeyRevoked,
        Target::ApiKey(path.key_id),
        Value::Null,
    )
    .await?;
    work.commit().await?;
    state.api_keys.revoked(&key).await?;
    Ok(HttpResponse::NoContent().finish())
}
