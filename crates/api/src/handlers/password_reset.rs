//! Password reset (SPEC §12). `POST /api/v1/password/forgot` answers alike for every
//! address — it only queues a reset request, and the mail sender decides whether an
//! account exists (`mail::Mailer::resolve`) — so neither its body nor its timing tells
//! whether an email is registered. `POST /api/v1/password/reset` (and the mailed link's
//! page, `/account/reset-password`, whose GET spends nothing) spends the token: the
//! policy applies, every session and access token of the user ends, the address counts as
//! verified, a notice is mailed, the lockout is cleared.

use crate::error::{ApiError, Problem};
use crate::handlers::client::ClientInfo;
use crate::mail::Mail;
use crate::problems::ProblemKind;
use crate::signin::page_error::PageError;
use crate::signin::pages::{self, LinkQuery, MessagePage, PRODUCT};
use crate::state::AppState;
use crate::validate;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use auth::rate_limit::Guessed;
use auth::sessions::token_hash;
use domain::{Email, NewPassword};
use persistence::repo::{email_tokens, users};
use persistence::{Mode, Tx};
use secrecy::SecretString;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

const PURPOSE: &str = "password_reset";

#[derive(Deserialize, ToSchema, Validate)]
pub struct ForgotPasswordRequest {
    #[schema(format = "email", max_length = 254)]
    #[validate(custom(function = "validate::email"))]
    pub email: String,
}

impl std::fmt::Debug for ForgotPasswordRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ForgotPasswordRequest")
            .finish_non_exhaustive()
    }
}

/// Ask for a password reset link.
///
/// Public. Always 202 with an empty body, for registered and unregistered addresses
/// alike: a link is mailed only if the address has an active account. Limited per client
/// address and per email address.
#[utoipa::path(post, path = "/api/v1/password/forgot", tag = "me", operation_id = "forgot_password",
    request_body = ForgotPasswordRequest,
    responses(
        (status = 202, description = "If the address has an account, a link is on its way"),
        (status = 422, description = "Not an email address", body = Problem),
        (status = 429, description = "Too many requests from this client or for this address", body = Problem),
    ))]
pub async fn forgot_password(
    state: web::Data<AppState>,
    client: ClientInfo,
    body: web::Json<ForgotPasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    client.rate_limit(&state, "password-reset").await?;
    let body = validate::check(body)?;
    let email = Email::parse(&body.email)?;
    let limit = state.config.login_rate;
    let per_address = token_hash(email.as_str());
    state
        .rate_limiter
        .check("password-reset-email", &per_address, limit)
        .await??;
    let tx = Tx::global(&state.db, Mode::ReadWrite).await?;
    let mail = Mail::PasswordResetRequest {
        email: email.as_str().to_owned(),
    };
    state.mailer.enqueue(&tx, email.as_str(), &mail).await?;
    tx.commit().await?;
    state.mailer.wake();
    Ok(HttpResponse::Accepted().finish())
}

#[derive(Deserialize, ToSchema, Validate)]
pub struct ResetPasswordRequest {
    /// The token of the mailed link (`?token=`).
    #[schema(min_length = 1, max_length = 128)]
    #[validate(length(min = 1, max = 128, message = "is not a token"))]
    pub token: String,
    #[schema(min_length = 12, max_length = 1024, format = "password")]
    #[validate(length(max = 1024, message = "is too long"))]
    pub new_password: String,
}

impl std::fmt::Debug for ResetPasswordRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResetPasswordRequest")
            .finish_non_exhaustive()
    }
}

/// Set a new password with a reset link's token.
///
/// Public: the token proves the request (single use, 30 minutes, void once the password
/// changed or a newer link was asked for). The password policy applies (422). Every
/// session and access token of the user ends; the address counts as verified; a notice
/// is mailed. 400 `token-invalid` for an unknown, used, expired or voided token.
#[utoipa::path(post, path = "/api/v1/password/reset", tag = "me", operation_id = "reset_password",
    request_body = ResetPasswordRequest,
    responses(
        (status = 204, description = "The password is changed"),
        (status = 400, description = "`token-invalid`", body = Problem),
        (status = 422, description = "The new password breaks the policy", body = Problem),
        (status = 429, description = "Too many attempts from this client", body = Problem),
    ))]
pub async fn reset_password(
    state: web::Data<AppState>,
    client: ClientInfo,
    body: web::Json<ResetPasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    client.rate_limit(&state, "password-reset").await?;
    let body = validate::check(body)?;
    reset(&state, &body.token, &body.new_password).await?;
    Ok(HttpResponse::NoContent().finish())
}

fn token_invalid() -> ApiError {
    ApiError::Refused(
        ProblemKind::TokenInvalid,
        "the link is invalid, used, expired or replaced by a newer one; ask for a new mail".into(),
    )
}

async fn reset(state: &AppState, token: &str, new_password: &str) -> Result<(), ApiError> {
    let tx = Tx::global(&state.db, Mode::ReadWrite).await?;
    let spent = email_tokens::consume(&tx, &token_hash(token), PURPOSE)
        .await?
        .ok_or_else(token_invalid)?;
    let user = users::find(&tx, spent.user)
        .await?
        .filter(|u| u.email == spent.email && u.password_changed_at < spent.created_at)
        .ok_or_else(token_invalid)?;
    let password = NewPassword::parse(new_password, &[&user.email, &user.display_name])
        .map_err(|e| ApiError::validation("new_password", e.message))?;
    let hash = state
        .hasher
        .hash(SecretString::from(password.expose().to_owned()))
        .await?;
    // Every session ends before the change commits and again after (one started in between
    // with the old password is caught too), as for a password change (SPEC §8).
    state.sessions.revoke_all(user.id, None).await?;
    users::change_password(&tx, user.id, &hash).await?;
    email_tokens::verify_address(&tx, user.id, &user.email).await?;
    let notice = Mail::PasswordChanged {
        name: user.display_name.clone(),
        email: user.email.clone(),
    };
    state.mailer.enqueue(&tx, &user.email, &notice).await?;
    tx.commit().await?;
    state.mailer.wake();
    state.sessions.revoke_all(user.id, None).await?;
    state.lockout.succeeded(Guessed::Login, &user.email).await?;
    Ok(())
}

#[derive(Template)]
#[template(path = "reset_password.html")]
struct ResetPasswordPage<'a> {
    product: &'a str,
    token: &'a str,
    error: Option<&'a str>,
}

/// `GET /account/reset-password?token=…`: the form; opening the link spends nothing.
pub async fn reset_password_page(query: web::Query<LinkQuery>) -> Result<HttpResponse, PageError> {
    let token = query.token()?;
    let page = ResetPasswordPage {
        product: PRODUCT,
        token,
        error: None,
    };
    pages::respond(StatusCode::OK, &page, None, &[])
}

/// `POST /account/reset-password`: spends the token.
pub async fn reset_password_submit(
    state: web::Data<AppState>,
    client: ClientInfo,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    client.rate_limit(&state, "password-reset").await?;
    let field = |name: &str| {
        url::form_urlencoded::parse(&body)
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    let (token, new_password) = (field("token"), field("new_password"));
    match reset(&state, &token, &new_password).await {
        Ok(()) => {
            let page = MessagePage {
                product: PRODUCT,
                title: "Password changed",
                message: "Your password is changed, and every session signed in with the old one has ended.",
                hint: Some("Sign in again with the new password."),
            };
            pages::respond(StatusCode::OK, &page, None, &[])
        }
        Err(ApiError::Validation(errors)) => {
            let message = errors
                .first()
                .map(|e| format!("The new password {}.", e.message))
                .unwrap_or_else(|| "Choose another password.".into());
            let page = ResetPasswordPage {
                product: PRODUCT,
                token: &token,
                error: Some(&message),
            };
            pages::respond(StatusCode::UNPROCESSABLE_ENTITY, &page, None, &[])
        }
        Err(ApiError::Refused(ProblemKind::TokenInvalid, _)) => Err(PageError::bad_request(
            "This link is invalid, used, expired or replaced by a newer one. Ask for a new mail.",
        )),
        Err(other) => Err(other.into()),
    }
}
