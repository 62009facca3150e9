//! Email verification (SPEC §12): a token mailed at signup (and on request) proves the
//! user reads mail at their address. `POST /api/v1/email/verify` spends it for an app;
//! `/account/verify-email` is Gatehouse's own page for the mailed link, whose GET only
//! shows a form (mail scanners open links) and whose POST spends the token.

use crate::error::{ApiError, Problem};
use crate::guards::Caller;
use crate::handlers::client::ClientInfo;
use crate::mail::Mail;
use crate::problems::ProblemKind;
use crate::signin::page_error::PageError;
use crate::signin::pages::{self, LinkQuery, MessagePage, PRODUCT};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use auth::sessions::token_hash;
use domain::UserId;
use persistence::repo::{email_tokens, users};
use persistence::{Mode, Tx};
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

const PURPOSE: &str = "verify_email";
/// SPEC §12: a verification link lives 24 hours.
const TOKEN_TTL: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// Writes a verification token for `email` and its mail into `tx` (256 random bits, only
/// the hash stored). Sent once `tx` commits: wake the mailer then.
pub async fn send_verification(
    state: &AppState,
    tx: &Tx,
    user: UserId,
    name: &str,
    email: &str,
) -> Result<(), ApiError> {
    let token = auth::random::token(32);
    let expires = chrono::Utc::now() + TOKEN_TTL;
    email_tokens::insert(tx, &token_hash(&token), user, PURPOSE, email, expires).await?;
    let mail = Mail::VerifyEmail {
        name: name.to_owned(),
        email: email.to_owned(),
        link: state.mailer.link("verify-email", &token),
    };
    state.mailer.enqueue(tx, email, &mail).await
}

/// Spends `token`: the address it was sent to is verified, if the user still has it.
async fn spend(state: &AppState, token: &str) -> Result<(), ApiError> {
    let invalid = || {
        ApiError::Refused(
            ProblemKind::TokenInvalid,
            "the link is invalid, used or expired; ask for a new mail".into(),
        )
    };
    let tx = Tx::global(&state.db, Mode::ReadWrite).await?;
    let spent = email_tokens::consume(&tx, &token_hash(token), PURPOSE)
        .await?
        .ok_or_else(invalid)?;
    if !email_tokens::verify_address(&tx, spent.user, &spent.email).await? {
        return Err(invalid());
    }
    Ok(tx.commit().await?)
}

#[derive(Deserialize, ToSchema, Validate)]
pub struct VerifyEmailRequest {
    /// The token of the mailed link (`?token=`).
    #[schema(min_length = 1, max_length = 128)]
    #[validate(length(min = 1, max = 128, message = "is not a token"))]
    pub token: String,
}

impl std::fmt::Debug for VerifyEmailRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyEmailRequest").finish_non_exhaustive()
    }
}

/// Verify an email address.
///
/// Public: the token proves the request. Spends the token of a verification mail (single
/// use, 24 hours) and marks its address verified. An unknown, used or expired token, or
/// one for an address the account has since left, is 400 `token-invalid`.
#[utoipa::path(post, path = "/api/v1/email/verify", tag = "me", operation_id = "verify_email",
    request_body = VerifyEmailRequest,
    responses(
        (status = 204, description = "Verified"),
        (status = 400, description = "`token-invalid`: unknown, used or expired", body = Problem),
        (status = 429, description = "Too many attempts from this client", body = Problem),
    ))]
pub async fn verify_email(
    state: web::Data<AppState>,
    client: ClientInfo,
    body: web::Json<VerifyEmailRequest>,
) -> Result<HttpResponse, ApiError> {
    client.rate_limit(&state, "email").await?;
    let body = crate::validate::check(body)?;
    spend(&state, &body.token).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Send the verification mail again.
///
/// Requires a user's access token. 202: a new link is on its way (earlier ones stay valid
/// until they expire); nothing is sent when the address is verified already. Limited per
/// client address like sign-in.
#[utoipa::path(post, path = "/api/v1/me/email/verify", tag = "me", operation_id = "resend_verification",
    responses(
        (status = 202, description = "A mail is on its way (or the address is verified already)"),
        (status = 429, description = "Too many requests from this client", body = Problem),
    ))]
pub async fn resend_verification(
    state: web::Data<AppState>,
    caller: Caller,
    client: ClientInfo,
) -> Result<HttpResponse, ApiError> {
    client.rate_limit(&state, "email").await?;
    let id = caller.user();
    let tx = Tx::global(&state.db, Mode::ReadWrite).await?;
    let user = users::find(&tx, id).await?.ok_or(ApiError::NotFound)?;
    if user.email_verified_at.is_none() {
        send_verification(&state, &tx, id, &user.display_name, &user.email).await?;
    }
    tx.commit().await?;
    state.mailer.wake();
    Ok(HttpResponse::Accepted().finish())
}

#[derive(Template)]
#[template(path = "verify_email.html")]
struct VerifyEmailPage<'a> {
    product: &'a str,
    token: &'a str,
}

/// `GET /account/verify-email?token=…`: a form, so opening the link spends nothing.
pub async fn verify_email_page(query: web::Query<LinkQuery>) -> Result<HttpResponse, PageError> {
    let token = query.token()?;
    let page = VerifyEmailPage {
        product: PRODUCT,
        token,
    };
    pages::respond(StatusCode::OK, &page, None, &[])
}

/// `POST /account/verify-email`: spends the token.
pub async fn verify_email_submit(
    state: web::Data<AppState>,
    client: ClientInfo,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    client.rate_limit(&state, "email").await?;
    let token: String = url::form_urlencoded::parse(&body)
        .find(|(name, _)| name == "token")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default();
    match spend(&state, &token).await {
        Ok(()) => {}
        Err(ApiError::Refused(ProblemKind::TokenInvalid, _)) => {
            return Err(PageError::bad_request(
                "This link is invalid, used or expired. Ask for a new mail from the app.",
            ));
        }
        Err(other) => return Err(other.into()),
    }
    let page = MessagePage {
        product: PRODUCT,
        title: "Address confirmed",
        message: "Your email address is confirmed.",
        hint: Some("You can close this page."),
    };
    pages::respond(StatusCode::OK, &page, None, &[])
}
