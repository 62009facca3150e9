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
        .json(state.jwks())
}

/// RFC 8414 authorization server metadata; with OpenID Connect available, also the OIDC
/// Discovery 1.0 §3 fields.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorizationServerMetadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub revocation_endpoint: String,
    pub jwks_uri: String,
    /// With OpenID Connect only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub userinfo_endpoint: Option<String>,
    /// With OpenID Connect only (RP-Initiated Logout).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub end_session_endpoint: Option<String>,
    pub grant_types_supported: Vec<&'static str>,
    pub response_types_supported: Vec<&'static str>,
    pub response_modes_supported: Vec<&'static str>,
    pub code_challenge_methods_supported: Vec<&'static str>,
    pub token_endpoint_auth_methods_supported: Vec<&'static str>,
    pub revocation_endpoint_auth_methods_supported: Vec<&'static str>,
    /// The OIDC scopes (`openid`, `email`, `profile`) and every permission of the catalog.
    pub scopes_supported: Vec<&'static str>,
    /// RFC 9207: every authorization response carries `iss`.
    pub authorization_response_iss_parameter_supported: bool,
    /// With OpenID Connect only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub subject_types_supported: Option<Vec<&'static str>>,
    /// With OpenID Connect only: `RS256`, or `EdDSA` when the key directory has no RSA key.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub id_token_signing_alg_values_supported: Option<Vec<String>>,
    /// With OpenID Connect only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub claims_supported: Option<Vec<&'static str>>,
    pub service_documentation: String,
}

/// The metadata of this deployment (RFC 8414 §2, OIDC Discovery §3).
pub fn metadata(state: &AppState) -> AuthorizationServerMetadata {
    let issuer = state.config.issuer();
    let oidc = state.id_tokens.as_ref();
    let mut grant_types = vec!["authorization_code", "refresh_token"];
    if state.config.password_grant {
        grant_types.push("password");
    }
    let mut scopes = vec!["openid", "email", "profile"];
    if oidc.is_none() {
        scopes.clear();
    }
    scopes.extend(Scope::ALL.iter().map(|s| s.as_str()));
    AuthorizationServerMetadata {
        authorization_endpoint: format!("{issuer}/oauth/authorize"),
        token_endpoint: format!("{issuer}/oauth/token"),
        revocation_endpoint: format!("{issuer}/oauth/revoke"),
        jwks_uri: format!("{issuer}/.well-known/jwks.json"),
        userinfo_endpoint: oidc.map(|_| format!("{issuer}/oauth/userinfo")),
        end_session_endpoint: oidc.map(|_| format!("{issuer}/oauth/logout")),
        grant_types_supported: grant_types,
        response_types_supported: vec!["code"],
        response_modes_supported: vec!["query"],
        code_challenge_methods_supported: vec!["S256"],
        token_endpoint_auth_methods_supported: vec![
            "none",
            "client_secret_basic",
            "client_secret_post",
        ],
        revocation_endpoint_auth_methods_supported: vec!["none"],
        scopes_supported: scopes,
        authorization_response_iss_parameter_supported: true,
        subject_types_supported: oidc.map(|_| vec!["public"]),
        id_token_signing_alg_values_supported: oidc
            .map(|keys| vec![format!("{:?}", keys.algorithm())]),
        claims_supported: oidc.map(|_| {
            vec![
                "iss",
                "sub",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "nonce",
                "amr",
                "sid",
                "email",
                "email_verified",
                "name",
            ]
        }),
        service_documentation: format!("{issuer}/docs/"),
        issuer,
    }
}

/// OAuth 2.0 authorization server metadata (RFC 8414).
///
/// Public; cacheable for 5 minutes. Names the authorization, token, revocation and JWKS
/// endpoints under this deployment's issuer URL, the supported grants and PKCE method,
/// how clients authenticate, and every scope: the OIDC scopes beside the catalog.
#[utoipa::path(get, path = "/.well-known/oauth-authorization-server", tag = "discovery",
    operation_id = "get_authorization_server_metadata",
    responses((status = 200, description = "Metadata", body = AuthorizationServerMetadata)))]
pub async fn get_authorization_server_metadata(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, "public, max-age=300"))
        .json(metadata(&state))
}
