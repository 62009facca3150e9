//! The authorization rules above route scopes (SPEC §5): who may grant what, who may change
//! an owner, who may edit a task, and which scopes a token or an API key carries. Pure
//! functions of what the caller holds and what the change does; the handlers load the
//! facts, ask here, and act.

use crate::{RoleId, Scope, ScopeSet, UserId};
use std::fmt;

/// Why a change is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    /// Granting permissions the actor does not hold (403).
    Escalation { missing: ScopeSet },
    /// Only an owner may do this to or with `owner` (403).
    OwnerOnly(OwnerAct),
    /// The tenant would be left without an active owner (409).
    LastOwner,
    /// Built-in roles are fixed (409).
    BuiltinRole,
    /// A task is changed by its creator, or by someone with `projects:write` (403).
    NotTaskCreator,
}

/// What only an owner may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerAct {
    ChangeOwner,
    GrantOrRemoveOwner,
    InviteOwner,
}

impl fmt::Display for Denied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Denied::Escalation { missing } => {
                write!(f, "you cannot grant permissions you do not hold: {missing}")
            }
            Denied::OwnerOnly(OwnerAct::ChangeOwner) => {
                f.write_str("only an owner may change an owner")
            }
            Denied::OwnerOnly(OwnerAct::GrantOrRemoveOwner) => {
                f.write_str("only an owner may grant or remove `owner`")
            }
            Denied::OwnerOnly(OwnerAct::InviteOwner) => {
                f.write_str("only an owner may invite an owner")
            }
            Denied::LastOwner => {
                f.write_str("the last active owner cannot be removed, disabled or demoted")
            }
            Denied::BuiltinRole => f.write_str("built-in roles cannot be changed"),
            Denied::NotTaskCreator => {
                f.write_str("only the task's creator (or `projects:write`) may change it")
            }
        }
    }
}

/// Who acts, as far as these rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    /// What the caller's credential holds in the tenant.
    pub scopes: ScopeSet,
    /// A user holding `owner` in the tenant, acting with their own token (an API key never
    /// acts as an owner).
    pub is_owner: bool,
}

/// The escalation rule: nobody grants what they do not hold.
pub fn grant(held: ScopeSet, granted: ScopeSet) -> Result<(), Denied> {
    let missing = granted.difference(held);
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Denied::Escalation { missing })
    }
}

/// Editing a custom role grants what it holds before and after the edit; built-in roles
/// are fixed. `after` is `None` when the permissions are left alone.
pub fn edit_role(
    actor: ScopeSet,
    builtin: bool,
    before: ScopeSet,
    after: Option<ScopeSet>,
) -> Result<(), Denied> {
    if builtin {
        return Err(Denied::BuiltinRole);
    }
    grant(actor, before.union(after.unwrap_or_default()))
}

/// Deleting a custom role takes holding everything it grants.
pub fn delete_role(actor: ScopeSet, builtin: bool, permissions: ScopeSet) -> Result<(), Denied> {
    edit_role(actor, builtin, permissions, None)
}

/// Changing a member's standing at all (status, removal): changing an owner takes an owner.
pub fn change_member(actor: Actor, target_is_owner: bool) -> Result<(), Denied> {
    if target_is_owner && !actor.is_owner {
        Err(Denied::OwnerOnly(OwnerAct::ChangeOwner))
    } else {
        Ok(())
    }
}

/// Disabling, removing or demoting `target` must leave another active owner.
pub fn keep_an_owner(active_owners: &[UserId], target: UserId) -> Result<(), Denied> {
    if active_owners == [target] {
        Err(Denied::LastOwner)
    } else {
        Ok(())
    }
}

/// One role of a tenant, as the rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleGrant {
    pub id: RoleId,
    pub permissions: ScopeSet,
    pub is_owner: bool,
}

/// Replacing a member's roles `old` with `new`: every newly given role within the actor's
/// scopes; `owner` given or taken only by an owner, and never from the last active one.
pub fn set_roles(
    actor: Actor,
    old: &[RoleGrant],
    new: &[RoleGrant],
    target: UserId,
    active_owners: &[UserId],
) -> Result<(), Denied> {
    let granted = new
        .iter()
        .filter(|role| !old.iter().any(|o| o.id == role.id))
        .fold(ScopeSet::EMPTY, |acc, role| acc.union(role.permissions));
    grant(actor.scopes, granted)?;
    let had_owner = old.iter().any(|r| r.is_owner);
    let gets_owner = new.iter().any(|r| r.is_owner);
    if had_owner != gets_owner {
        if !actor.is_owner {
            return Err(Denied::OwnerOnly(OwnerAct::GrantOrRemoveOwner));
        }
        if had_owner {
            keep_an_owner(active_owners, target)?;
        }
    }
    Ok(())
}

/// Inviting with `roles`: within the actor's scopes, and `owner` only by an owner.
pub fn invite(actor: Actor, roles: &[RoleGrant]) -> Result<(), Denied> {
    let granted = roles
        .iter()
        .fold(ScopeSet::EMPTY, |acc, role| acc.union(role.permissions));
    grant(actor.scopes, granted)?;
    if roles.iter().any(|r| r.is_owner) && !actor.is_owner {
        return Err(Denied::OwnerOnly(OwnerAct::InviteOwner));
    }
    Ok(())
}

/// A task is changed by whoever holds `projects:write`, or by its creator holding
/// `tasks:write`. `acting_for` is the user the caller acts for (an API key's creator).
pub fn modify_task(
    scopes: ScopeSet,
    acting_for: UserId,
    created_by: Option<UserId>,
) -> Result<(), Denied> {
    let creator = created_by == Some(acting_for);
    if scopes.contains(Scope::ProjectsWrite) || (scopes.contains(Scope::TasksWrite) && creator) {
        Ok(())
    } else {
        Err(Denied::NotTaskCreator)
    }
}

/// What a user may hold in a token: their roles' tenant permissions in the tenant (if
/// any), and `platform:admin` if they are an operator.
pub fn available_scopes(tenant_permissions: ScopeSet, platform_admin: bool) -> ScopeSet {
    let mut scopes = tenant_permissions.intersection(ScopeSet::all_tenant());
    if platform_admin {
        scopes.insert(Scope::PlatformAdmin);
    }
    scopes
}

/// The scopes a token gets: what was asked for (everything available when nothing was),
/// never more than is available (RFC 6749 §3.3).
pub fn token_scopes(requested: Option<ScopeSet>, available: ScopeSet) -> ScopeSet {
    requested.unwrap_or(available).intersection(available)
}

/// An API key acts with its own scopes, cut down to what its creator holds now.
pub fn api_key_scopes(key: ScopeSet, creator_now: ScopeSet) -> ScopeSet {
    key.intersection(creator_now)
        .intersection(ScopeSet::all_tenant())
}

#[cfg(test)]
mod tests;
