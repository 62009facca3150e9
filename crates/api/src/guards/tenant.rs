use super::Principal;
use crate::error::ApiError;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use domain::{ScopeSet, TenantId, UserId};
use std::future::{Ready, ready};

/// The tenant a request acts in, and who acts: only inside the tenant guard. The tenant is
/// what every unit of work of the handler sets for row-level security.
#[derive(Debug, Clone)]
pub struct TenantContext {
    pub tenant: TenantId,
    pub actor: UserId,
    pub scopes: ScopeSet,
    pub principal: Principal,
}

impl FromRequest for TenantContext {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    /// Fails closed outside the tenant guard.
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let principal = req.extensions().get::<Principal>().cloned();
        ready(match principal {
            Some(principal) => match principal.tenant {
                Some(tenant) => Ok(TenantContext {
                    tenant,
                    actor: principal.user,
                    scopes: principal.scopes,
                    principal,
                }),
                None => Err(ApiError::Forbidden(
                    "this operation needs a token for the tenant".into(),
                )),
            },
            None => Err(ApiError::Unauthorized(None)),
        })
    }
}
