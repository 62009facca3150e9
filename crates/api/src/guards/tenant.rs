use super::Principal;
use crate::error::ApiError;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use domain::{ScopeSet, TenantId, UserId};
use std::future::{Ready, ready};
use uuid::Uuid;

/// The tenant a request acts in, and who acts: only inside the tenant guard. The tenant is
/// what every unit of work of the handler sets for row-level security.
#[derive(Debug, Clone)]
pub struct TenantContext {
    pub tenant: TenantId,
    /// Who acts (a user or an API key): the audit log's actor.
    pub actor: Uuid,
    /// The user acted for: the caller, or an API key's creator (what `created_by` records,
    /// and what "the tasks one created" compares with). Never an owner through a key.
    pub user: Option<UserId>,
    pub scopes: ScopeSet,
    pub principal: Principal,
}

impl TenantContext {
    /// For `created_by` columns, which reference users.
    pub fn created_by(&self) -> Option<Uuid> {
        self.user.map(|u| u.0)
    }
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
                    actor: principal.actor(),
                    user: (!principal.user.0.is_nil()).then_some(principal.user),
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
