use actix_web::HttpResponse;
use actix_web::http::header::ContentType;
use actix_web::web::Bytes;
use domain::Scope;
use serde::Serialize;
use std::sync::LazyLock;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"scope": "tenant:read", "description": "Read the tenant"}))]
pub struct PermissionResponse {
    pub scope: &'static str,
    pub description: &'static str,
}

/// The permission catalog: every scope, with what it allows.
///
/// Requires a user's access token (any tenant, any scopes); API keys are not accepted. The
/// catalog is fixed (it includes `platform:admin`) and is a plain array, not a page.
#[utoipa::path(get, path = "/api/v1/permissions", tag = "permissions", operation_id = "list_permissions",
    responses(
        (status = 200, description = "The catalog", body = [PermissionResponse]),
    ))]
pub async fn list_permissions() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(CATALOG.clone())
}

/// The catalog is fixed at compile time: serialized once, shared by every response.
static CATALOG: LazyLock<Bytes> = LazyLock::new(|| {
    let catalog: Vec<PermissionResponse> = Scope::ALL
        .iter()
        .map(|s| PermissionResponse {
            scope: s.as_str(),
            description: s.description(),
        })
        .collect();
    Bytes::from(serde_json::to_vec(&catalog).unwrap_or_default())
});
