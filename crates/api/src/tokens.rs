//! Issuing token pairs: the one place access tokens are signed and sessions started.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::HttpResponse;
use actix_web::http::header;
use auth::sessions::{NewSession, SessionStore};
use auth::token::AccessClaims;
use domain::authorize::OidcScopes;
use domain::{Authentication, ScopeSet, SessionId, TenantId, UserId};
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
    /// Absent for a client whose refresh token travels in the `gh_refresh` cookie
    /// (`refresh_delivery=cookie`, SPEC §11).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub refresh_token: Option<String>,
    /// The scopes granted, space-delimited: permissions, then OIDC scopes.
    pub scope: String,
    /// An OpenID Connect ID token, when `openid` was requested in the code flow.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub id_token: Option<String>,
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

    /// Unix seconds (`iat`; `auth_time` when the user authenticated just now).
    pub fn unix_secs(&self) -> i64 {
        self.unix_secs
    }
}

/// What an access token grants: who, in which tenant, with which scopes, for which session,
/// authenticated how.
#[derive(Debug, Clone, Copy)]
pub struct TokenGrant {
    pub user: UserId,
    pub tenant: Option<TenantId>,
    pub scopes: ScopeSet,
    /// Carried in `scope` beside the permissions (SPEC §11).
    pub oidc: OidcScopes,
    pub sid: SessionId,
    pub auth: Authentication,
}

impl TokenGrant {
    /// The `scope` of the token and of the token response.
    pub fn scope(&self) -> String {
        self.oidc.with_permissions(self.scopes)
    }
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
        scope: grant.scope(),
        sid: grant.sid,
        jti: issued.jti,
        iat: now,
        nbf: now,
        exp: now + state.config.access_ttl.as_secs() as i64,
        auth_time: grant.auth.time,
        amr: grant.auth.methods.claim(),
    };
    state
        .keys
        .sign(&claims)
        .map_err(|e| ApiError::Internal(e.into()))
}

/// The response of a new pair for the grant's session.
pub fn new_pair(
    state: &AppState,
    issued: IssueTime,
    grant: TokenGrant,
    refresh_token: String,
) -> Result<TokenResponse, ApiError> {
    Ok(TokenResponse {
        access_token: sign_access_token(state, issued, grant)?,
        token_type: "Bearer",
        expires_in: state.config.access_ttl.as_secs(),
        refresh_token: Some(refresh_token),
        scope: grant.scope(),
        id_token: None,
    })
}

/// [`new_pair`], serialized.
pub fn pair_json(
    state: &AppState,
    issued: IssueTime,
    grant: TokenGrant,
    refresh_token: String,
) -> Result<Vec<u8>, ApiError> {
    to_json(&new_pair(state, issued, grant, refresh_token)?)
}

pub fn to_json(response: &TokenResponse) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(response).map_err(|e| ApiError::Internal(e.into()))
}

/// Starts a session and returns it with its first pair.
pub async fn start_session(
    state: &AppState,
    issued: IssueTime,
    session: NewSession,
    scopes: ScopeSet,
    oidc: OidcScopes,
) -> Result<(SessionId, TokenResponse), ApiError> {
    let sid = SessionId::new();
    let refresh_token = SessionStore::new_refresh_token(sid);
    state.sessions.create(sid, &session, &refresh_token).await?;
    let grant = TokenGrant {
        user: session.user,
        tenant: session.tenant,
        scopes,
        oidc,
        sid,
        auth: session.auth,
    };
    Ok((sid, new_pair(state, issued, grant, refresh_token)?))
}

/// A token response for a client: the refresh token in the body, or, for a
/// `refresh_delivery=cookie` client, taken out of the body into the `gh_refresh` cookie
/// (SPEC §11: never where JavaScript can read it).
pub fn deliver(state: &AppState, body: Vec<u8>, cookie: bool) -> Result<HttpResponse, ApiError> {
    if !cookie {
        return Ok(token_http_response(body));
    }
    let internal = |e: serde_json::Error| ApiError::Internal(e.into());
    let mut value: serde_json::Value = serde_json::from_slice(&body).map_err(internal)?;
    let token = value
        .as_object_mut()
        .and_then(|fields| fields.remove("refresh_token"))
        .and_then(|token| token.as_str().map(str::to_owned));
    let mut response = token_http_response(serde_json::to_vec(&value).map_err(internal)?);
    if let Some(token) = token {
        let cookie = crate::signin::cookies::Cookies::new(&state.config).refresh(token);
        response
            .add_cookie(&cookie)
            .map_err(|e| ApiError::Internal(e.into()))?;
    }
    Ok(response)
}

/// A response carrying tokens: never cached (RFC 6749 §5.1).
pub fn token_http_response(body: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .content_type("application/json")
        .body(body)
}
