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

        /// In an OpenAPI document: a string, one of the catalog's names.
        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for Scope {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .description(Some("A permission of the catalog (`GET /api/v1/permissions`)"))
                    .enum_values(Some([$($name),+]))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for Scope {}
    };
}

pub(crate) use catalog as scope_catalog;

pub use crate::catalog::Scope;

impl Scope {
    /// Scopes a tenant role may hold; `platform:admin` comes from the user, never a role.
    pub fn is_tenant_scope(self) -> bool {
        self != Scope::PlatformAdmin
    }
}

/// In an OpenAPI document, what a role, an API key or an invitation may carry: the
/// catalog's tenant scopes (`platform:admin` is refused there with 422).
#[cfg(feature = "openapi")]
pub struct TenantScope;

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for TenantScope {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let names = Scope::ALL
            .iter()
            .filter(|s| s.is_tenant_scope())
            .map(|s| s.as_str());
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "A tenant permission of the catalog (`GET /api/v1/permissions`)",
            ))
            .enum_values(Some(names))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for TenantScope {}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown scope name (OAuth2 `invalid_scope`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope `{0}`")]
pub struct UnknownScope(pub String);

/// A set of scopes, as a bit set: checks on the request hot path allocate nothing. Stored
/// as the `text[]` of its names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(
    feature = "diesel",
    derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)
)]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Array<diesel::sql_types::Text>))]
pub struct ScopeSet(u32);

/// A stored name outside the catalog is corrupt data: an error, never "no permission".
#[cfg(feature = "diesel")]
impl diesel::deserialize::FromSql<diesel::sql_types::Array<diesel::sql_types::Text>, diesel::pg::Pg>
    for ScopeSet
{
    fn from_sql(bytes: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
        let names = <Vec<String> as diesel::deserialize::FromSql<
            diesel::sql_types::Array<diesel::sql_types::Text>,
            diesel::pg::Pg,
        >>::from_sql(bytes)?;
        Ok(ScopeSet::parse_names(&names)?)
    }
}

#[cfg(feature = "diesel")]
impl diesel::serialize::ToSql<diesel::sql_types::Array<diesel::sql_types::Text>, diesel::pg::Pg>
    for ScopeSet
{
    fn to_sql<'b>(
        &'b self,
        out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
    ) -> diesel::serialize::Result {
        let names = self.names();
        <Vec<String> as diesel::serialize::ToSql<
            diesel::sql_types::Array<diesel::sql_types::Text>,
            diesel::pg::Pg,
        >>::to_sql(&names, &mut out.reborrow())
    }
}

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

/// As its wire format: a space-delimited string (stored so in short-lived Redis state).
impl serde::Serialize for ScopeSet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for ScopeSet {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        ScopeSet::parse_space_delimited(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

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

    fn set(scopes: &[Scope]) -> ScopeSet {
        scopes.iter().collect()
    }

    #[test]
    fn catalog_names_and_descriptions_are_distinct_and_non_empty() {
        let names: HashSet<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
        let descriptions: HashSet<&str> = Scope::ALL.iter().map(|s| s.description()).collect();
        assert_eq!(names.len(), Scope::ALL.len());
        assert_eq!(descriptions.len(), Scope::ALL.len());
        assert!(!names.contains(""));
        assert!(!descriptions.contains(""));
    }

    #[test]
    fn unknown_or_miscased_scope_names_do_not_parse() {
        for bad in ["", "tenant", "Tenant:read", "tenant:read ", "tenant:admin"] {
            assert_eq!(Scope::parse(bad), None, "{bad:?} parsed");
        }
    }

    #[test]
    fn scope_displays_as_its_catalog_name() {
        assert_eq!(Scope::ApiKeysWrite.to_string(), "api-keys:write");
        assert_eq!(Scope::PlatformAdmin.to_string(), "platform:admin");
    }

    #[test]
    fn only_platform_admin_is_outside_the_tenant_scopes() {
        for scope in Scope::ALL {
            assert_eq!(
                scope.is_tenant_scope(),
                *scope != Scope::PlatformAdmin,
                "{scope}"
            );
        }
    }

    #[test]
    fn all_holds_the_whole_catalog() {
        let all = ScopeSet::all();
        for scope in Scope::ALL {
            assert!(all.contains(*scope), "{scope} missing");
        }
        assert_eq!(all.iter().count(), Scope::ALL.len());
    }

    #[test]
    fn all_tenant_is_the_catalog_less_platform_admin() {
        let tenant = ScopeSet::all_tenant();
        assert_eq!(tenant.iter().count(), Scope::ALL.len() - 1);
        assert!(tenant.contains(Scope::TenantRead));
        assert!(tenant.contains(Scope::TasksWrite));
        assert!(!tenant.contains(Scope::PlatformAdmin));
        assert!(tenant.is_subset_of(ScopeSet::all()));
        assert_eq!(tenant.union(set(&[Scope::PlatformAdmin])), ScopeSet::all());
    }

    #[test]
    fn empty_set_contains_nothing() {
        assert!(ScopeSet::EMPTY.is_empty());
        assert_eq!(ScopeSet::default(), ScopeSet::EMPTY);
        for scope in Scope::ALL {
            assert!(!ScopeSet::EMPTY.contains(*scope));
        }
        assert_eq!(ScopeSet::EMPTY.iter().next(), None);
    }

    #[test]
    fn a_set_with_one_scope_is_not_empty() {
        for scope in Scope::ALL {
            assert!(!set(&[*scope]).is_empty(), "{scope}");
        }
    }

    #[test]
    fn a_set_contains_exactly_what_was_inserted() {
        for scope in Scope::ALL {
            let mut one = ScopeSet::EMPTY;
            one.insert(*scope);
            for other in Scope::ALL {
                assert_eq!(one.contains(*other), other == scope, "{scope} / {other}");
            }
        }
    }

    #[test]
    fn inserting_a_present_scope_keeps_it() {
        let mut s = set(&[Scope::RolesRead, Scope::AuditRead]);
        s.insert(Scope::RolesRead);
        assert_eq!(s, set(&[Scope::RolesRead, Scope::AuditRead]));
        assert!(s.contains(Scope::RolesRead));
    }

    #[test]
    fn union_keeps_scopes_of_either_side() {
        let left = set(&[Scope::TenantRead, Scope::MembersRead]);
        let right = set(&[Scope::MembersRead, Scope::AuditRead]);
        assert_eq!(
            left.union(right),
            set(&[Scope::TenantRead, Scope::MembersRead, Scope::AuditRead])
        );
    }

    #[test]
    fn intersection_keeps_only_shared_scopes() {
        let left = set(&[Scope::TenantRead, Scope::MembersRead]);
        let right = set(&[Scope::MembersRead, Scope::AuditRead]);
        assert_eq!(left.intersection(right), set(&[Scope::MembersRead]));
        assert!(left.intersection(set(&[Scope::AuditRead])).is_empty());
    }

    #[test]
    fn difference_keeps_the_scopes_the_other_set_lacks() {
        let granted = set(&[Scope::TenantRead, Scope::AuditRead, Scope::TasksWrite]);
        let held = set(&[Scope::TenantRead, Scope::ProjectsRead]);
        assert_eq!(
            granted.difference(held),
            set(&[Scope::AuditRead, Scope::TasksWrite])
        );
        assert_eq!(held.difference(granted), set(&[Scope::ProjectsRead]));
        assert_eq!(granted.difference(granted), ScopeSet::EMPTY);
        assert_eq!(granted.difference(ScopeSet::EMPTY), granted);
        assert_eq!(ScopeSet::EMPTY.difference(granted), ScopeSet::EMPTY);
    }

    #[test]
    fn a_set_with_a_scope_outside_another_is_not_its_subset() {
        let granted = set(&[Scope::TasksRead, Scope::TasksWrite]);
        let wanted = set(&[Scope::TasksRead, Scope::ProjectsWrite]);
        assert!(!wanted.is_subset_of(granted));
        assert!(wanted.is_subset_of(wanted));
        assert!(ScopeSet::EMPTY.is_subset_of(granted));
        assert!(!granted.is_subset_of(ScopeSet::EMPTY));
    }

    #[test]
    fn iterates_in_catalog_order() {
        let s = set(&[Scope::PlatformAdmin, Scope::TasksRead, Scope::TenantRead]);
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            vec![Scope::TenantRead, Scope::TasksRead, Scope::PlatformAdmin]
        );
    }

    #[test]
    fn names_are_the_catalog_names_in_catalog_order() {
        let s = set(&[Scope::AuditRead, Scope::TenantWrite]);
        assert_eq!(s.names(), vec!["tenant:write", "audit:read"]);
        assert!(ScopeSet::EMPTY.names().is_empty());
    }

    #[test]
    fn space_delimited_empty_text_is_the_empty_set() {
        assert_eq!(ScopeSet::parse_space_delimited(""), Ok(ScopeSet::EMPTY));
        assert_eq!(ScopeSet::parse_space_delimited("   "), Ok(ScopeSet::EMPTY));
    }

    #[test]
    fn space_delimited_is_split_on_spaces_only() {
        assert_eq!(
            ScopeSet::parse_space_delimited("tenant:read\ttasks:read"),
            Err(UnknownScope("tenant:read\ttasks:read".into()))
        );
        assert_eq!(
            ScopeSet::parse_space_delimited(" audit:read  roles:write "),
            Ok(set(&[Scope::AuditRead, Scope::RolesWrite]))
        );
    }

    #[test]
    fn parse_names_reads_a_role_permission_list() {
        assert_eq!(
            ScopeSet::parse_names(&["members:read", "api-keys:write"]),
            Ok(set(&[Scope::MembersRead, Scope::ApiKeysWrite]))
        );
        assert_eq!(
            ScopeSet::parse_names(&[String::from("roles:read"), String::from("roles:read")]),
            Ok(set(&[Scope::RolesRead]))
        );
        assert_eq!(ScopeSet::parse_names::<&str>(&[]), Ok(ScopeSet::EMPTY));
    }

    #[test]
    fn parse_names_rejects_the_first_unknown_name() {
        assert_eq!(
            ScopeSet::parse_names(&["tenant:read", "nope", "also-nope"]),
            Err(UnknownScope("nope".into()))
        );
        assert_eq!(
            ScopeSet::parse_names(&[""]),
            Err(UnknownScope(String::new()))
        );
    }

    #[test]
    fn unknown_scope_error_names_the_scope() {
        assert_eq!(
            UnknownScope("bogus".into()).to_string(),
            "unknown scope `bogus`"
        );
    }

    #[test]
    fn empty_set_displays_as_empty_text() {
        assert_eq!(ScopeSet::EMPTY.to_string(), "");
        assert_eq!(set(&[Scope::AuditRead]).to_string(), "audit:read");
    }

    fn scope_set() -> impl Strategy<Value = HashSet<Scope>> {
        proptest::collection::hash_set(proptest::sample::select(Scope::ALL), 0..=Scope::ALL.len())
    }

    fn from_model(model: &HashSet<Scope>) -> ScopeSet {
        model.iter().collect()
    }

    fn to_model(set: ScopeSet) -> HashSet<Scope> {
        set.iter().collect()
    }

    proptest! {
        #[test]
        fn set_holds_exactly_the_scopes_it_was_built_from(model in scope_set()) {
            let s = from_model(&model);
            prop_assert_eq!(to_model(s), model.clone());
            prop_assert_eq!(s.is_empty(), model.is_empty());
            for scope in Scope::ALL {
                prop_assert_eq!(s.contains(*scope), model.contains(scope));
            }
        }

        #[test]
        fn union_matches_the_set_model(a in scope_set(), b in scope_set()) {
            let expected: HashSet<Scope> = a.union(&b).copied().collect();
            prop_assert_eq!(to_model(from_model(&a).union(from_model(&b))), expected);
        }

        #[test]
        fn intersection_matches_the_set_model(a in scope_set(), b in scope_set()) {
            let expected: HashSet<Scope> = a.intersection(&b).copied().collect();
            prop_assert_eq!(to_model(from_model(&a).intersection(from_model(&b))), expected);
        }

        #[test]
        fn difference_matches_the_set_model(a in scope_set(), b in scope_set()) {
            let expected: HashSet<Scope> = a.difference(&b).copied().collect();
            let difference = from_model(&a).difference(from_model(&b));
            prop_assert_eq!(to_model(difference), expected);
            prop_assert_eq!(difference.is_empty(), from_model(&a).is_subset_of(from_model(&b)));
        }

        #[test]
        fn subset_matches_the_set_model(a in scope_set(), b in scope_set()) {
            prop_assert_eq!(from_model(&a).is_subset_of(from_model(&b)), a.is_subset(&b));
            let both = from_model(&a).union(from_model(&b));
            prop_assert!(from_model(&a).is_subset_of(both));
            prop_assert!(from_model(&a).intersection(from_model(&b)).is_subset_of(from_model(&a)));
        }

        #[test]
        fn insert_adds_one_scope_and_keeps_the_rest(
            model in scope_set(),
            scope in proptest::sample::select(Scope::ALL),
        ) {
            let mut s = from_model(&model);
            s.insert(scope);
            let mut expected = model.clone();
            expected.insert(scope);
            prop_assert_eq!(to_model(s), expected);
        }

        #[test]
        fn display_round_trips_through_space_delimited(model in scope_set()) {
            let s = from_model(&model);
            let text = s.to_string();
            prop_assert_eq!(text.split(' ').filter(|n| !n.is_empty()).count(), model.len());
            prop_assert_eq!(ScopeSet::parse_space_delimited(&text), Ok(s));
            prop_assert_eq!(ScopeSet::parse_names(&s.names()), Ok(s));
        }
    }
}
