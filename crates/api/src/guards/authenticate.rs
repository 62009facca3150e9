//! The guard every non-public route is wrapped in: reads the bearer token once, verifies
//! it (signature, type, issuer, audience, times; a token verified before is recognised by
//! its exact text), checks the revocation lists (the local mirror, or one Redis round trip
//! when the mirror is not live; never a database read), enforces the route's declared
//! scopes, and leaves the [`Caller`] on the request (and, inside a tenant, the
//! [`TenantContext`]).

use super::{Access, Caller, TenantContext};
use crate::error::ApiError;
use crate::handlers::client::client_ip;
use crate::problems::ProblemKind;
use crate::state::AppState;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{AUTHORIZATION, HeaderMap};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use auth::revocation::Revoked;
use auth::token::TokenError;
use domain::TenantId;
use std::net::IpAddr;

/// A refusal is answered here, as a response (not an `Err`), so every middleware outside —
/// CORS, the security headers — decorates it like any other response.
pub async fn enforce<B: MessageBody>(
    access: Access,
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let verdict = authorize(access, &req).await;
    proceed(verdict, req, next).await
}

/// Continues with the request, or answers the refusal here.
async fn proceed<B: MessageBody>(
    verdict: Result<(), ApiError>,
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    match verdict {
        Ok(()) => Ok(next.call(req).await?.map_into_left_body()),
        Err(error) => Ok(req.error_response(error).map_into_right_body()),
    }
}

async fn authorize(access: Access, req: &ServiceRequest) -> Result<(), ApiError> {
    if access == Access::Public {
        return Ok(());
    }
    // Inside the tenant scope its guard has authenticated already, and checked the tenant.
    let existing = req.extensions().get::<Caller>().cloned();
    let caller = match existing {
        Some(caller) => caller,
        // A tenant route outside the tenant guard: a routing mistake, and it fails closed.
        None if access.is_tenant() => return Err(ApiError::Unauthorized(None)),
        None => {
            let state = app_state(req)?;
            let client = client_ip(req.request());
            let caller =
                credentials(&state, req.headers(), client, access.accepts_api_keys()).await?;
            req.extensions_mut().insert(caller.clone());
            caller
        }
    };
    if access == Access::OpenId && !caller.oidc().openid {
        return Err(ApiError::InsufficientScope("openid".into()));
    }
    if !access.allows(caller.scopes()) {
        let wanted = access
            .alternatives()
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join(" | ");
        return Err(ApiError::InsufficientScope(wanted));
    }
    Ok(())
}

fn app_state(req: &ServiceRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::Internal("application state missing".into()))
}

/// Wraps all of `/api/v1/tenants/{tenant_id}`: authenticates, and refuses a token of any
/// other tenant (or of none) with 403, decided from the token alone, before any lookup.
/// Every route inside also carries its own scope declaration.
pub async fn tenant_guard<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let verdict = authorize_tenant(&req).await;
    proceed(verdict, req, next).await
}

async fn authorize_tenant(req: &ServiceRequest) -> Result<(), ApiError> {
    let state = app_state(req)?;
    let client = client_ip(req.request());
    let caller = credentials(&state, req.headers(), client, true).await?;
    let path_tenant = req
        .match_info()
        .get("tenant_id")
        .and_then(|t| t.parse::<TenantId>().ok());
    // The one tenant check of a request.
    let tenant = match (caller.tenant(), path_tenant) {
        (Some(held), Some(path)) if held == path => held,
        _ => {
            return Err(ApiError::Refused(
                ProblemKind::WrongTenant,
                "this token is not for that tenant".into(),
            ));
        }
    };
    let mut extensions = req.extensions_mut();
    extensions.insert(TenantContext {
        tenant,
        caller: caller.clone(),
    });
    extensions.insert(caller);
    Ok(())
}

/// The bearer token of an `Authorization` header (RFC 6750 §2.1).
pub fn bearer_token(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| {
        ApiError::Unauthorized(Some("the Authorization header is malformed".into()))
    })?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Some(token.trim()))
        }
        _ => Err(ApiError::Unauthorized(Some(
            "expected `Authorization: Bearer <token>`".into(),
        ))),
    }
}

/// The request's credential: a bearer access token, or (where the route accepts them) an
/// API key, sent as `Authorization: Bearer gk_…` — one header whatever the credential, so a
/// generated client cannot put a token where a key goes — or as `X-API-Key: gk_…`.
pub async fn credentials(
    state: &AppState,
    headers: &HeaderMap,
    client: Option<IpAddr>,
    accept_api_key: bool,
) -> Result<Caller, ApiError> {
    let key = match bearer_token(headers)? {
        Some(token) if auth::api_key::looks_like_key(token) => token,
        Some(_) => return authenticate(state, headers).await,
        None => match headers.get("x-api-key") {
            Some(key) => key
                .to_str()
                .map_err(|_| ApiError::Unauthorized(Some("invalid API key".into())))?,
            None => return Err(ApiError::Unauthorized(None)),
        },
    };
    if !accept_api_key {
        return Err(ApiError::Unauthorized(Some(
            "API keys are not accepted for this operation".into(),
        )));
    }
    state.api_keys.authenticate(key, client).await
}

/// A user's bearer access token.
pub async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Caller, ApiError> {
    let token = bearer_token(headers)?.ok_or(ApiError::Unauthorized(None))?;
    let claims = state.keys.verify_cached(token).map_err(|error| {
        ApiError::Unauthorized(Some(match error {
            TokenError::Expired => "the access token has expired".into(),
            other => other.to_string(),
        }))
    })?;
    let (scopes, oidc) = domain::authorize::split_scope(&claims.scope)
        .map_err(|_| ApiError::Unauthorized(Some("the token carries an unknown scope".into())))?;
    // Fail closed: if neither the live mirror nor Redis can say the token stands, it does
    // not (503).
    match state.revocations.check(&claims).await? {
        None => {}
        Some(Revoked::Revoked) => {
            return Err(ApiError::Unauthorized(Some(
                "the token has been revoked".into(),
            )));
        }
        Some(Revoked::Reset) => {
            // SPEC §14: Redis lost its state; nothing issued before can be checked.
            return Err(ApiError::Unauthorized(Some("sessions were reset".into())));
        }
        Some(Revoked::PermissionsChanged) => {
            return Err(ApiError::Unauthorized(Some(
                "permissions changed since the token was issued; refresh it".into(),
            )));
        }
    }
    Ok(Caller::User {
        user: claims.sub,
        session: claims.sid,
        tenant: claims.tid,
        scopes,
        oidc,
    })
}
