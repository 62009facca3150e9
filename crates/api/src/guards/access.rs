use domain::{Scope, ScopeSet};

/// Who may call a route: declared once per route in `routes.rs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone; no credentials are read.
    Public,
    /// Any valid access token of a user, whatever its scopes or tenant.
    User,
    /// A valid access token holding every one of these scopes.
    Scopes(&'static [Scope]),
}

impl Access {
    pub fn required_scopes(self) -> ScopeSet {
        match self {
            Access::Scopes(scopes) => scopes.iter().collect(),
            Access::Public | Access::User => ScopeSet::EMPTY,
        }
    }
}
