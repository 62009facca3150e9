//! The browser's sign-in session (SPEC §11): the `gh_session` cookie, read in one place.

use crate::signin::cookies::Cookies;
use crate::state::AppState;
use actix_web::HttpRequest;
use auth::AuthError;
use auth::sessions::{Presented, SessionInfo, SessionKind};

/// The live sign-in session this request's cookie names, if any: a refresh-token session
/// (whose token has the same shape) never counts as one.
pub async fn current(
    state: &AppState,
    req: &HttpRequest,
) -> Result<Option<SessionInfo>, AuthError> {
    let name = Cookies::new(&state.config).session_name();
    let Some(token) = Cookies::read(req, &name) else {
        return Ok(None);
    };
    Ok(match state.sessions.authenticate(&token).await? {
        Some(Presented::Current(session)) if session.kind == SessionKind::SignIn => Some(session),
        _ => None,
    })
}

/// Ends the browser's sign-in session, if it has one.
pub async fn end(state: &AppState, req: &HttpRequest) -> Result<(), AuthError> {
    if let Some(session) = current(state, req).await? {
        state.sessions.revoke(session.id).await?;
    }
    Ok(())
}
