//! What the domain's authorization rules need to know, read off rows. Rows hold data; the
//! rules are `domain::policy`'s.

use crate::error::ApiError;
use domain::policy::RoleGrant;
use domain::{BuiltinRole, MembershipStatus, RoleId, ScopeSet, TenantStatus};
use persistence::models::Role;
use persistence::repo::memberships::{Grant, Member};

/// A stored role as the rules see it. A role holding a name outside the catalog is
/// corrupt data: an error, never "no permissions".
pub fn role_grant(role: &Role) -> Result<RoleGrant, ApiError> {
    Ok(RoleGrant {
        id: RoleId(role.id),
        permissions: permissions(role)?,
        is_owner: is_owner_role(role),
    })
}

pub fn role_grants(roles: &[Role]) -> Result<Vec<RoleGrant>, ApiError> {
    roles.iter().map(role_grant).collect()
}

pub fn permissions(role: &Role) -> Result<ScopeSet, ApiError> {
    ScopeSet::parse_names(&role.permissions)
        .map_err(|e| ApiError::Internal(format!("role {} holds {e}", role.id).into()))
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
    holds_owner(member)
        && MembershipStatus::parse(&member.membership.status) == Some(MembershipStatus::Active)
}

/// The union of a membership's role permissions.
pub fn grant_permissions(grant: &Grant) -> Result<ScopeSet, ApiError> {
    grant
        .roles
        .iter()
        .map(permissions)
        .try_fold(ScopeSet::EMPTY, |acc, p| Ok(acc.union(p?)))
}

/// An active membership in an active tenant: one a token may act in.
pub fn is_usable(grant: &Grant) -> bool {
    MembershipStatus::parse(&grant.membership.status) == Some(MembershipStatus::Active)
        && TenantStatus::parse(&grant.tenant.status) == Some(TenantStatus::Active)
}
