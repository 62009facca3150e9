//! OpenID Connect (SPEC §11): discovery (OIDC Discovery 1.0 §4), the UserInfo endpoint
//! (OIDC Core §5.3) and RP-initiated logout (OIDC RP-Initiated Logout 1.0).

use crate::error::ApiError;
use crate::guards::Caller;
use crate::handlers::well_known::{AuthorizationServerMetadata, metadata};
use crate::signin::cookies::Cookies;
use crate::signin::flow;
use crate::signin::page_error::PageError;
use crate::signin::pages::{self, MessagePage, PRODUCT};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpRequest, HttpResponse, web};
use domain::SessionId;
use persistence::repo::{oauth_clients, users};
use persistence::{Mode, Tx};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// OpenID Provider metadata (OIDC Discovery 1.0 §3).
///
/// Public; cacheable for 5 minutes. The same endpoints as the RFC 8414 document, plus the
/// UserInfo and end-session endpoints, the ID token's signing algorithm and claims. 404
/// when this deployment has no key to sign ID tokens (then `openid` is refused too).
#[utoipa::path(get, path = "/.well-known/openid-configuration", tag = "discovery",
    operation_id = "get_openid_configuration",
    responses(
        (status = 200, description = "Metadata", body = AuthorizationServerMetadata),
        (status = 404, description = "OpenID Connect is not available on this deployment", body = crate::error::Problem),
    ))]
pub async fn get_openid_configuration(
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if !state.keys_for_id_tokens() {
        return Err(ApiError::NotFound);
    }
    Ok(HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, "public, max-age=300"))
        .json(metadata(&state)))
}

/// Claims about the signed-in user (OIDC Core §5.3.2).
#[derive(Debug, Serialize, ToSchema)]
pub struct UserInfo {
    /// The user's id: the ID token's `sub`.
    pub sub: String,
    /// With the `email` scope.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub email: Option<String>,
    /// With the `email` scope: whether the user proved the address is theirs.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub email_verified: Option<bool>,
    /// The display name, with the `profile` scope.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub name: Option<String>,
}

/// The signed-in user's claims (OIDC Core §5.3).
///
/// Requires a user's access token carrying the `openid` scope (403 `insufficient_scope`
/// without it); `email` and `name` come with the `email` and `profile` scopes.
#[utoipa::path(get, path = "/oauth/userinfo", tag = "oauth", operation_id = "get_userinfo",
    responses(
        (status = 200, description = "The user's claims", body = UserInfo),
        (status = 404, description = "The user is gone", body = crate::error::Problem),
    ))]
pub async fn get_userinfo(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let oidc = caller.oidc();
    let id = caller.user();
    let user = users::find(&Tx::as_user(&state.db, id, Mode::ReadOnly).await?, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(UserInfo {
        sub: user.id.to_string(),
        email: oidc.email.then(|| user.email.clone()),
        email_verified: oidc.email.then_some(user.email_verified_at.is_some()),
        name: oidc.profile.then(|| user.display_name.clone()),
    }))
}

/// `GET /oauth/logout` parameters (OIDC RP-Initiated Logout 1.0 §2).
#[derive(Debug, Deserialize, IntoParams)]
pub struct LogoutQuery {
    /// An ID token Gatehouse issued to the client (expired ones are accepted): its session
    /// ends too.
    pub id_token_hint: Option<String>,
    /// Where to send the browser afterwards: registered for the client.
    pub post_logout_redirect_uri: Option<String>,
    /// Needed with `post_logout_redirect_uri` when there is no `id_token_hint`.
    pub client_id: Option<String>,
    /// Returned with the redirect.
    pub state: Option<String>,
}

/// Ends the browser's sign-in session (the `gh_session` cookie) and, with an
/// `id_token_hint`, the refresh session the ID token was issued with; then redirects to a
/// registered `post_logout_redirect_uri` or shows that the user is signed out. An
/// unregistered URI is never redirected to.
pub async fn log_out(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<LogoutQuery>,
) -> Result<HttpResponse, PageError> {
    let cookies = Cookies::new(&state.config);
    crate::signin::session::end(&state, &req).await?;
    let hint = match (&query.id_token_hint, &state.id_tokens) {
        (Some(token), Some(keys)) => Some(keys.verify_hint(token).map_err(|_| {
            PageError::bad_request("The id_token_hint is not an ID token of this server.")
        })?),
        (Some(_), None) => {
            return Err(PageError::bad_request(
                "The id_token_hint is not an ID token of this server.",
            ));
        }
        (None, _) => None,
    };
    if let Some(hint) = &hint
        && let Ok(sid) = hint.sid.parse::<SessionId>()
    {
        // The session of the hint's own user only (the token is ours: its `sid` is too).
        if let Some(session) = state.sessions.get(sid).await?
            && session.user.to_string() == hint.sub
        {
            state.sessions.revoke(sid).await?;
        }
    }
    let client_id = match (&hint, &query.client_id) {
        (Some(hint), Some(id)) if &hint.aud != id => {
            return Err(PageError::bad_request(
                "client_id differs from the id_token_hint's audience.",
            ));
        }
        (Some(hint), _) => Some(hint.aud.clone()),
        (None, id) => id.clone(),
    };
    let clear = cookies.session_removal();
    if let (Some(uri), Some(client_id)) = (&query.post_logout_redirect_uri, &client_id) {
        let tx = Tx::global(&state.db, Mode::ReadOnly).await?;
        let registered = oauth_clients::find(&tx, client_id)
            .await?
            .is_some_and(|c| c.post_logout_redirect_uris.iter().any(|r| r == uri));
        if registered {
            let mut response = flow::redirect(&state, uri, &[("state", query.state.as_deref())]);
            response
                .add_cookie(&clear)
                .map_err(|e| ApiError::Internal(e.into()))?;
            return Ok(response);
        }
        return Err(PageError::bad_request(
            "You are signed out, but this post_logout_redirect_uri is not registered for the \
             application, so you stay here.",
        ));
    }
    let page = MessagePage {
        product: PRODUCT,
        title: "Signed out",
        message: "You are signed out of this browser.",
        hint: Some("You can close this page."),
    };
    pages::respond(StatusCode::OK, &page, None, &[clear])
}
