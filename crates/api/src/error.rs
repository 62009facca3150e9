//! The one mapping from every error of every crate to HTTP: RFC 9457 problem details
//! (`application/problem+json`), RFC 6750 `WWW-Authenticate` challenges, and 5xx bodies
//! that carry no internals (the cause goes to the log, next to the request id).

use crate::problems::ProblemKind;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use auth::AuthError;
use domain::ValidationError;
use domain::policy::Denied;
use persistence::{PersistenceError, Unique};

/// The cause of a 5xx, kept for the log (the whole `source()` chain), never sent.
pub type Cause = Box<dyn std::error::Error + Send + Sync>;
use serde::Serialize;
use utoipa::ToSchema;

/// One invalid field of a request (`errors` of a 422 problem).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// RFC 9457 problem details.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"type": "http://localhost:8080/problems/slug-taken", "title": "Slug taken", "status": 409, "detail": "this slug is taken"}))]
pub struct Problem {
    /// `{GATEHOUSE_PUBLIC_URL}/problems/<kind>`: one per kind of error, stable, and a page
    /// describing the kind when fetched. Branch on its last segment: `validation`,
    /// `slug-taken`, `email-taken`, `last-owner`, `insufficient-scope`, … (the list is at
    /// `/problems`).
    #[serde(rename = "type")]
    pub kind: String,
    /// The kind's title: the same for every problem of the kind.
    pub title: String,
    /// The HTTP status, repeated.
    pub status: u16,
    /// What went wrong in this occurrence, for a person to read.
    pub detail: String,
    /// The invalid fields (`validation` problems only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub errors: Option<Vec<FieldError>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// No credentials (`None`), or credentials that were rejected (`Some(description)`).
    #[error("unauthorized")]
    Unauthorized(Option<String>),
    /// A rule of the service refuses the request: a 403 or 409 kind, and what happened.
    #[error("refused ({kind}): {1}", kind = .0.slug())]
    Refused(ProblemKind, String),
    /// RFC 6750 §3.1 `insufficient_scope`, naming the scopes the route requires.
    #[error("insufficient scope, requires {0}")]
    InsufficientScope(String),
    #[error("not found")]
    NotFound,
    /// RFC 9110 §15.5.6: the answer names the methods the resource does allow.
    #[error("method not allowed")]
    MethodNotAllowed { allow: String },
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    /// A dependency (Postgres, Redis, the hashing pool) cannot answer: fail closed.
    #[error("service unavailable")]
    Unavailable(#[source] Cause),
    #[error("internal error")]
    Internal(#[source] Cause),
}

impl ApiError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    fn detail(&self) -> String {
        match self {
            ApiError::BadRequest(detail) | ApiError::Refused(_, detail) => detail.clone(),
            ApiError::UnsupportedMediaType(detail) => detail.clone(),
            ApiError::Validation(_) => {
                "the request is well-formed but some fields are invalid".into()
            }
            ApiError::Unauthorized(None) => "authentication is required".into(),
            ApiError::Unauthorized(Some(description)) => description.clone(),
            ApiError::InsufficientScope(scopes) => {
                format!("this operation requires the scope(s): {scopes}")
            }
            ApiError::NotFound => "no such resource".into(),
            ApiError::MethodNotAllowed { .. } => {
                "this method is not allowed on this resource".into()
            }
            ApiError::PayloadTooLarge => "the request body is too large".into(),
            ApiError::TooManyRequests { .. } => "too many requests; retry later".into(),
            ApiError::Unavailable(_) => "a dependency is unavailable; retry later".into(),
            ApiError::Internal(_) => "an internal error occurred".into(),
        }
    }

    /// The kind of problem, which fixes the status, the title and the `type` URI.
    pub fn kind(&self) -> ProblemKind {
        match self {
            ApiError::BadRequest(_) => ProblemKind::BadRequest,
            ApiError::Validation(_) => ProblemKind::Validation,
            ApiError::Unauthorized(None) => ProblemKind::AuthenticationRequired,
            ApiError::Unauthorized(Some(_)) => ProblemKind::InvalidCredentials,
            ApiError::InsufficientScope(_) => ProblemKind::InsufficientScope,
            ApiError::NotFound => ProblemKind::NotFound,
            ApiError::MethodNotAllowed { .. } => ProblemKind::MethodNotAllowed,
            ApiError::Refused(kind, _) => *kind,
            ApiError::PayloadTooLarge => ProblemKind::PayloadTooLarge,
            ApiError::UnsupportedMediaType(_) => ProblemKind::UnsupportedMediaType,
            ApiError::TooManyRequests { .. } => ProblemKind::RateLimited,
            ApiError::Unavailable(_) => ProblemKind::Unavailable,
            ApiError::Internal(_) => ProblemKind::InternalError,
        }
    }

    /// The problem, its `type` under `public_url` (`""` gives a relative one: see
    /// `startup::problem_for_bare_errors`, which renders it again with the configured URL).
    pub fn problem(&self, public_url: &str) -> Problem {
        let kind = self.kind();
        Problem {
            kind: kind.uri(public_url),
            title: kind.title().into(),
            status: self.status_code().as_u16(),
            detail: self.detail(),
            errors: match self {
                ApiError::Validation(errors) => Some(errors.clone()),
                _ => None,
            },
        }
    }

    /// The problem answer with its headers (challenges, `Retry-After`, `Allow`).
    pub fn problem_response(&self, public_url: &str) -> HttpResponse {
        let status = self.status_code();
        let problem = self.problem(public_url);
        let mut response = HttpResponse::build(status);
        response.content_type("application/problem+json");
        match self {
            // RFC 6750 §3: a challenge on every 401; `error` only when a token was sent.
            ApiError::Unauthorized(None) => {
                response.insert_header((header::WWW_AUTHENTICATE, r#"Bearer realm="gatehouse""#));
            }
            ApiError::Unauthorized(Some(description)) => {
                let value = format!(
                    r#"Bearer realm="gatehouse", error="invalid_token", error_description="{}""#,
                    quote_safe(description)
                );
                if let Ok(value) = HeaderValue::from_str(&value) {
                    response.insert_header((header::WWW_AUTHENTICATE, value));
                }
            }
            ApiError::InsufficientScope(scopes) => {
                let value = format!(
                    r#"Bearer realm="gatehouse", error="insufficient_scope", scope="{}""#,
                    quote_safe(scopes)
                );
                if let Ok(value) = HeaderValue::from_str(&value) {
                    response.insert_header((header::WWW_AUTHENTICATE, value));
                }
            }
            ApiError::TooManyRequests { retry_after_secs } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.max(&1).to_string()));
            }
            ApiError::Unavailable(_) => {
                response.insert_header((header::RETRY_AFTER, "1"));
            }
            ApiError::MethodNotAllowed { allow } => {
                if let Ok(value) = HeaderValue::from_str(allow) {
                    response.insert_header((header::ALLOW, value));
                }
            }
            _ => {}
        }
        response.body(serde_json::to_string(&problem).unwrap_or_default())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.kind().status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal(cause) => {
                tracing::error!(error.cause = %chain(cause.as_ref()), "internal error")
            }
            ApiError::Unavailable(cause) => {
                tracing::warn!(error.cause = %chain(cause.as_ref()), "dependency unavailable")
            }
            _ => {}
        }
        self.problem_response("")
    }
}

/// An error and its causes, outermost first: "a: b: c".
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// RFC 6750 auth-param values are quoted-strings of a restricted character set.
fn quote_safe(text: &str) -> String {
    text.chars()
        .filter(|c| matches!(c, ' ' | '!' | '#'..='[' | ']'..='~'))
        .collect()
}

impl From<PersistenceError> for ApiError {
    fn from(error: PersistenceError) -> Self {
        match error {
            PersistenceError::Unavailable(_) => ApiError::Unavailable(Box::new(error)),
            PersistenceError::NotFound => ApiError::NotFound,
            // The constraint's name is schema detail: it never reaches a client (SPEC §8).
            PersistenceError::Conflict(unique) => {
                let (kind, detail) = match unique {
                    Unique::TenantSlug => (ProblemKind::SlugTaken, "this slug is taken"),
                    Unique::UserEmail => {
                        (ProblemKind::EmailTaken, "this email is already registered")
                    }
                    Unique::RoleName => {
                        (ProblemKind::RoleNameTaken, "a role with this name exists")
                    }
                    Unique::ClientId => (
                        ProblemKind::ClientIdTaken,
                        "a client with this client_id exists",
                    ),
                    Unique::Other => (
                        ProblemKind::Conflict,
                        "a resource with these values already exists",
                    ),
                };
                ApiError::Refused(kind, detail.into())
            }
            other => ApiError::Internal(Box::new(other)),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::Unavailable(_) | AuthError::Overloaded => {
                ApiError::Unavailable(Box::new(error))
            }
            AuthError::Internal(_) => ApiError::Internal(Box::new(error)),
        }
    }
}

/// A rate limit or lockout said "not yet": 429 with `Retry-After`.
impl From<auth::rate_limit::RetryAfter> for ApiError {
    fn from(wait: auth::rate_limit::RetryAfter) -> Self {
        ApiError::TooManyRequests {
            retry_after_secs: wait.secs(),
        }
    }
}

/// The domain's authorization rules: 409 for a state the change would break, 403 otherwise
/// (the kind decides).
impl From<Denied> for ApiError {
    fn from(denied: Denied) -> Self {
        let kind = match denied {
            Denied::LastOwner => ProblemKind::LastOwner,
            Denied::BuiltinRole => ProblemKind::BuiltInRole,
            Denied::Escalation { .. } => ProblemKind::Escalation,
            Denied::OwnerOnly(_) => ProblemKind::OwnerOnly,
            Denied::NotTaskCreator => ProblemKind::NotTaskCreator,
        };
        ApiError::Refused(kind, denied.to_string())
    }
}

impl From<ValidationError> for ApiError {
    fn from(error: ValidationError) -> Self {
        ApiError::validation(error.field, error.message)
    }
}

/// Collects the validation errors of several fields into one 422.
#[derive(Default)]
pub struct Validator(Vec<FieldError>);

impl Validator {
    pub fn check<T>(&mut self, result: Result<T, ValidationError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.0.push(FieldError {
                    field: error.field.into(),
                    message: error.message,
                });
                None
            }
        }
    }

    /// Renames the field of a nested value (`name` → `tenant.name`).
    pub fn check_as<T>(&mut self, field: &str, result: Result<T, ValidationError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.0.push(FieldError {
                    field: field.into(),
                    message: error.message,
                });
                None
            }
        }
    }

    pub fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.0))
        }
    }
}

/// RFC 6749 §5.2 error codes of the token and revocation endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthErrorCode {
    InvalidRequest,
    /// §5.2: the client is unknown or failed to authenticate (401).
    InvalidClient,
    InvalidGrant,
    UnsupportedGrantType,
    InvalidScope,
    /// Not in §5.2; used (as RFC 6749 §4.1.2.1 does) for load shedding with 503.
    TemporarilyUnavailable,
    /// Rate limited or locked out: 429 with `Retry-After`, reported as
    /// `temporarily_unavailable`.
    TooManyRequests {
        retry_after_secs: u64,
    },
    ServerError,
}

impl OAuthErrorCode {
    fn as_str(self) -> &'static str {
        match self {
            OAuthErrorCode::InvalidRequest => "invalid_request",
            OAuthErrorCode::InvalidClient => "invalid_client",
            OAuthErrorCode::InvalidGrant => "invalid_grant",
            OAuthErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            OAuthErrorCode::InvalidScope => "invalid_scope",
            OAuthErrorCode::TemporarilyUnavailable | OAuthErrorCode::TooManyRequests { .. } => {
                "temporarily_unavailable"
            }
            OAuthErrorCode::ServerError => "server_error",
        }
    }
}

/// An error of `/oauth/*`: `{"error", "error_description"}`, never cached.
#[derive(Debug, thiserror::Error)]
#[error("{}: {description}", code.as_str())]
pub struct OAuthError {
    pub code: OAuthErrorCode,
    pub description: String,
}

/// The body of an OAuth error (RFC 6749 §5.2).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"error": "invalid_grant", "error_description": "the email or password is incorrect"}))]
pub struct OAuthErrorBody {
    /// `invalid_request`, `invalid_grant`, `unsupported_grant_type`, `invalid_scope`, `temporarily_unavailable`
    pub error: String,
    pub error_description: String,
}

impl OAuthError {
    pub fn new(code: OAuthErrorCode, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
        }
    }
}

impl From<ApiError> for OAuthError {
    fn from(error: ApiError) -> Self {
        match error {
            ApiError::Unavailable(cause) => {
                tracing::warn!(error.cause = %cause, "dependency unavailable");
                OAuthError::new(
                    OAuthErrorCode::TemporarilyUnavailable,
                    "the service is busy or a dependency is unavailable; retry later",
                )
            }
            ApiError::TooManyRequests { retry_after_secs } => OAuthError::new(
                OAuthErrorCode::TooManyRequests { retry_after_secs },
                "too many requests; retry later",
            ),
            ApiError::Internal(cause) => {
                tracing::error!(error.cause = %cause, "internal error");
                OAuthError::new(OAuthErrorCode::ServerError, "an internal error occurred")
            }
            other => OAuthError::new(OAuthErrorCode::InvalidRequest, other.to_string()),
        }
    }
}

impl From<AuthError> for OAuthError {
    fn from(error: AuthError) -> Self {
        ApiError::from(error).into()
    }
}

impl From<PersistenceError> for OAuthError {
    fn from(error: PersistenceError) -> Self {
        ApiError::from(error).into()
    }
}

impl ResponseError for OAuthError {
    fn status_code(&self) -> StatusCode {
        match self.code {
            OAuthErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            OAuthErrorCode::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            OAuthErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
            OAuthErrorCode::InvalidClient => StatusCode::UNAUTHORIZED,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::PRAGMA, "no-cache"));
        match self.code {
            OAuthErrorCode::TemporarilyUnavailable => {
                response.insert_header((header::RETRY_AFTER, "1"));
            }
            // §5.2: a 401 names the scheme the client may authenticate with.
            OAuthErrorCode::InvalidClient => {
                response.insert_header((header::WWW_AUTHENTICATE, r#"Basic realm="gatehouse""#));
            }
            OAuthErrorCode::TooManyRequests { retry_after_secs } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.max(1).to_string()));
            }
            _ => {}
        }
        response.json(OAuthErrorBody {
            error: self.code.as_str().into(),
            error_description: self.description.clone(),
        })
    }
}
