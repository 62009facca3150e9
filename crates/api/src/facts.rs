//! What the domain's authorization rules need to know, read off rows. Rows hold data (typed:
//! a stored permission or status outside the catalog fails to load); the rules are
//! `domain::policy`'s.

use domain::policy::RoleGrant;
use domain::{BuiltinRole, MembershipStatus, ScopeSet, TenantStatus};
use persistence::models::Role;
use persistence::repo::memberships::{Grant, Member};

/// A stored role as the rules see it.
pub fn role_grant(role: &Role) -> RoleGrant {
    RoleGrant {
        id: role.id,
        permissions: role.permissions,
        is_owner: is_owner_role(role),
    }
}

pub fn role_grants(roles: &[Role]) -> Vec<RoleGrant> {
    roles.iter().map(role_grant).collect()
}

/// The built-in `owner` role (a custom role may not be named like it: names are unique
/// per tenant and the built-ins exist from the start).
pub fn is_owner_role(role: &Role) -> bool {
    role.builtin && BuiltinRole::parse(&role.name) == Some(BuiltinRole::Owner)
}

pub fn holds_owner(member: &Member) -> bool {
    member.roles.iter().any(is_owner_role)
}

/// An active member holding `owner`.
pub fn is_active_owner(member: &Member) -> bool {
    holds_owner(member) && member.membership.status == MembershipStatus::Active
}

/// The union of a membership's role permissions.
pub fn grant_permissions(grant: &Grant) -> ScopeSet {
    grant
        .roles
        .iter()
        .fold(ScopeSet::EMPTY, |acc, role| acc.union(role.permissions))
}

/// An active membership in an active tenant: one a token may act in.
pub fn is_usable(grant: &Grant) -> bool {
    grant.membership.status == MembershipStatus::Active
        && grant.tenant.status == TenantStatus::Active
}
