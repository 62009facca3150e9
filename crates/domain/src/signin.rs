//! Which tenant a browser sign-in ends in (SPEC §11): the rule the hosted login page
//! follows after the user proved who they are.

/// The outcome of [`choose_tenant`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenantChoice<T> {
    /// Proceed in this tenant (`None`: a tenant-less sign-in, the user has none).
    Chosen(Option<T>),
    /// Several are usable and the request named none: the user picks.
    Ask,
    /// The request named a tenant the user cannot use.
    NoAccess,
}

/// `hint` is the request's `tenant` (slug or id), `usable` the user's usable memberships.
/// Unlike the password grant, which falls back to a tenant-less token, a person at a
/// login page is asked when there are several.
pub fn choose_tenant<T: Copy>(
    hint: Option<&str>,
    usable: &[T],
    named: impl Fn(&T, &str) -> bool,
) -> TenantChoice<T> {
    match (hint, usable) {
        (Some(hint), _) => usable
            .iter()
            .find(|t| named(t, hint))
            .map_or(TenantChoice::NoAccess, |t| TenantChoice::Chosen(Some(*t))),
        (None, []) => TenantChoice::Chosen(None),
        (None, [only]) => TenantChoice::Chosen(Some(*only)),
        (None, _) => TenantChoice::Ask,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choose(hint: Option<&str>, usable: &[&'static str]) -> TenantChoice<&'static str> {
        choose_tenant(hint, usable, |t, hint| *t == hint)
    }

    #[test]
    fn a_hint_decides_or_refuses() {
        assert_eq!(
            choose(Some("b"), &["a", "b"]),
            TenantChoice::Chosen(Some("b"))
        );
        assert_eq!(choose(Some("c"), &["a", "b"]), TenantChoice::NoAccess);
        assert_eq!(choose(Some("a"), &[]), TenantChoice::NoAccess);
    }

    #[test]
    fn without_a_hint_only_several_tenants_ask() {
        assert_eq!(choose(None, &[]), TenantChoice::Chosen(None));
        assert_eq!(choose(None, &["a"]), TenantChoice::Chosen(Some("a")));
        assert_eq!(choose(None, &["a", "b"]), TenantChoice::Ask);
    }
}
