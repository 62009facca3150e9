use crate::error::ApiError;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use domain::{ScopeSet, SessionId, TenantId, UserId};
use std::future::{Ready, ready};
use uuid::Uuid;

/// The authenticated caller, put on the request by the route's guard: a user with an
/// access token (`session` set), or an API key (`api_key` set, acting in its tenant).
#[derive(Debug, Clone)]
pub struct Principal {
    /// The user, or for an API key its creator.
    pub user: UserId,
    pub tenant: Option<TenantId>,
    pub scopes: ScopeSet,
    pub session: Option<SessionId>,
    pub api_key: Option<Uuid>,
}

impl Principal {
    /// The session of a user's token (routes for users only).
    pub fn session(&self) -> Result<SessionId, ApiError> {
        self.session.ok_or(ApiError::Unauthorized(None))
    }

    /// Who acts, for the audit log: the API key, or the user.
    pub fn actor(&self) -> Uuid {
        self.api_key.unwrap_or(self.user.0)
    }
}

/// Fails closed: a handler that takes a `Principal` on a route mounted without a guard
/// answers 401, never runs unauthenticated.
impl FromRequest for Principal {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<Principal>()
                .cloned()
                .ok_or(ApiError::Unauthorized(None)),
        )
    }
}
