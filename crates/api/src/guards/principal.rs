use crate::error::ApiError;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use auth::token::AccessClaims;
use domain::{ScopeSet, SessionId, TenantId, UserId};
use std::future::{Ready, ready};
use std::sync::Arc;

/// The authenticated caller, put on the request by the route's guard.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: UserId,
    pub tenant: Option<TenantId>,
    pub scopes: ScopeSet,
    pub session: SessionId,
    pub claims: Arc<AccessClaims>,
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
