//! The OAuth 2.0 token and revocation endpoints (RFC 6749 §4.3 and §6, RFC 7009).
//!
//! The password grant is a first-party concession: RFC 9700 §2.4 deprecates it for
//! third-party clients. Every other rule is strict: form-encoded bodies only, no repeated
//! parameters, identical errors for unknown email and wrong password.

use crate::error::ApiError;
use crate::error::{OAuthError, OAuthErrorBody, OAuthErrorCode};
use crate::handlers::client::ClientInfo;
use crate::handlers::code_grant;
use crate::signin::cookies::Cookies;
use crate::state::AppState;
use crate::tokens::{
    self, IssueTime, TokenGrant, TokenResponse, available_scopes, token_http_response,
};
use crate::work;
use actix_web::http::header::{CONTENT_TYPE, HeaderMap};
use actix_web::{HttpRequest, HttpResponse, web};
use auth::password::Verification;
use auth::rate_limit::Guessed;
use auth::sessions::{NewSession, Presented, Rotation, SessionInfo, SessionKind, SessionStore};
use domain::RefreshDelivery;
use domain::authorize::OidcScopes;
use domain::{Action, Target, policy};
use domain::{AuthMethods, Authentication};
use domain::{Email, ScopeSet, TenantId, UserId, UserStatus};
use persistence::models::User;
use persistence::repo::memberships::Grant;
use persistence::repo::oauth_clients;
use persistence::repo::{memberships, users};
use persistence::{Mode, TenantTx, Tx};
use secrecy::SecretString;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;
use validator::Validate;

use OAuthErrorCode::*;

const BAD_CREDENTIALS: &str = "the email or password is incorrect";

/// `POST /oauth/token`: one form per grant type, told apart by `grant_type` (RFC 6749
/// §4.3.2 and §6). Another `grant_type` is `unsupported_grant_type`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
#[schema(discriminator(property_name = "grant_type", mapping(
    ("authorization_code" = "#/components/schemas/AuthorizationCodeGrantRequest"),
    ("password" = "#/components/schemas/PasswordGrantRequest"),
    ("refresh_token" = "#/components/schemas/RefreshTokenGrantRequest"))))]
pub enum TokenRequest {
    AuthorizationCode(AuthorizationCodeGrantRequest),
    Password(PasswordGrantRequest),
    RefreshToken(RefreshTokenGrantRequest),
}

/// The authorization code grant (RFC 6749 §4.1.3) with PKCE (RFC 7636 §4.5): the code
/// from `/oauth/authorize`, the same `redirect_uri`, and the verifier of its challenge. A
/// confidential client authenticates with `Authorization: Basic` or `client_secret`.
#[derive(Deserialize, ToSchema, Validate)]
pub struct AuthorizationCodeGrantRequest {
    #[schema(inline)]
    pub grant_type: AuthorizationCodeGrantType,
    #[schema(min_length = 1, max_length = 128)]
    #[validate(length(max = 128, message = "is not a code"))]
    pub code: String,
    #[schema(min_length = 1, max_length = 2000)]
    #[validate(length(max = 2000, message = "is too long"))]
    pub redirect_uri: String,
    /// Required unless the client authenticates with `Authorization: Basic`.
    #[schema(value_type = Option<domain::ClientId>)]
    #[validate(custom(function = "crate::validate::client_id"))]
    pub client_id: Option<String>,
    /// RFC 7636 §4.1: 43-128 unreserved characters.
    #[schema(
        min_length = 43,
        max_length = 128,
        pattern = "^[A-Za-z0-9._~-]{43,128}$"
    )]
    #[validate(length(min = 43, max = 128, message = "must be 43-128 characters (RFC 7636)"))]
    pub code_verifier: String,
    /// `client_secret_post`, for confidential clients that do not use Basic.
    #[schema(max_length = 256, format = "password")]
    #[validate(length(max = 256, message = "is too long"))]
    pub client_secret: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthorizationCodeGrantType {
    AuthorizationCode,
}

/// The resource owner password credentials grant (RFC 6749 §4.3.2): first-party clients
/// only (RFC 9700 §2.4).
#[derive(Deserialize, ToSchema, Validate)]
pub struct PasswordGrantRequest {
    #[schema(inline)]
    pub grant_type: PasswordGrantType,
    /// The account's email.
    #[schema(min_length = 1, max_length = 254)]
    #[validate(length(max = 254, message = "is too long"))]
    pub username: String,
    #[schema(min_length = 1, max_length = 1024, format = "password")]
    #[validate(length(max = 1024, message = "is too long"))]
    pub password: String,
    /// Space-delimited scopes to request (default: all the user holds).
    #[schema(max_length = 1024)]
    #[validate(length(max = 1024, message = "is too long"))]
    pub scope: Option<String>,
    /// Tenant slug or id (default: the only active membership, else a tenant-less token).
    #[schema(max_length = 63)]
    #[validate(length(max = 63, message = "is not a tenant slug or id"))]
    pub tenant: Option<String>,
}

/// The refresh token grant (RFC 6749 §6): the presented token is spent and a new pair
/// returned; presenting a spent one again revokes the session (reuse detection).
#[derive(Deserialize, ToSchema, Validate)]
pub struct RefreshTokenGrantRequest {
    #[schema(inline)]
    pub grant_type: RefreshTokenGrantType,
    /// Required, except for a `refresh_delivery=cookie` client: it sends `client_id` and
    /// its `gh_refresh` cookie instead, from one of its registered origins (SPEC §11).
    #[schema(min_length = 1, max_length = 512)]
    #[validate(length(max = 512, message = "is not a refresh token"))]
    pub refresh_token: Option<String>,
    /// Space-delimited scopes, to narrow within the session's original request (default:
    /// all of it).
    #[schema(max_length = 1024)]
    #[validate(length(max = 1024, message = "is too long"))]
    pub scope: Option<String>,
    /// Tenant slug or id, to switch to another of the user's tenants (default: the
    /// session's).
    #[schema(max_length = 63)]
    #[validate(length(max = 63, message = "is not a tenant slug or id"))]
    pub tenant: Option<String>,
    /// The client the session was issued to, for a session from the authorization code
    /// flow (required then; a confidential client authenticates as for the code).
    #[schema(value_type = Option<domain::ClientId>)]
    #[validate(custom(function = "crate::validate::client_id"))]
    pub client_id: Option<String>,
    /// `client_secret_post`, for confidential clients that do not use Basic.
    #[schema(max_length = 256, format = "password")]
    #[validate(length(max = 256, message = "is too long"))]
    pub client_secret: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PasswordGrantType {
    Password,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RefreshTokenGrantType {
    RefreshToken,
}

/// Secrets never reach a log line: a grant's form prints as its name only.
macro_rules! redacted_debug {
    ($($form:ty),+) => {
        $(impl std::fmt::Debug for $form {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($form)).finish_non_exhaustive()
            }
        })+
    };
}

redacted_debug!(
    AuthorizationCodeGrantRequest,
    PasswordGrantRequest,
    RefreshTokenGrantRequest
);

impl TokenRequest {
    /// Picks the grant's form by `grant_type` first, so an unknown grant type is
    /// `unsupported_grant_type` and a missing field names itself (`invalid_request`).
    fn read(form: Form) -> Result<Self, OAuthError> {
        match form.get("grant_type") {
            Some("authorization_code") => Ok(TokenRequest::AuthorizationCode(form.parse()?)),
            Some("password") => Ok(TokenRequest::Password(form.parse()?)),
            Some("refresh_token") => Ok(TokenRequest::RefreshToken(form.parse()?)),
            Some(other) => Err(OAuthError::new(
                UnsupportedGrantType,
                format!("the grant type `{other}` is not supported"),
            )),
            None => Err(OAuthError::new(
                InvalidRequest,
                "the parameter `grant_type` is required",
            )),
        }
    }
}

/// `POST /oauth/revoke` form fields (RFC 7009 §2.1).
#[derive(Deserialize, ToSchema, Validate)]
pub struct RevokeRequest {
    /// A refresh token (revokes its whole session) or an access token. Required, except
    /// for a `refresh_delivery=cookie` client: it sends `client_id` and its `gh_refresh`
    /// cookie, from one of its registered origins, and the cookie is cleared.
    #[schema(min_length = 1, max_length = 8192)]
    #[validate(length(max = 8192, message = "is not a token"))]
    pub token: Option<String>,
    /// With the cookie instead of `token` (SPEC §11).
    #[schema(value_type = Option<domain::ClientId>)]
    #[validate(custom(function = "crate::validate::client_id"))]
    pub client_id: Option<String>,
    /// `refresh_token` or `access_token` (a hint only)
    #[schema(max_length = 64)]
    #[validate(length(max = 64, message = "is not a token type"))]
    pub token_type_hint: Option<String>,
}

/// The parameters each endpoint reads: only these count as repeated (§3.1 has unknown
/// parameters ignored, repeated or not).
const TOKEN_PARAMETERS: &[&str] = &[
    "grant_type",
    "code",
    "redirect_uri",
    "client_id",
    "code_verifier",
    "client_secret",
    "username",
    "password",
    "refresh_token",
    "scope",
    "tenant",
];
const REVOKE_PARAMETERS: &[&str] = &["token", "token_type_hint", "client_id"];

/// An `application/x-www-form-urlencoded` body: repeated parameters are refused (RFC 6749
/// §3.2), empty ones count as absent and unknown ones are ignored (§3.1).
struct Form(serde_json::Map<String, serde_json::Value>);

impl Form {
    fn read(req: &HttpRequest, body: &[u8], known: &[&str]) -> Result<Self, OAuthError> {
        let is_form = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(';').next().is_some_and(|m| {
                    m.trim()
                        .eq_ignore_ascii_case("application/x-www-form-urlencoded")
                })
            });
        if !is_form {
            return Err(OAuthError::new(
                InvalidRequest,
                "the body must be application/x-www-form-urlencoded (RFC 6749 §4.3.2)",
            ));
        }
        let mut params = serde_json::Map::new();
        for (name, value) in url::form_urlencoded::parse(body) {
            let repeated = params.contains_key(name.as_ref()) && known.contains(&&*name);
            if repeated {
                let message = format!("the parameter `{name}` is repeated");
                return Err(OAuthError::new(InvalidRequest, message));
            }
            params.insert(
                name.into_owned(),
                serde_json::Value::String(value.into_owned()),
            );
        }
        params.retain(|_, value| value.as_str().is_some_and(|v| !v.is_empty()));
        Ok(Self(params))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(serde_json::Value::as_str)
    }

    /// Into `T`; a missing or over-long parameter is `invalid_request`.
    fn parse<T: DeserializeOwned + Validate>(self) -> Result<T, OAuthError> {
        let parsed: T = serde_json::from_value(serde_json::Value::Object(self.0))
            .map_err(|e| OAuthError::new(InvalidRequest, e.to_string()))?;
        parsed.validate().map_err(|errors| {
            let detail = errors
                .field_errors()
                .into_iter()
                .flat_map(|(field, list)| list.iter().map(move |e| format!("`{field}` {e}")))
                .collect::<Vec<_>>()
                .join("; ");
            OAuthError::new(InvalidRequest, detail)
        })?;
        Ok(parsed)
    }
}

/// A token request's `scope`: the permissions asked for (`None`: all, also when only OIDC
/// scopes were named) and the OIDC scopes beside them (SPEC §11: never `invalid_scope`).
pub(crate) fn requested_scopes(
    scope: Option<&str>,
) -> Result<(Option<ScopeSet>, OidcScopes), OAuthError> {
    domain::authorize::parse_requested_scope(scope)
        .map_err(|e| OAuthError::new(InvalidScope, e.to_string()))
}

/// What a session keeps of its request (RFC 6749 §6 bounds every refresh by it), read
/// back with [`requested_scopes`]: `None` when nothing was asked for. Only OIDC scopes
/// still read back as every permission.
pub(crate) fn requested_text(permissions: Option<ScopeSet>, oidc: OidcScopes) -> Option<String> {
    let text = oidc.with_permissions(permissions.unwrap_or(ScopeSet::EMPTY));
    (!text.is_empty()).then_some(text)
}

/// Issue tokens (OAuth2 password or refresh-token grant).
///
/// Form-encoded per RFC 6749. Errors are RFC 6749 §5.2 JSON, not problem+json.
#[utoipa::path(post, path = "/oauth/token", tag = "oauth", operation_id = "issue_token",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "A new token pair (`Cache-Control: no-store`)", body = TokenResponse),
        (status = 400, description = "`invalid_request`, `invalid_grant`, `unsupported_grant_type` or `invalid_scope`", body = OAuthErrorBody),
        (status = 401, description = "`invalid_client`: the client is unknown or failed to authenticate", body = OAuthErrorBody,
            headers(("WWW-Authenticate" = String, description = "`Basic realm=\"gatehouse\"` (RFC 6749 §5.2)"))),
        (status = 429, description = "Too many requests from this client, or failed logins for this username", body = OAuthErrorBody),
        (status = 503, description = "Overloaded or a dependency is down; retry after `Retry-After`", body = OAuthErrorBody),
    ))]
pub async fn issue_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    client: ClientInfo,
    body: web::Bytes,
) -> Result<HttpResponse, OAuthError> {
    client.rate_limit(&state, "token").await?;
    match TokenRequest::read(Form::read(&req, &body, TOKEN_PARAMETERS)?)? {
        TokenRequest::AuthorizationCode(params) => {
            code_grant::authorization_code_grant(&state, req.headers(), &params, &client).await
        }
        TokenRequest::Password(_) if !state.config.password_grant => Err(OAuthError::new(
            UnsupportedGrantType,
            "the password grant is switched off here; sign in with the authorization code flow",
        )),
        TokenRequest::Password(params) => password_grant(&state, &params, &client).await,
        TokenRequest::RefreshToken(params) => refresh_grant(&state, &req, &params).await,
    }
}

async fn load_grants(state: &AppState, user: UserId) -> Result<Vec<Grant>, OAuthError> {
    let tx = Tx::as_user(&state.db, user, Mode::ReadOnly).await?;
    Ok(memberships::grants_of_user(&tx, user).await?)
}

fn find_grant<'a>(grants: &'a [Grant], tenant: &str) -> Option<&'a Grant> {
    grants
        .iter()
        .find(|g| g.tenant.slug == tenant || g.tenant.id.to_string() == tenant)
}

/// Records what `user` did in `tenant`'s audit log.
async fn record(
    state: &AppState,
    tenant: TenantId,
    user: UserId,
    client: &ClientInfo,
    action: Action,
    details: serde_json::Value,
) -> Result<(), OAuthError> {
    let tx = TenantTx::begin(&state.db, tenant, Mode::ReadWrite).await?;
    work::record(&tx, user.0, client, action, Target::User(user), details).await?;
    Ok(tx.commit().await?)
}

/// The password check of the password grant and of the hosted login page (SPEC §11: the
/// same rate limits, lockout and identical errors): the user `username` names, if
/// `password` is theirs and they are active. `tenant_param` is where a failure is audited
/// (only if the user is a member there).
pub(crate) async fn verify_password(
    state: &AppState,
    username: &str,
    password: SecretString,
    tenant_param: Option<&str>,
    client: &ClientInfo,
) -> Result<User, OAuthError> {
    // The attempt is counted before the password is checked, atomically: parallel
    // guesses cannot exceed the threshold (SPEC §8).
    if let Err(wait) = state.lockout.attempt(Guessed::Login, username).await? {
        return Err(OAuthError::new(
            TooManyRequests {
                retry_after_secs: wait.secs(),
            },
            "too many failed attempts for this username; retry later",
        ));
    }

    let user: Option<User> = match Email::parse(username) {
        Ok(email) => {
            users::find_by_email(&Tx::global(&state.db, Mode::ReadOnly).await?, &email).await?
        }
        Err(_) => None,
    };
    // Unknown emails cost one verification too (against a dummy hash).
    let verification = state
        .hasher
        .verify(password, user.as_ref().map(|u| u.password_hash.clone()))
        .await?;
    let user = match (user, verification) {
        (Some(user), Verification::Valid) => user,
        (Some(user), Verification::ValidRehashed(hash)) => {
            let tx = Tx::global(&state.db, Mode::ReadWrite).await?;
            users::upgrade_password_hash(&tx, user.id, &hash).await?;
            tx.commit().await?;
            user
        }
        (user, _) => {
            // Recorded only in a tenant the user is a member of, so a tenant's log never
            // tells its readers whether an email exists elsewhere (SPEC §8).
            if let (Some(user), Some(tenant)) = (&user, tenant_param) {
                let grants = load_grants(state, user.id).await?;
                if let Some(grant) = find_grant(&grants, tenant) {
                    let (tenant, user) = (grant.tenant.id, user.id);
                    let details = serde_json::Value::Null;
                    record(state, tenant, user, client, Action::LoginFailed, details).await?;
                }
            }
            return Err(OAuthError::new(InvalidGrant, BAD_CREDENTIALS));
        }
    };
    state.lockout.succeeded(Guessed::Login, username).await?;
    if user.status != UserStatus::Active {
        return Err(OAuthError::new(InvalidGrant, "the account is disabled"));
    }
    Ok(user)
}

async fn password_grant(
    state: &AppState,
    params: &PasswordGrantRequest,
    client: &ClientInfo,
) -> Result<HttpResponse, OAuthError> {
    let (requested, oidc) = requested_scopes(params.scope.as_deref())?;
    let tenant_param = params.tenant.clone();
    let password = SecretString::from(params.password.clone());
    let user = verify_password(
        state,
        &params.username,
        password,
        tenant_param.as_deref(),
        client,
    )
    .await?;
    let user_id = user.id;
    let issued = IssueTime::now();
    let grants = load_grants(state, user_id).await?;
    let grant = match &tenant_param {
        Some(tenant) => {
            let grant = find_grant(&grants, tenant).ok_or_else(|| {
                OAuthError::new(InvalidGrant, "the user has no access to that tenant")
            })?;
            if !crate::facts::is_usable(grant) {
                return Err(OAuthError::new(
                    InvalidGrant,
                    "the membership is disabled or the tenant is suspended",
                ));
            }
            Some(grant)
        }
        None => {
            let mut usable = grants.iter().filter(|g| crate::facts::is_usable(g));
            match (usable.next(), usable.next()) {
                (Some(only), None) => Some(only),
                _ => None,
            }
        }
    };
    let tenant = grant.map(|g| g.tenant.id);
    let scopes = policy::token_scopes(requested, available_scopes(&user, grant));
    let (_, pair) = tokens::start_session(
        state,
        issued,
        NewSession {
            kind: SessionKind::Tokens,
            client_id: None,
            auth: Authentication {
                time: issued.unix_secs(),
                methods: AuthMethods::PASSWORD,
            },
            user: user_id,
            tenant,
            scope: scopes.to_string(),
            requested_scope: requested_text(requested, oidc),
            ip: client.ip_string(),
            user_agent: client.user_agent.clone(),
        },
        scopes,
        oidc,
    )
    .await?;
    if let Some(tenant) = tenant {
        let details = serde_json::json!({"scope": scopes.to_string()});
        record(
            state,
            tenant,
            user_id,
            client,
            Action::LoginSucceeded,
            details,
        )
        .await?;
    }
    Ok(token_http_response(tokens::to_json(&pair)?))
}

/// The refresh token a request presents: its `refresh_token`, or the `gh_refresh` cookie of
/// the cookie client it names, under the Origin rule. Whether it came in the cookie.
async fn presented_refresh_token(
    state: &AppState,
    req: &HttpRequest,
    token: Option<&str>,
    client_id: Option<&str>,
) -> Result<(String, bool), OAuthError> {
    if let Some(token) = token {
        return Ok((token.to_owned(), false));
    }
    let client_id = client_id.ok_or_else(|| {
        OAuthError::new(InvalidRequest, "the parameter `refresh_token` is required")
    })?;
    let tx = Tx::global(&state.db, Mode::ReadOnly).await?;
    let client = oauth_clients::find(&tx, client_id)
        .await?
        .filter(|c| c.refresh_delivery == RefreshDelivery::Cookie)
        .ok_or_else(|| {
            OAuthError::new(
                InvalidRequest,
                "the parameter `refresh_token` is required (the client gets no refresh cookie)",
            )
        })?;
    code_grant::check_origin(req.headers(), &client)?;
    let name = Cookies::new(&state.config).refresh_name();
    let token = Cookies::read(req, &name)
        .ok_or_else(|| OAuthError::new(InvalidGrant, "no refresh cookie was sent"))?;
    Ok((token, true))
}

async fn refresh_grant(
    state: &AppState,
    req: &HttpRequest,
    params: &RefreshTokenGrantRequest,
) -> Result<HttpResponse, OAuthError> {
    let headers = req.headers();
    let (presented, cookie) = presented_refresh_token(
        state,
        req,
        params.refresh_token.as_deref(),
        params.client_id.as_deref(),
    )
    .await?;
    let presented = presented.as_str();
    let (requested, requested_oidc) = requested_scopes(params.scope.as_deref())?;
    // The token is authenticated before anything else is looked at or revealed, and a
    // spent one is settled by the session store before anything is signed for it.
    let presented_as = state
        .sessions
        .authenticate(presented)
        .await?
        .ok_or_else(invalid_refresh_token)?;
    check_session_client(state, headers, params, presented_as.session()).await?;
    let session = match presented_as {
        Presented::Current(session) => session,
        Presented::Spent(session) => {
            let rotation = state.sessions.settle_spent(presented).await?;
            return settled(state, &session, rotation, cookie).await;
        }
    };
    let sid = session.id;
    // RFC 6749 §6: the scope of the session's original request bounds every refresh, and
    // an omitted scope means all of it (never the narrowing of a previous refresh).
    let (original, original_oidc) = requested_scopes(session.requested_scope.as_deref())
        .map_err(|e| ApiError::Internal(format!("session {sid} requested {e:?}").into()))?;
    let original = original.unwrap_or(ScopeSet::all());
    let exceeds = requested.is_some_and(|r| !r.is_subset_of(original))
        || !requested_oidc.is_subset_of(original_oidc);
    if exceeds {
        return Err(OAuthError::new(
            InvalidScope,
            "the requested scope exceeds the original grant",
        ));
    }
    let oidc = match params.scope {
        Some(_) => requested_oidc,
        None => original_oidc,
    };

    let user_id = session.user;
    let issued = IssueTime::now();
    // The user and their grants in one pipelined read.
    let tx = Tx::as_user(&state.db, user_id, Mode::ReadOnly).await?;
    let (user, grants) = futures_util::future::try_join(
        users::find(&tx, user_id),
        memberships::grants_of_user(&tx, user_id),
    )
    .await?;
    let Some(user) = user.filter(|u| u.status == UserStatus::Active) else {
        state.sessions.revoke(sid).await?;
        return Err(invalid_refresh_token());
    };
    let grant = match &params.tenant {
        Some(tenant) => Some(
            find_grant(&grants, tenant)
                .filter(|g| crate::facts::is_usable(g))
                .ok_or_else(|| {
                    OAuthError::new(InvalidGrant, "the user has no access to that tenant")
                })?,
        ),
        None => match session.tenant {
            Some(tenant) => match grants
                .iter()
                .find(|g| g.tenant.id == tenant)
                .filter(|g| crate::facts::is_usable(g))
            {
                Some(grant) => Some(grant),
                None => {
                    // Access to the session's tenant is gone: so is the session.
                    state.sessions.revoke(sid).await?;
                    return Err(OAuthError::new(
                        InvalidGrant,
                        "access to the tenant has been removed",
                    ));
                }
            },
            None => None,
        },
    };
    let scopes = policy::token_scopes(
        Some(requested.unwrap_or(original)),
        available_scopes(&user, grant),
    );
    let tenant = grant.map(|g| g.tenant.id);
    let new_token = SessionStore::new_refresh_token(sid);
    let grant = TokenGrant {
        user: user_id,
        tenant,
        scopes,
        oidc,
        sid,
        auth: session.auth,
    };
    let pair = tokens::pair_json(state, issued, grant, new_token.clone())?;
    let rotation = state
        .sessions
        .rotate(presented, &new_token, &pair, tenant, &scopes.to_string())
        .await?;
    match rotation {
        Rotation::Rotated => Ok(tokens::deliver(state, pair, cookie)?),
        // Another request rotated the token between authentication and now.
        other => settled(state, &session, other, cookie).await,
    }
}

/// SPEC §11: a session from the code flow is refreshed only by the client it was issued to
/// (authenticated as for the code, RFC 6749 §6); a sign-in session's cookie is no
/// refresh token.
async fn check_session_client(
    state: &AppState,
    headers: &HeaderMap,
    params: &RefreshTokenGrantRequest,
    session: &SessionInfo,
) -> Result<(), OAuthError> {
    if session.kind != SessionKind::Tokens {
        return Err(invalid_refresh_token());
    }
    let Some(bound) = &session.client_id else {
        return Ok(());
    };
    let client = code_grant::authenticate_client(
        state,
        headers,
        params.client_id.as_deref(),
        params.client_secret.as_deref(),
    )
    .await?;
    if &client.client_id != bound {
        return Err(OAuthError::new(
            InvalidGrant,
            "the refresh token was issued to another client",
        ));
    }
    Ok(())
}

fn invalid_refresh_token() -> OAuthError {
    OAuthError::new(
        InvalidGrant,
        "the refresh token is invalid, expired or revoked",
    )
}

/// The answer to a refresh token the session store has settled without this request's
/// rotation: the sealed pair of a replay, or the end of the session.
async fn settled(
    state: &AppState,
    session: &SessionInfo,
    rotation: Rotation,
    cookie: bool,
) -> Result<HttpResponse, OAuthError> {
    match rotation {
        Rotation::Replayed(same_pair) => Ok(tokens::deliver(state, same_pair, cookie)?),
        Rotation::Reused => {
            if let Some(tenant) = session.tenant {
                let tx = TenantTx::begin(&state.db, tenant, Mode::ReadWrite).await?;
                let details = serde_json::json!({"reason": "refresh token reuse"});
                let (action, target) = (Action::SessionRevoked, Target::Session(session.id));
                work::record(
                    &tx,
                    session.user.0,
                    &ClientInfo::default(),
                    action,
                    target,
                    details,
                )
                .await?;
                tx.commit().await?;
            }
            tracing::warn!(session = %session.id, "refresh token reuse: session revoked");
            Err(OAuthError::new(
                InvalidGrant,
                "the refresh token was already used; the session has been revoked",
            ))
        }
        Rotation::Rotated | Rotation::Invalid => Err(invalid_refresh_token()),
    }
}

/// Revoke a token (RFC 7009).
///
/// A refresh token revokes its whole session (and the session's access tokens); an
/// access token is revoked until it expires. Always 200, whether or not the token was
/// valid, so the endpoint tells nothing about tokens.
#[utoipa::path(post, path = "/oauth/revoke", tag = "oauth", operation_id = "revoke_token",
    request_body(content = RevokeRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Revoked, or there was nothing to revoke"),
        (status = 400, description = "`invalid_request`: no `token`, or not form-encoded", body = OAuthErrorBody),
        (status = 503, description = "A dependency is down; retry", body = OAuthErrorBody),
    ))]
pub async fn revoke_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, OAuthError> {
    let params: RevokeRequest = Form::read(&req, &body, REVOKE_PARAMETERS)?.parse()?;
    let presented = presented_refresh_token(
        &state,
        &req,
        params.token.as_deref(),
        params.client_id.as_deref(),
    )
    .await;
    let (token, cookie) = match presented {
        Ok(presented) => presented,
        // RFC 7009 §2.2: no cookie is nothing to revoke, which is no error.
        Err(e) if matches!(e.code, InvalidGrant) => return Ok(revoked(&state, true)),
        Err(e) => return Err(e),
    };
    let token = token.as_str();
    if let Some(sid) = SessionStore::session_of(token) {
        if state.sessions.holds_token(sid, token).await? {
            state.sessions.revoke(sid).await?;
        }
    } else if let Ok(claims) = state.keys.verify(token) {
        state.revocations.revoke_token(&claims).await?;
    }
    Ok(revoked(&state, cookie))
}

/// 200, clearing the refresh cookie when that is what was revoked.
fn revoked(state: &AppState, clear_cookie: bool) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    response.insert_header(("Cache-Control", "no-store"));
    if clear_cookie {
        response.cookie(Cookies::new(&state.config).refresh_removal());
    }
    response.finish()
}
