use super::*;
use proptest::prelude::*;

fn set(scopes: &[Scope]) -> ScopeSet {
    scopes.iter().collect()
}

fn role(n: u128, permissions: ScopeSet, is_owner: bool) -> RoleGrant {
    RoleGrant {
        id: RoleId(uuid::Uuid::from_u128(n)),
        permissions,
        is_owner,
    }
}

fn user(n: u128) -> UserId {
    UserId(uuid::Uuid::from_u128(n))
}

const ADMIN: Actor = Actor {
    scopes: ScopeSet::EMPTY,
    is_owner: false,
};

fn admin(scopes: ScopeSet) -> Actor {
    Actor { scopes, ..ADMIN }
}

fn owner() -> Actor {
    Actor {
        scopes: ScopeSet::all_tenant(),
        is_owner: true,
    }
}

#[test]
fn granting_what_one_holds_is_allowed_and_more_names_what_is_missing() {
    let held = set(&[Scope::TenantRead, Scope::ProjectsRead]);
    assert_eq!(grant(held, set(&[Scope::TenantRead])), Ok(()));
    assert_eq!(grant(held, held), Ok(()));
    assert_eq!(grant(held, ScopeSet::EMPTY), Ok(()));
    assert_eq!(
        grant(held, set(&[Scope::TenantRead, Scope::AuditRead])),
        Err(Denied::Escalation {
            missing: set(&[Scope::AuditRead])
        })
    );
}

#[test]
fn editing_a_role_needs_what_it_holds_before_and_after() {
    let held = set(&[Scope::TenantRead]);
    let more = set(&[Scope::AuditRead]);
    assert_eq!(edit_role(held, false, held, Some(held)), Ok(()));
    assert_eq!(edit_role(held, false, held, None), Ok(()));
    // Taking a permission away from a role one could not grant is an escalation too.
    assert!(matches!(
        edit_role(held, false, more, Some(held)),
        Err(Denied::Escalation { .. })
    ));
    assert!(matches!(
        edit_role(held, false, held, Some(more)),
        Err(Denied::Escalation { .. })
    ));
    assert_eq!(
        edit_role(ScopeSet::all_tenant(), true, held, None),
        Err(Denied::BuiltinRole)
    );
    assert_eq!(
        delete_role(ScopeSet::all_tenant(), true, held),
        Err(Denied::BuiltinRole)
    );
    assert_eq!(delete_role(held, false, held), Ok(()));
    assert!(matches!(
        delete_role(held, false, more),
        Err(Denied::Escalation { .. })
    ));
}

#[test]
fn only_an_owner_changes_an_owner() {
    let all = admin(ScopeSet::all_tenant());
    assert_eq!(change_member(all, false), Ok(()));
    assert_eq!(
        change_member(all, true),
        Err(Denied::OwnerOnly(OwnerAct::ChangeOwner))
    );
    assert_eq!(change_member(owner(), true), Ok(()));
}

#[test]
fn the_last_active_owner_stays() {
    let (a, b) = (user(1), user(2));
    assert_eq!(keep_an_owner(&[a], a), Err(Denied::LastOwner));
    assert_eq!(keep_an_owner(&[a, b], a), Ok(()));
    assert_eq!(keep_an_owner(&[a], b), Ok(()));
    assert_eq!(keep_an_owner(&[], b), Ok(()));
}

#[test]
fn setting_roles_checks_only_what_is_newly_granted() {
    let held = set(&[Scope::TenantRead]);
    let audit = role(1, set(&[Scope::AuditRead]), false);
    let reader = role(2, held, false);
    let target = user(9);
    // Keeping a role one could not grant is fine; adding it is not.
    assert_eq!(
        set_roles(admin(held), &[audit], &[audit, reader], target, &[]),
        Ok(())
    );
    assert!(matches!(
        set_roles(admin(held), &[reader], &[audit, reader], target, &[]),
        Err(Denied::Escalation { .. })
    ));
    // Removing roles grants nothing.
    assert_eq!(
        set_roles(admin(ScopeSet::EMPTY), &[audit, reader], &[], target, &[]),
        Ok(())
    );
}

#[test]
fn owner_is_granted_and_removed_by_owners_only_and_never_from_the_last() {
    let owner_role = role(1, ScopeSet::all_tenant(), true);
    let member = role(2, set(&[Scope::TenantRead]), false);
    let all = admin(ScopeSet::all_tenant());
    let (me, other) = (user(1), user(2));
    assert_eq!(
        set_roles(all, &[member], &[owner_role], other, &[me]),
        Err(Denied::OwnerOnly(OwnerAct::GrantOrRemoveOwner))
    );
    assert_eq!(
        set_roles(all, &[owner_role], &[member], other, &[me, other]),
        Err(Denied::OwnerOnly(OwnerAct::GrantOrRemoveOwner))
    );
    assert_eq!(
        set_roles(owner(), &[member], &[owner_role], other, &[me]),
        Ok(())
    );
    assert_eq!(
        set_roles(owner(), &[owner_role], &[member], other, &[me, other]),
        Ok(())
    );
    assert_eq!(
        set_roles(owner(), &[owner_role], &[member], me, &[me]),
        Err(Denied::LastOwner)
    );
    // Keeping owner while changing other roles is not an owner change.
    assert_eq!(
        set_roles(all, &[owner_role], &[owner_role, member], me, &[me]),
        Ok(())
    );
}

#[test]
fn invitations_grant_within_scopes_and_owner_only_from_an_owner() {
    let owner_role = role(1, ScopeSet::all_tenant(), true);
    let reader = role(2, set(&[Scope::TenantRead]), false);
    assert_eq!(invite(admin(set(&[Scope::TenantRead])), &[reader]), Ok(()));
    assert_eq!(invite(admin(ScopeSet::EMPTY), &[]), Ok(()));
    assert!(matches!(
        invite(admin(ScopeSet::EMPTY), &[reader]),
        Err(Denied::Escalation { .. })
    ));
    assert_eq!(
        invite(admin(ScopeSet::all_tenant()), &[owner_role]),
        Err(Denied::OwnerOnly(OwnerAct::InviteOwner))
    );
    assert_eq!(invite(owner(), &[owner_role, reader]), Ok(()));
}

#[test]
fn tasks_are_changed_by_their_creator_or_a_project_writer() {
    let (creator, other) = (user(1), user(2));
    let tasks = set(&[Scope::TasksWrite]);
    let projects = set(&[Scope::ProjectsWrite]);
    assert_eq!(modify_task(tasks, creator, Some(creator)), Ok(()));
    assert_eq!(
        modify_task(tasks, other, Some(creator)),
        Err(Denied::NotTaskCreator)
    );
    assert_eq!(
        modify_task(tasks, creator, None),
        Err(Denied::NotTaskCreator)
    );
    assert_eq!(modify_task(projects, other, Some(creator)), Ok(()));
    assert_eq!(modify_task(projects, other, None), Ok(()));
    assert_eq!(
        modify_task(set(&[Scope::TasksRead]), creator, Some(creator)),
        Err(Denied::NotTaskCreator)
    );
}

#[test]
fn token_scopes_are_what_was_asked_within_what_is_available() {
    let available = set(&[Scope::TenantRead, Scope::ProjectsRead]);
    assert_eq!(token_scopes(None, available), available);
    assert_eq!(
        token_scopes(Some(set(&[Scope::TenantRead, Scope::AuditRead])), available),
        set(&[Scope::TenantRead])
    );
    assert_eq!(
        token_scopes(Some(ScopeSet::EMPTY), available),
        ScopeSet::EMPTY
    );
    assert_eq!(
        available_scopes(ScopeSet::all(), false),
        ScopeSet::all_tenant(),
        "platform:admin never comes from a role"
    );
    assert!(available_scopes(ScopeSet::EMPTY, true).contains(Scope::PlatformAdmin));
    assert!(!available_scopes(ScopeSet::EMPTY, false).contains(Scope::PlatformAdmin));
}

#[test]
fn an_operator_holds_platform_admin_beside_their_tenant_permissions() {
    let tenant = set(&[Scope::TenantRead, Scope::AuditRead]);
    assert_eq!(
        available_scopes(tenant, true),
        set(&[Scope::TenantRead, Scope::AuditRead, Scope::PlatformAdmin])
    );
    assert_eq!(available_scopes(tenant, false), tenant);
    assert_eq!(
        available_scopes(ScopeSet::EMPTY, true),
        set(&[Scope::PlatformAdmin])
    );
}

#[test]
fn an_api_key_never_outgrows_its_creator() {
    let key = set(&[Scope::TenantRead, Scope::AuditRead]);
    assert_eq!(
        api_key_scopes(key, set(&[Scope::TenantRead])),
        set(&[Scope::TenantRead])
    );
    assert_eq!(api_key_scopes(key, ScopeSet::all()), key);
    assert_eq!(
        api_key_scopes(set(&[Scope::PlatformAdmin]), ScopeSet::all()),
        ScopeSet::EMPTY
    );
}

/// The refusals reach API clients as the problem's `detail`: each says what was refused.
#[test]
fn each_refusal_says_why() {
    let says = |denied: Denied| denied.to_string();
    assert_eq!(
        says(Denied::Escalation {
            missing: set(&[Scope::TasksWrite, Scope::AuditRead])
        }),
        "you cannot grant permissions you do not hold: audit:read tasks:write"
    );
    assert_eq!(
        says(Denied::OwnerOnly(OwnerAct::ChangeOwner)),
        "only an owner may change an owner"
    );
    assert_eq!(
        says(Denied::OwnerOnly(OwnerAct::GrantOrRemoveOwner)),
        "only an owner may grant or remove `owner`"
    );
    assert_eq!(
        says(Denied::OwnerOnly(OwnerAct::InviteOwner)),
        "only an owner may invite an owner"
    );
    assert_eq!(
        says(Denied::LastOwner),
        "the last active owner cannot be removed, disabled or demoted"
    );
    assert_eq!(
        says(Denied::BuiltinRole),
        "built-in roles cannot be changed"
    );
    assert_eq!(
        says(Denied::NotTaskCreator),
        "only the task's creator (or `projects:write`) may change it"
    );
}

fn scope_set() -> impl Strategy<Value = ScopeSet> {
    proptest::collection::vec(proptest::sample::select(Scope::ALL), 0..6)
        .prop_map(|scopes| scopes.into_iter().collect())
}

/// One thing a non-owner admin can try with the scopes they hold.
#[derive(Debug, Clone)]
enum Op {
    CreateRole(ScopeSet),
    EditRole {
        role: usize,
        to: ScopeSet,
    },
    AssignRoles {
        member: usize,
        roles: Vec<usize>,
    },
    Invite(Vec<usize>),
    CreateKey(ScopeSet),
    /// Someone else demotes the actor: their keys must follow.
    ActorDemotedTo(ScopeSet),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        scope_set().prop_map(Op::CreateRole),
        (0..4usize, scope_set()).prop_map(|(role, to)| Op::EditRole { role, to }),
        (0..3usize, proptest::collection::vec(0..4usize, 0..3))
            .prop_map(|(member, roles)| Op::AssignRoles { member, roles }),
        proptest::collection::vec(0..4usize, 0..3).prop_map(Op::Invite),
        scope_set().prop_map(Op::CreateKey),
        scope_set().prop_map(Op::ActorDemotedTo),
    ]
}

proptest! {
    /// SPEC §5: no sequence of allowed role, key and invitation operations hands anyone a
    /// scope the actor did not hold when acting — and a key never acts beyond its creator's
    /// current scopes.
    #[test]
    fn no_sequence_of_allowed_operations_grants_beyond_the_actor(
        start in scope_set(),
        initial_roles in proptest::collection::vec(scope_set(), 4),
        ops in proptest::collection::vec(op(), 1..24),
    ) {
        let mut held = start;
        let mut roles: Vec<RoleGrant> = initial_roles
            .iter()
            .enumerate()
            .map(|(i, p)| role(i as u128 + 1, *p, false))
            .collect();
        let mut members: Vec<Vec<RoleGrant>> = vec![Vec::new(); 3];
        let mut keys: Vec<ScopeSet> = Vec::new();
        for op in ops {
            let actor = admin(held);
            match op {
                Op::CreateRole(p) => {
                    if grant(held, p).is_ok() {
                        prop_assert!(p.is_subset_of(held));
                        roles.push(role(roles.len() as u128 + 1, p, false));
                    }
                }
                Op::EditRole { role: r, to } => {
                    let r = r % roles.len();
                    if edit_role(held, false, roles[r].permissions, Some(to)).is_ok() {
                        prop_assert!(to.is_subset_of(held));
                        prop_assert!(roles[r].permissions.is_subset_of(held));
                        roles[r].permissions = to;
                    }
                }
                Op::AssignRoles { member, roles: picked } => {
                    let new: Vec<RoleGrant> = picked.iter().map(|i| roles[i % roles.len()]).collect();
                    let old = members[member].clone();
                    if set_roles(actor, &old, &new, user(member as u128 + 100), &[]).is_ok() {
                        for gained in new.iter().filter(|r| !old.iter().any(|o| o.id == r.id)) {
                            prop_assert!(gained.permissions.is_subset_of(held));
                        }
                        members[member] = new;
                    }
                }
                Op::Invite(picked) => {
                    let offered: Vec<RoleGrant> = picked.iter().map(|i| roles[i % roles.len()]).collect();
                    if invite(actor, &offered).is_ok() {
                        for offered in &offered {
                            prop_assert!(offered.permissions.is_subset_of(held));
                        }
                    }
                }
                Op::CreateKey(scopes) => {
                    if grant(held, scopes).is_ok() {
                        keys.push(scopes);
                    }
                }
                Op::ActorDemotedTo(now) => held = now,
            }
            for key in &keys {
                prop_assert!(api_key_scopes(*key, held).is_subset_of(held));
            }
        }
    }
}
