//! Errors of the sign-in pages: told to a person on a page, never as JSON, never
//! redirected (RFC 6749 §4.1.2.1: what cannot be sent back safely is shown here).

use crate::error::ApiError;
use crate::signin::pages::{MessagePage, PRODUCT};
use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, RETRY_AFTER};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// The request cannot go on; `message` says why.
    #[error("{title}: {message}")]
    Stop {
        status: StatusCode,
        title: &'static str,
        message: String,
    },
    /// Anything else, mapped as the API maps it (503, 429, 500), with its cause.
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl PageError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        PageError::Stop {
            status: StatusCode::BAD_REQUEST,
            title: "This sign-in cannot continue",
            message: message.into(),
        }
    }

    /// The sign-in's state is gone (expired, finished, or from another browser).
    pub fn expired() -> Self {
        PageError::bad_request(
            "This sign-in has expired or was completed already. Return to the application \
             and start again.",
        )
    }
}

impl From<auth::AuthError> for PageError {
    fn from(error: auth::AuthError) -> Self {
        PageError::Api(error.into())
    }
}

impl From<persistence::PersistenceError> for PageError {
    fn from(error: persistence::PersistenceError) -> Self {
        PageError::Api(error.into())
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::Stop { status, .. } => *status,
            PageError::Api(error) => error.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (title, message, retry_after) = match self {
            PageError::Stop { title, message, .. } => (*title, message.as_str(), None),
            PageError::Api(ApiError::TooManyRequests { retry_after_secs }) => (
                "Too many attempts",
                "Too many sign-in attempts came from here. Wait a little and try again.",
                Some(*retry_after_secs),
            ),
            PageError::Api(ApiError::Unavailable(_)) => (
                "Temporarily unavailable",
                "Sign-in is temporarily unavailable. Try again in a moment.",
                Some(1),
            ),
            PageError::Api(_) => (
                "Something went wrong",
                "An internal error stopped the sign-in. Try again; if it persists, quote the \
                 X-Request-Id of this page to the operator.",
                None,
            ),
        };
        let page = MessagePage {
            product: PRODUCT,
            title,
            message,
            hint: None,
        };
        let mut response = HttpResponse::build(self.status_code());
        response
            .content_type("text/html; charset=utf-8")
            .insert_header((CACHE_CONTROL, "no-store"))
            .insert_header((
                CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'self'; form-action 'none'; \
                 frame-ancestors 'none'; base-uri 'none'",
            ));
        if let Some(secs) = retry_after {
            response.insert_header((RETRY_AFTER, secs.to_string()));
        }
        response.body(page.render().unwrap_or_else(|_| message.to_owned()))
    }
}
