use crate::state::AppState;
use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpResponse, web};
use domain::Scope;
use serde::Serialize;
use utoipa::ToSchema;

/// The public keys that verify access tokens (RFC 7517).
///
/// Public; cacheable for 5 minutes. Each key's `kid` matches the `kid` header of the tokens
/// it verifies. With HS256 keys only, the set is empty: a shared secret is never published.
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "discovery", operation_id = "get_jwks",
    responses((status = 200, description = "JWK Set", content_type = "application/json",
        example = json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "kid": "2026-11", "alg": "EdDSA", "use": "sig"}]}))))]
pub async fn get_jwks(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, "public, max-age=300"))
        .json(state.keys.jwks())
}

/// RFC 8414 authorization server metadata.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorizationServerMetadata {
    pub issuer: String,
    pub token_endpoint: String,
    pub revocation_endpoint: String,
    pub jwks_uri: String,
    pub grant_types_supported: Vec<&'static str>,
    /// No authorization endpoint: no response types.
    pub response_types_supported: Vec<&'static str>,
    pub token_endpoint_auth_methods_supported: Vec<&'static str>,
    pub revocation_endpoint_auth_methods_supported: Vec<&'static str>,
    pub scopes_supported: Vec<&'static str>,
    pub service_documentation: String,
}

/// OAuth 2.0 authorization server metadata (RFC 8414).
///
/// Public; cacheable for 5 minutes. Names the token, revocation and JWKS endpoints under
/// this deployment's issuer URL, the supported grants (`password`, `refresh_token`) and
/// every scope of the catalog; clients authenticate with no secret (`none`).
#[utoipa::path(get, path = "/.well-known/oauth-authorization-server", tag = "discovery",
    operation_id = "get_authorization_server_metadata",
    responses((status = 200, description = "Metadata", body = AuthorizationServerMetadata)))]
pub async fn get_authorization_server_metadata(state: web::Data<AppState>) -> HttpResponse {
    let issuer = state.config.issuer();
    HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, "public, max-age=300"))
        .json(AuthorizationServerMetadata {
            token_endpoint: format!("{issuer}/oauth/token"),
            revocation_endpoint: format!("{issuer}/oauth/revoke"),
            jwks_uri: format!("{issuer}/.well-known/jwks.json"),
            grant_types_supported: vec!["password", "refresh_token"],
            response_types_supported: vec![],
            token_endpoint_auth_methods_supported: vec!["none"],
            revocation_endpoint_auth_methods_supported: vec!["none"],
            scopes_supported: Scope::ALL.iter().map(|s| s.as_str()).collect(),
            service_documentation: format!("{issuer}/docs/"),
            issuer,
        })
}
