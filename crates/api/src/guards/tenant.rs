use super::Caller;
use crate::error::ApiError;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use domain::TenantId;
use std::future::{Ready, ready};

/// The tenant a request acts in, and who acts: put on the request by the tenant guard
/// once it has checked that the credential is for the tenant of the path.
#[derive(Debug, Clone)]
pub struct TenantContext {
    pub tenant: TenantId,
    pub caller: Caller,
}

impl FromRequest for TenantContext {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    /// Fails closed outside the tenant guard.
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<TenantContext>()
                .cloned()
                .ok_or(ApiError::Unauthorized(None)),
        )
    }
}
