//! The authorization code grant of the token endpoint (RFC 6749 §4.1.3, RFC 7636 §4.5,
//! SPEC §11): a code from `/oauth/authorize`, redeemed once by the client it was issued
//! to, for the redirect URI it was issued for, with the PKCE verifier of its challenge.

use crate::error::OAuthError;
use crate::error::OAuthErrorCode::{InvalidClient, InvalidGrant, InvalidRequest, InvalidScope};
use crate::handlers::client::ClientInfo;
use crate::handlers::oauth::AuthorizationCodeGrantRequest;
use crate::state::AppState;
use crate::tokens::{self, IssueTime, TokenResponse};
use actix_web::HttpResponse;
use actix_web::http::header::{AUTHORIZATION, HeaderMap};
use auth::authorization_code::{CodeGrant, Redeemed};
use auth::id_token::IdTokenClaims;
use auth::sessions::{NewSession, SessionKind};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use domain::SessionId;
use domain::{ClientType, RefreshDelivery, ScopeSet, UserStatus, policy};
use persistence::models::User;
use persistence::repo::oauth_clients::{self, OAuthClient};
use persistence::repo::{memberships, users};
use persistence::{Mode, Tx};

pub async fn authorization_code_grant(
    state: &AppState,
    headers: &HeaderMap,
    params: &AuthorizationCodeGrantRequest,
    client: &ClientInfo,
) -> Result<HttpResponse, OAuthError> {
    let oauth_client = authenticate_client(
        state,
        headers,
        params.client_id.as_deref(),
        params.client_secret.as_deref(),
    )
    .await?;
    let grant = match state.codes.redeem(&params.code).await? {
        Redeemed::Fresh(grant) => *grant,
        Redeemed::Replayed(session) => {
            // RFC 6749 §4.1.2: a code used twice may have been stolen; what it issued goes.
            if let Some(session) = session {
                state.sessions.revoke(session).await?;
            }
            return Err(OAuthError::new(
                InvalidGrant,
                "the code was used already; the session it started is revoked",
            ));
        }
        Redeemed::Unknown => {
            return Err(OAuthError::new(
                InvalidGrant,
                "the code is invalid or expired",
            ));
        }
    };
    check_binding(&grant, &oauth_client, params)?;
    let (sid, user, mut pair) = start_session(state, &grant, client).await?;
    state.codes.record_session(&params.code, sid).await?;
    if grant.oidc.openid {
        pair.id_token = Some(id_token(state, &grant, &user, sid)?);
    }
    let cookie = oauth_client.refresh_delivery == RefreshDelivery::Cookie;
    Ok(tokens::deliver(state, tokens::to_json(&pair)?, cookie)?)
}

/// §4.1.3: issued to this client, for this redirect URI; RFC 7636 §4.6: the verifier of
/// its challenge. The code is spent whichever check fails.
fn check_binding(
    grant: &CodeGrant,
    client: &OAuthClient,
    params: &AuthorizationCodeGrantRequest,
) -> Result<(), OAuthError> {
    if grant.client_id != client.client_id {
        return Err(OAuthError::new(
            InvalidGrant,
            "the code was issued to another client",
        ));
    }
    if grant.redirect_uri != params.redirect_uri {
        return Err(OAuthError::new(
            InvalidGrant,
            "redirect_uri differs from the authorization request's",
        ));
    }
    if !auth::pkce::verifies(&params.code_verifier, &grant.code_challenge) {
        return Err(OAuthError::new(
            InvalidGrant,
            "the code_verifier does not match the code_challenge",
        ));
    }
    Ok(())
}

/// The ID token of a code that asked for `openid` (OIDC Core §2, §3.1.3.6): for the
/// client, about the user, with the request's `nonce` and how the user signed in; `email`
/// and `name` only with the `email` and `profile` scopes (§5.4).
fn id_token(
    state: &AppState,
    grant: &CodeGrant,
    user: &User,
    sid: SessionId,
) -> Result<String, OAuthError> {
    let keys = state
        .id_tokens
        .as_ref()
        .ok_or_else(|| OAuthError::new(InvalidScope, "openid is not available on this server"))?;
    let now = chrono::Utc::now().timestamp();
    let claims = IdTokenClaims {
        iss: state.config.issuer(),
        sub: user.id.to_string(),
        aud: grant.client_id.clone(),
        iat: now,
        exp: now + state.config.access_ttl.as_secs() as i64,
        auth_time: grant.auth.time,
        nonce: grant.nonce.clone(),
        amr: grant.auth.methods.claim(),
        sid: sid.to_string(),
        email: grant.oidc.email.then(|| user.email.clone()),
        email_verified: grant.oidc.email.then_some(user.email_verified_at.is_some()),
        name: grant.oidc.profile.then(|| user.display_name.clone()),
    };
    keys.sign(&claims)
        .map_err(|e| OAuthError::from(crate::error::ApiError::Internal(e.into())))
}

/// The session the code was for, if its user and membership still stand: what was granted
/// a minute ago is narrowed to what the user holds now.
async fn start_session(
    state: &AppState,
    grant: &CodeGrant,
    client: &ClientInfo,
) -> Result<(SessionId, User, TokenResponse), OAuthError> {
    let tx = Tx::as_user(&state.db, grant.user, Mode::ReadOnly).await?;
    let (user, grants) = futures_util::future::try_join(
        users::find(&tx, grant.user),
        memberships::grants_of_user(&tx, grant.user),
    )
    .await?;
    let gone = || OAuthError::new(InvalidGrant, "the user or their access is gone");
    let user = user
        .filter(|u| u.status == UserStatus::Active)
        .ok_or_else(gone)?;
    let membership = match grant.tenant {
        Some(tenant) => Some(
            grants
                .iter()
                .find(|g| g.tenant.id == tenant && crate::facts::is_usable(g))
                .ok_or_else(gone)?,
        ),
        None => None,
    };
    let requested = ScopeSet::parse_space_delimited(&grant.scope)
        .map_err(|e| OAuthError::new(InvalidGrant, e.to_string()))?;
    let scopes = policy::token_scopes(Some(requested), tokens::available_scopes(&user, membership));
    let (sid, pair) = tokens::start_session(
        state,
        IssueTime::now(),
        NewSession {
            kind: SessionKind::Tokens,
            client_id: Some(grant.client_id.clone()),
            auth: grant.auth,
            user: user.id,
            tenant: grant.tenant,
            scope: scopes.to_string(),
            requested_scope: crate::handlers::oauth::requested_text(Some(requested), grant.oidc),
            ip: client.ip_string(),
            user_agent: client.user_agent.clone(),
        },
        scopes,
        grant.oidc,
    )
    .await?;
    Ok((sid, user, pair))
}

/// RFC 6749 §2.3.1: a confidential client proves itself with its secret, in an
/// `Authorization: Basic` header or as `client_secret`, never both; a public client has
/// none to send. `invalid_client` (401) for anything else.
pub async fn authenticate_client(
    state: &AppState,
    headers: &HeaderMap,
    client_id: Option<&str>,
    client_secret: Option<&str>,
) -> Result<OAuthClient, OAuthError> {
    let basic = basic_credentials(headers)?;
    let (client_id, secret) = match (&basic, client_id, client_secret) {
        (Some(_), _, Some(_)) => {
            return Err(OAuthError::new(
                InvalidRequest,
                "send the client secret once: Basic or client_secret, not both",
            ));
        }
        (Some((id, _)), Some(param), _) if id != param => {
            return Err(OAuthError::new(
                InvalidRequest,
                "client_id differs from Basic",
            ));
        }
        (Some((id, secret)), _, _) => (id.clone(), Some(secret.clone())),
        (None, Some(id), secret) => (id.to_owned(), secret.map(str::to_owned)),
        (None, None, _) => {
            return Err(OAuthError::new(
                InvalidRequest,
                "the parameter `client_id` is required",
            ));
        }
    };
    let refused = || OAuthError::new(InvalidClient, "client authentication failed");
    let tx = Tx::global(&state.db, Mode::ReadOnly).await?;
    let client = oauth_clients::find(&tx, &client_id)
        .await?
        .ok_or_else(refused)?;
    let authenticated = match (client.client_type, &secret, &client.secret_hash) {
        (ClientType::Public, None, _) => true,
        (ClientType::Confidential, Some(secret), Some(hash)) => auth::api_key::verify(secret, hash),
        _ => false,
    };
    if authenticated {
        Ok(client)
    } else {
        Err(refused())
    }
}

/// `Authorization: Basic` as RFC 6749 §2.3.1 encodes it (each part form-urlencoded).
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let malformed = || OAuthError::new(InvalidClient, "the Basic credentials are malformed");
    let value = value.to_str().map_err(|_| malformed())?;
    let Some((scheme, encoded)) = value.split_once(' ') else {
        return Err(malformed());
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(malformed());
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    let unescape = |part: &str| {
        url::form_urlencoded::parse(format!("x={part}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Ok(Some((unescape(id), unescape(secret))))
}

/// SPEC §11: the refresh cookie counts only on a request from one of the client's
/// registered origins — a page elsewhere cannot make the browser spend it (CSRF).
pub fn check_origin(headers: &HeaderMap, client: &OAuthClient) -> Result<(), OAuthError> {
    let origin = headers
        .get(actix_web::http::header::ORIGIN)
        .and_then(|v| v.to_str().ok());
    match origin {
        Some(origin) if client.allowed_origins.iter().any(|o| o == origin) => Ok(()),
        _ => Err(OAuthError::new(
            InvalidRequest,
            "the refresh cookie is accepted only from the client's registered origins",
        )),
    }
}
