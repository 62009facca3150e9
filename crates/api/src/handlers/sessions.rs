use crate::error::{ApiError, Problem};
use crate::guards::Caller;
use crate::handlers::client::ClientInfo;
use crate::handlers::page::{Page, PageQuery, paginate};
use crate::paths::SessionPath;
use crate::state::AppState;
use crate::work;
use actix_web::{HttpResponse, web};
use auth::revocation::Affected;
use auth::sessions::SessionKind;
use chrono::{DateTime, TimeZone, Utc};
use domain::{Action, Target};
use domain::{SessionId, TenantId};
use persistence::{Mode, TenantTx};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// What a session is.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SessionKindResponse {
    /// A refresh-token family (a login through the token endpoint).
    Tokens,
    /// A browser's sign-in at the hosted login page: revoking it signs that browser out.
    SignIn,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionResponse {
    pub id: Uuid,
    pub kind: SessionKindResponse,
    /// The OAuth client the session was issued to (authorization code flow).
    pub client_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub tenant_id: Option<Uuid>,
    /// The session of the token making this request.
    pub current: bool,
}

fn at(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// The caller's live sessions, newest first.
///
/// Requires a user's access token (any tenant, any scopes); API keys are not accepted.
/// Lists all the user's sessions, whatever their tenant, newest first, with cursor
/// pagination; `current` marks the session of the calling token.
#[utoipa::path(get, path = "/api/v1/me/sessions", tag = "sessions", operation_id = "list_my_sessions",
    params(PageQuery),
    responses(
        (status = 200, description = "Sessions", body = Page<SessionResponse>),
    ))]
pub async fn list_my_sessions(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let items: Vec<SessionResponse> = state
        .sessions
        .list(caller.user())
        .await?
        .into_iter()
        .map(|s| SessionResponse {
            id: s.id.0,
            kind: match s.kind {
                SessionKind::Tokens => SessionKindResponse::Tokens,
                SessionKind::SignIn => SessionKindResponse::SignIn,
            },
            client_id: s.client_id,
            created_at: at(s.created_at_ms),
            last_used_at: at(s.last_used_at_ms),
            ip: s.ip,
            user_agent: s.user_agent,
            tenant_id: s.tenant.map(|t| t.0),
            current: caller.session().ok() == Some(s.id),
        })
        .collect();
    Ok(HttpResponse::Ok().json(paginate(items, &query, |s| s.id)?))
}

/// Revoke one of the caller's sessions.
///
/// Requires a user's access token; API keys are not accepted. The session's refresh token
/// and its access tokens stop at once; it may be the calling session. Another user's
/// session, or an unknown or ended one, is 404. Audited as `session.revoked` in the
/// session's tenant (a tenant-less session leaves no record).
#[utoipa::path(delete, path = "/api/v1/me/sessions/{session_id}", tag = "sessions", operation_id = "revoke_my_session",
    params(("session_id" = Uuid, Path, description = "A session of the caller")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such session of the caller", body = Problem),
    ))]
pub async fn revoke_my_session(
    state: web::Data<AppState>,
    caller: Caller,
    client: ClientInfo,
    path: web::Path<SessionPath>,
) -> Result<HttpResponse, ApiError> {
    let sid = path.session_id;
    match state.sessions.get(sid).await? {
        Some(session) if session.user == caller.user() => {
            state.sessions.revoke(sid).await?;
            record_revocation(
                &state,
                &caller,
                &client,
                session.tenant,
                vec![sid],
                "revoked by its user",
            )
            .await?;
            Ok(HttpResponse::NoContent().finish())
        }
        // Another user's session is as unknown as a missing one.
        _ => Err(ApiError::NotFound),
    }
}

/// Log out: revoke the current session.
///
/// Requires a user's access token; API keys are not accepted. The calling token's session
/// ends: its refresh token and its access tokens, this one included, stop at once. Audited
/// as `session.revoked` in the token's tenant, if it has one.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "sessions", operation_id = "log_out",
    responses(
        (status = 204, description = "Logged out"),
    ))]
pub async fn log_out(
    state: web::Data<AppState>,
    caller: Caller,
    client: ClientInfo,
) -> Result<HttpResponse, ApiError> {
    let sid = caller.session()?;
    state.sessions.revoke(sid).await?;
    record_revocation(
        &state,
        &caller,
        &client,
        caller.tenant(),
        vec![sid],
        "logout",
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Log out everywhere: revoke every session of the caller.
///
/// Requires a user's access token; API keys are not accepted. Every session of the user
/// ends, the calling one included, and every access token issued to the user before now
/// stops. API keys the user created keep working. Audited as `session.revoked` in each
/// tenant that had a session.
#[utoipa::path(post, path = "/api/v1/auth/logout-all", tag = "sessions", operation_id = "log_out_everywhere",
    responses(
        (status = 204, description = "Every session revoked"),
    ))]
pub async fn log_out_everywhere(
    state: web::Data<AppState>,
    caller: Caller,
    client: ClientInfo,
) -> Result<HttpResponse, ApiError> {
    let sessions = state.sessions.list(caller.user()).await?;
    state.sessions.revoke_all(caller.user(), None).await?;
    // Also refuse any token issued before now, whatever session it claims.
    state
        .revocations
        .mark(&[Affected::User(caller.user())])
        .await?;
    let mut by_tenant: BTreeMap<TenantId, Vec<SessionId>> = BTreeMap::new();
    for session in sessions {
        if let Some(tenant) = session.tenant {
            by_tenant.entry(tenant).or_default().push(session.id);
        }
    }
    for (tenant, sids) in by_tenant {
        record_revocation(
            &state,
            &caller,
            &client,
            Some(tenant),
            sids,
            "logout everywhere",
        )
        .await?;
    }
    Ok(HttpResponse::NoContent().finish())
}

/// `session.revoked` in the audit log of the sessions' tenant (a tenant-less session has
/// no tenant log to write to).
async fn record_revocation(
    state: &AppState,
    caller: &Caller,
    client: &ClientInfo,
    tenant: Option<TenantId>,
    sessions: Vec<SessionId>,
    reason: &'static str,
) -> Result<(), ApiError> {
    let Some(tenant) = tenant else { return Ok(()) };
    let details = serde_json::json!({"reason": reason, "sessions": sessions});
    let (action, target) = (Action::SessionRevoked, Target::User(caller.user()));
    let tx = TenantTx::begin(&state.db, tenant, Mode::ReadWrite).await?;
    work::record(&tx, caller.actor(), client, action, target, details).await?;
    Ok(tx.commit().await?)
}
