//! The hosted login page's forms (SPEC §11). Each posts its sign-in's `csrf` token, which
//! must belong to a live sign-in bound to this browser's login-state cookie; then:
//! `POST /login/password` proves the user (the password grant's rate limit, lockout and
//! identical errors) and starts the browser's sign-in session; `POST /login/tenant` picks
//! the tenant; `POST /login/consent` allows or denies the client.

use crate::error::OAuthErrorCode;
use crate::handlers::client::ClientInfo;
use crate::handlers::oauth::verify_password;
use crate::signin::cookies::Cookies;
use crate::signin::flow::{self, Binding};
use crate::signin::page_error::PageError;
use crate::signin::pages::{self, LoginPage, PRODUCT};
use crate::signin::pending::{Pending, SignedIn};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::http::header::RETRY_AFTER;
use actix_web::{HttpRequest, HttpResponse, web};
use auth::sessions::{NewSession, SessionKind, SessionStore};
use domain::authorize::AuthorizeError;
use domain::{AuthMethods, Authentication, SessionId};
use secrecy::SecretString;
use std::collections::HashMap;

/// A posted form's fields (the last of a repeated one; none of these may repeat usefully).
struct Fields(HashMap<String, String>);

impl Fields {
    fn read(body: &[u8]) -> Self {
        Self(url::form_urlencoded::parse(body).into_owned().collect())
    }

    fn get(&self, name: &str) -> &str {
        self.0.get(name).map(String::as_str).unwrap_or_default()
    }
}

/// A posted step: its fields, and the sign-in it belongs to, which must be live and bound
/// to this browser (its `csrf` field and its login-state cookie).
struct Step {
    fields: Fields,
    csrf: String,
    browser: String,
    pending: Pending,
}

impl Step {
    async fn read(state: &AppState, req: &HttpRequest, body: &[u8]) -> Result<Self, PageError> {
        let fields = Fields::read(body);
        let cookies = Cookies::new(&state.config);
        let browser = Cookies::read(req, &cookies.login_name()).ok_or_else(PageError::expired)?;
        let csrf = fields.get("csrf").to_owned();
        if csrf.is_empty() || csrf.len() > 64 {
            return Err(PageError::expired());
        }
        let pending: Pending = state
            .login_states
            .load(&csrf, &browser)
            .await?
            .ok_or_else(PageError::expired)?;
        Ok(Self {
            fields,
            csrf,
            browser,
            pending,
        })
    }

    fn binding(&self) -> Binding<'_> {
        Binding {
            csrf: &self.csrf,
            browser: &self.browser,
        }
    }
}

pub async fn submit_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    client: ClientInfo,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let mut step = Step::read(&state, &req, &body).await?;
    client.rate_limit(&state, "token").await?;
    let email = step.fields.get("email").trim().to_owned();
    let password = SecretString::from(step.fields.get("password").to_owned());
    let pending = &step.pending;
    let origin = flow::redirect_origin(&pending.request.redirect_uri);
    let tenant_hint = pending.request.tenant.clone();
    let user =
        match verify_password(&state, &email, password, tenant_hint.as_deref(), &client).await {
            Ok(user) => user,
            Err(error) => {
                // The password grant's words, on the page: the same for an unknown email and a
                // wrong password.
                let (status, retry_after) = match error.code {
                    OAuthErrorCode::TooManyRequests { retry_after_secs } => {
                        (StatusCode::TOO_MANY_REQUESTS, Some(retry_after_secs))
                    }
                    OAuthErrorCode::TemporarilyUnavailable => {
                        (StatusCode::SERVICE_UNAVAILABLE, Some(1))
                    }
                    OAuthErrorCode::ServerError => (StatusCode::INTERNAL_SERVER_ERROR, None),
                    _ => (StatusCode::BAD_REQUEST, None),
                };
                let message = sentence(&error.description);
                let page = LoginPage {
                    product: PRODUCT,
                    client_name: &pending.client_name,
                    csrf: &step.csrf,
                    email: &email,
                    error: Some(&message),
                };
                let mut response = pages::respond(status, &page, origin.as_deref(), &[])?;
                if let Some(secs) = retry_after
                    && let Ok(value) = secs.to_string().try_into()
                {
                    response.headers_mut().insert(RETRY_AFTER, value);
                }
                return Ok(response);
            }
        };
    // MFA (SPEC §12) goes here: a user with a second factor is asked for it before the
    // sign-in session starts, and `methods` then carries `otp`.
    let auth = Authentication {
        time: chrono::Utc::now().timestamp(),
        methods: AuthMethods::PASSWORD,
    };
    // A new password sign-in replaces the browser's previous one (`prompt=login`, another
    // account): the old session is revoked, not left behind in `/me/sessions`.
    crate::signin::session::end(&state, &req).await?;
    let session = SessionId::new();
    let token = SessionStore::new_refresh_token(session);
    state
        .sessions
        .create(
            session,
            &NewSession {
                kind: SessionKind::SignIn,
                client_id: None,
                auth,
                user: user.id,
                tenant: None,
                scope: String::new(),
                requested_scope: None,
                ip: client.ip_string(),
                user_agent: client.user_agent.clone(),
            },
            &token,
        )
        .await?;
    step.pending.user = Some(SignedIn {
        user: user.id,
        auth,
        session,
    });
    let cookies = vec![flow::session_cookie(&state, token)];
    let pending = step.pending.clone();
    flow::proceed(&state, &client, step.binding(), pending, cookies).await
}

pub async fn submit_tenant(
    state: web::Data<AppState>,
    req: HttpRequest,
    client: ClientInfo,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let step = Step::read(&state, &req, &body).await?;
    if step.pending.user.is_none() {
        return Err(PageError::expired());
    }
    let tenant = step.fields.get("tenant");
    if tenant.is_empty() {
        return Err(PageError::bad_request("Choose a workspace."));
    }
    // The choice goes through the same rule as a `tenant` parameter: it must be usable.
    let mut pending = step.pending.clone();
    pending.request.tenant = Some(tenant.to_owned());
    flow::proceed(&state, &client, step.binding(), pending, Vec::new()).await
}

pub async fn submit_consent(
    state: web::Data<AppState>,
    req: HttpRequest,
    client: ClientInfo,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let step = Step::read(&state, &req, &body).await?;
    let mut pending = step.pending.clone();
    if pending.user.is_none() || pending.tenant.is_none() {
        return Err(PageError::expired());
    }
    match step.fields.get("decision") {
        "allow" => pending.consented = true,
        "deny" => {
            let (csrf, browser) = (&step.csrf, &step.browser);
            state.login_states.take::<Pending>(csrf, browser).await?;
            return Ok(flow::refuse(
                &state,
                &pending,
                AuthorizeError::AccessDenied,
                "the user denied the request",
            ));
        }
        _ => return Err(PageError::bad_request("Choose Allow or Deny.")),
    }
    flow::proceed(&state, &client, step.binding(), pending, Vec::new()).await
}

/// "the email or password is incorrect" → "The email or password is incorrect."
fn sentence(description: &str) -> String {
    let mut chars = description.chars();
    let mut text: String = chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default();
    if !text.ends_with('.') {
        text.push('.');
    }
    text
}
