//! The permission catalog (SPEC §3): every scope Gatehouse knows, with its description,
//! and `ScopeSet`, the set algebra that grants and escalation checks are made of.

use std::fmt;

macro_rules! catalog {
    ($($variant:ident => $name:literal, $description:literal;)+) => {
        /// One permission of the fixed catalog. OAuth2 scopes and role permissions are both
        /// drawn from it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum Scope { $($variant),+ }

        impl Scope {
            /// The whole catalog, in display order.
            pub const ALL: &'static [Scope] = &[$(Scope::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(Scope::$variant => $name),+ }
            }

            pub fn description(self) -> &'static str {
                match self { $(Scope::$variant => $description),+ }
            }

            pub fn parse(name: &str) -> Option<Scope> {
                match name { $($name => Some(Scope::$variant),)+ _ => None }
            }
        }
    };
}

catalog! {
    TenantRead => "tenant:read", "Read the tenant";
    TenantWrite => "tenant:write", "Rename the tenant and change its settings";
    MembersRead => "members:read", "List members and invitations";
    MembersWrite => "members:write", "Invite, disable and remove members";
    RolesRead => "roles:read", "List roles";
    RolesWrite => "roles:write", "Create, edit and delete roles; assign roles to members";
    ApiKeysRead => "api-keys:read", "List API keys";
    ApiKeysWrite => "api-keys:write", "Create and revoke API keys";
    AuditRead => "audit:read", "Read the audit log";
    ProjectsRead => "projects:read", "Read projects";
    ProjectsWrite => "projects:write", "Create, edit and delete projects; edit and delete any task";
    TasksRead => "tasks:read", "Read tasks";
    TasksWrite => "tasks:write", "Create tasks; edit and delete the tasks one created";
    PlatformAdmin => "platform:admin", "Platform operators only: list, suspend and activate tenants";
}

impl Scope {
    /// Scopes a tenant role may hold; `platform:admin` comes from the user, never a role.
    pub fn is_tenant_scope(self) -> bool {
        self != Scope::PlatformAdmin
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown scope name (OAuth2 `invalid_scope`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope `{0}`")]
pub struct UnknownScope(pub String);

/// A set of scopes, as a bit set: checks on the request hot path allocate nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ScopeSet(u32);

impl ScopeSet {
    pub const EMPTY: ScopeSet = ScopeSet(0);

    pub fn all() -> Self {
        Scope::ALL.iter().copied().collect()
    }

    /// Every scope a tenant role can hold.
    pub fn all_tenant() -> Self {
        Scope::ALL
            .iter()
            .copied()
            .filter(|s| s.is_tenant_scope())
            .collect()
    }

    pub fn contains(self, scope: Scope) -> bool {
        self.0 & (1 << scope as u8) != 0
    }

    pub fn insert(&mut self, scope: Scope) {
        self.0 |= 1 << scope as u8;
    }

    pub fn union(self, other: ScopeSet) -> ScopeSet {
        ScopeSet(self.0 | other.0)
    }

    pub fn intersection(self, other: ScopeSet) -> ScopeSet {
        ScopeSet(self.0 & other.0)
    }

    /// The scopes of `self` that `other` lacks.
    pub fn difference(self, other: ScopeSet) -> ScopeSet {
        ScopeSet(self.0 & !other.0)
    }

    pub fn is_subset_of(self, other: ScopeSet) -> bool {
        self.0 & !other.0 == 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL
            .iter()
            .copied()
            .filter(move |s| self.contains(*s))
    }

    /// Parses an OAuth2 `scope` parameter (RFC 6749 §3.3: space-delimited).
    pub fn parse_space_delimited(text: &str) -> Result<Self, UnknownScope> {
        text.split(' ')
            .filter(|s| !s.is_empty())
            .map(|name| Scope::parse(name).ok_or_else(|| UnknownScope(name.to_owned())))
            .collect()
    }

    /// Parses a list of names, as stored in a role's `permissions`.
    pub fn parse_names<S: AsRef<str>>(names: &[S]) -> Result<Self, UnknownScope> {
        names
            .iter()
            .map(|n| Scope::parse(n.as_ref()).ok_or_else(|| UnknownScope(n.as_ref().to_owned())))
            .collect()
    }

    pub fn names(self) -> Vec<String> {
        self.iter().map(|s| s.as_str().to_owned()).collect()
    }
}

impl FromIterator<Scope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        let mut set = ScopeSet::EMPTY;
        for scope in iter {
            set.insert(scope);
        }
        set
    }
}

impl<'a> FromIterator<&'a Scope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = &'a Scope>>(iter: I) -> Self {
        iter.into_iter().copied().collect()
    }
}

/// Space-delimited, in catalog order: the OAuth2 `scope` wire format.
impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for scope in self.iter() {
            if !first {
                f.write_str(" ")?;
            }
            f.write_str(scope.as_str())?;
            first = false;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_names_round_trip() {
        for scope in Scope::ALL {
            assert_eq!(Scope::parse(scope.as_str()), Some(*scope));
        }
        assert_eq!(Scope::ALL.len(), 14);
    }

    #[test]
    fn parses_and_prints_space_delimited() {
        let set = ScopeSet::parse_space_delimited("tasks:read  tenant:read").unwrap();
        assert_eq!(set.to_string(), "tenant:read tasks:read");
        assert_eq!(
            ScopeSet::parse_space_delimited("tenant:read bogus"),
            Err(UnknownScope("bogus".into()))
        );
    }

    #[test]
    fn subset_and_intersection() {
        let read: ScopeSet = [Scope::TenantRead].iter().collect();
        let both: ScopeSet = [Scope::TenantRead, Scope::TenantWrite].iter().collect();
        assert!(read.is_subset_of(both));
        assert!(!both.is_subset_of(read));
        assert_eq!(both.intersection(read), read);
        assert!(!ScopeSet::all_tenant().contains(Scope::PlatformAdmin));
    }
}
