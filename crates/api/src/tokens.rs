//! Issuing token pairs: the one place access tokens are signed and sessions started.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::HttpResponse;
use actix_web::http::header;
use auth::sessions::{NewSession, SessionStore};
use auth::token::AccessClaims;
use domain::{ScopeSet, SessionId, TenantId, UserId};
use persistence::models::User;
use persistence::repo::memberships::Grant;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// RFC 6749 §5.1 successful token response.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "access_token": "eyJhbGciOiJIUzI1NiIsImtpZCI6ImhzMjU2LTFhMmIzYyIsInR5cCI6ImF0K2p3dCJ9.eyJpc3MiOiIuLi4ifQ.c2ln",
    "token_type": "Bearer",
    "expires_in": 900,
    "refresh_token": "AZNgW2V1dGhvcml6YXRpb24tc2Vzc2lvbi1pZC1hbmQtMjU2LXJhbmRvbS1iaXRz",
    "scope": "tenant:read members:read projects:read"
}))]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    pub refresh_token: String,
    /// The scopes granted, space-delimited.
    pub scope: String,
}

/// What a user may be granted in a tenant (or, tenant-less, on the platform).
pub fn available_scopes(user: &User, grant: Option<&Grant>) -> ScopeSet {
    let granted = grant.map_or(ScopeSet::EMPTY, crate::facts::grant_permissions);
    domain::policy::available_scopes(granted, user.is_platform_admin)
}

/// When a token is issued, fixed BEFORE the grants it will carry are read (SPEC §8): the
/// revocation lists compare a "not before" mark with this instant (the UUIDv7 `jti`'s
/// milliseconds), so a role change landing between the read and the signing still
/// refuses the token, instead of leaving old scopes valid for a whole access TTL.
#[derive(Debug, Clone, Copy)]
pub struct IssueTime {
    jti: Uuid,
    unix_secs: i64,
}

impl IssueTime {
    pub fn now() -> Self {
        let jti = Uuid::now_v7();
        let unix_secs = jti
            .get_timestamp()
            .map(|ts| ts.to_unix().0 as i64)
            .unwrap_or_else(|| chrono::Utc::now().timestamp());
        Self { jti, unix_secs }
    }
}

/// What an access token grants: who, in which tenant, with which scopes, for which session.
#[derive(Debug, Clone, Copy)]
pub struct TokenGrant {
    pub user: UserId,
    pub tenant: Option<TenantId>,
    pub scopes: ScopeSet,
    pub sid: SessionId,
}

pub fn sign_access_token(
    state: &AppState,
    issued: IssueTime,
    grant: TokenGrant,
) -> Result<String, ApiError> {
    let now = issued.unix_secs;
    let claims = AccessClaims {
        iss: state.config.issuer(),
        aud: state.config.audience.clone(),
        sub: grant.user,
        tid: grant.tenant,
        scope: grant.scopes.to_string(),
        sid: grant.sid,
        jti: issued.jti,
        iat: now,
        nbf: now,
        exp: now + state.config.access_ttl.as_secs() as i64,
    };
    state
        .keys
        .sign(&claims)
        .map_err(|e| ApiError::Internal(e.into()))
}

/// The serialized response of a new pair for the grant's session.
pub fn pair_json(
    state: &AppState,
    issued: IssueTime,
    grant: TokenGrant,
    refresh_token: String,
) -> Result<Vec<u8>, ApiError> {
    let response = TokenResponse {
        access_token: sign_access_token(state, issued, grant)?,
        token_type: "Bearer",
        expires_in: state.config.access_ttl.as_secs(),
        refresh_token,
        scope: grant.scopes.to_string(),
    };
    serde_json::to_vec(&response).map_err(|e| ApiError::Internal(e.into()))
}

/// Starts a session and returns it with its first pair.
pub async fn start_session(
    state: &AppState,
    issued: IssueTime,
    session: NewSession,
    scopes: ScopeSet,
) -> Result<(SessionId, Vec<u8>), ApiError> {
    let sid = SessionId::new();
    let refresh_token = SessionStore::new_refresh_token(sid);
    state.sessions.create(sid, &session, &refresh_token).await?;
    let grant = TokenGrant {
        user: session.user,
        tenant: session.tenant,
        scopes,
        sid,
    };
    Ok((sid, pair_json(state, issued, grant, refresh_token)?))
}

/// A response carrying tokens: never cached (RFC 6749 §5.1).
pub fn token_http_response(body: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .content_type("application/json")
        .body(body)
}
