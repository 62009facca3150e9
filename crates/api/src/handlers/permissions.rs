use crate::error::Problem;
use actix_web::HttpResponse;
use domain::Scope;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"scope": "tenant:read", "description": "Read the tenant"}))]
pub struct PermissionResponse {
    pub scope: &'static str,
    pub description: &'static str,
}

/// The permission catalog: every scope, with what it allows.
#[utoipa::path(get, path = "/api/v1/permissions", tag = "permissions", operation_id = "list_permissions",
    responses(
        (status = 200, description = "The catalog", body = [PermissionResponse]),
        (status = 401, description = "No valid token", body = Problem),
    ))]
pub async fn list_permissions() -> HttpResponse {
    let catalog: Vec<PermissionResponse> = Scope::ALL
        .iter()
        .map(|s| PermissionResponse {
            scope: s.as_str(),
            description: s.description(),
        })
        .collect();
    HttpResponse::Ok().json(catalog)
}
