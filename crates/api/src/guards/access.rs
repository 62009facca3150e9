use domain::{Scope, ScopeSet};

/// Who may call a route: declared once per route in `routes.rs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone; no credentials are read.
    Public,
    /// Any valid access token of a user, whatever its scopes or tenant.
    User,
    /// A user's access token or an API key.
    UserOrApiKey,
    /// A user's access token carrying the OIDC scope `openid` (no permission of the
    /// catalog: `/oauth/userinfo`).
    OpenId,
    /// A valid token holding every one of these scopes (routes outside a tenant).
    Scopes(&'static [Scope]),
    /// Inside `/api/v1/tenants/{tenant_id}`: a token of that tenant holding every one of
    /// these scopes.
    Tenant(&'static [Scope]),
    /// Inside a tenant: a token holding at least one of these scopes; the handler applies
    /// the finer rule (e.g. "tasks:write and creator, or projects:write").
    TenantAnyOf(&'static [Scope]),
}

impl Access {
    /// The scopes a token must hold all of (empty for "any of").
    pub fn required_scopes(self) -> ScopeSet {
        match self {
            Access::Scopes(scopes) | Access::Tenant(scopes) => scopes.iter().collect(),
            Access::Public
            | Access::User
            | Access::UserOrApiKey
            | Access::OpenId
            | Access::TenantAnyOf(_) => ScopeSet::EMPTY,
        }
    }

    /// Whether `held` satisfies this declaration's scope requirement.
    pub fn allows(self, held: ScopeSet) -> bool {
        match self {
            Access::TenantAnyOf(any) => any.iter().any(|s| held.contains(*s)),
            other => other.required_scopes().is_subset_of(held),
        }
    }

    /// The scope alternatives, as OpenAPI security requirements list them.
    pub fn alternatives(self) -> Vec<ScopeSet> {
        match self {
            Access::TenantAnyOf(any) => any.iter().map(|s| [*s].iter().collect()).collect(),
            other => vec![other.required_scopes()],
        }
    }

    /// Tenant routes and `UserOrApiKey` take `X-API-Key`.
    pub fn accepts_api_keys(self) -> bool {
        matches!(
            self,
            Access::UserOrApiKey | Access::Tenant(_) | Access::TenantAnyOf(_)
        )
    }

    pub fn is_tenant(self) -> bool {
        matches!(self, Access::Tenant(_) | Access::TenantAnyOf(_))
    }
}
