use crate::error::ApiError;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use domain::authorize::OidcScopes;
use domain::{ApiKeyId, ScopeSet, SessionId, TenantId, UserId};
use std::future::{Ready, ready};
use uuid::Uuid;

/// Who is calling, put on the request once by the route's guard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// A user with an access token of one of their sessions, in a tenant or in none.
    User {
        user: UserId,
        session: SessionId,
        tenant: Option<TenantId>,
        scopes: ScopeSet,
        /// The OIDC scopes the token carries beside its permissions (`/oauth/userinfo`).
        oidc: OidcScopes,
    },
    /// An API key of a tenant, acting within its creator's current authority.
    ApiKey {
        key: ApiKeyId,
        creator: UserId,
        tenant: TenantId,
        scopes: ScopeSet,
    },
}

impl Caller {
    pub fn scopes(&self) -> ScopeSet {
        match self {
            Caller::User { scopes, .. } | Caller::ApiKey { scopes, .. } => *scopes,
        }
    }

    /// The OIDC scopes of a user's token (an API key has none).
    pub fn oidc(&self) -> OidcScopes {
        match self {
            Caller::User { oidc, .. } => *oidc,
            Caller::ApiKey { .. } => OidcScopes::default(),
        }
    }

    pub fn tenant(&self) -> Option<TenantId> {
        match self {
            Caller::User { tenant, .. } => *tenant,
            Caller::ApiKey { tenant, .. } => Some(*tenant),
        }
    }

    /// The user acted for: the caller, or an API key's creator (what `created_by` records,
    /// and what "the tasks one created" compares with).
    pub fn user(&self) -> UserId {
        match self {
            Caller::User { user, .. } => *user,
            Caller::ApiKey { creator, .. } => *creator,
        }
    }

    /// Who acts, for the audit log: the API key, or the user.
    pub fn actor(&self) -> Uuid {
        match self {
            Caller::User { user, .. } => user.0,
            Caller::ApiKey { key, .. } => key.0,
        }
    }

    /// The session of a user's token; an API key has none (401).
    pub fn session(&self) -> Result<SessionId, ApiError> {
        match self {
            Caller::User { session, .. } => Ok(*session),
            Caller::ApiKey { .. } => Err(ApiError::Unauthorized(None)),
        }
    }

    /// A user acting with their own token (never an API key): who may act as an owner.
    pub fn own_user(&self) -> Option<UserId> {
        match self {
            Caller::User { user, .. } => Some(*user),
            Caller::ApiKey { .. } => None,
        }
    }
}

/// Fails closed: a handler that takes a `Caller` on a route mounted without a guard
/// answers 401, never runs unauthenticated.
impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<Caller>()
                .cloned()
                .ok_or(ApiError::Unauthorized(None)),
        )
    }
}
