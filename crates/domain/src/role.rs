//! The four built-in roles created with every tenant (SPEC §3).

use crate::{Scope, ScopeSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuiltinRole {
    Owner,
    Admin,
    Member,
    Viewer,
}

impl BuiltinRole {
    pub const ALL: [BuiltinRole; 4] = [
        BuiltinRole::Owner,
        BuiltinRole::Admin,
        BuiltinRole::Member,
        BuiltinRole::Viewer,
    ];

    pub fn name(self) -> &'static str {
        match self {
            BuiltinRole::Owner => "owner",
            BuiltinRole::Admin => "admin",
            BuiltinRole::Member => "member",
            BuiltinRole::Viewer => "viewer",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.name() == name)
    }

    pub fn description(self) -> &'static str {
        match self {
            BuiltinRole::Owner => "Full control of the tenant, including granting ownership",
            BuiltinRole::Admin => "Every tenant permission except granting ownership",
            BuiltinRole::Member => "Works on projects and tasks",
            BuiltinRole::Viewer => "Reads the tenant, its members, projects and tasks",
        }
    }

    pub fn permissions(self) -> ScopeSet {
        use Scope::*;
        match self {
            BuiltinRole::Owner | BuiltinRole::Admin => ScopeSet::all_tenant(),
            BuiltinRole::Member => [
                TenantRead,
                MembersRead,
                RolesRead,
                ProjectsRead,
                ProjectsWrite,
                TasksRead,
                TasksWrite,
            ]
            .iter()
            .collect(),
            BuiltinRole::Viewer => [TenantRead, MembersRead, ProjectsRead, TasksRead]
                .iter()
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Scope::*;

    fn set(scopes: &[Scope]) -> ScopeSet {
        scopes.iter().collect()
    }

    #[test]
    fn builtin_role_names_are_the_spec_names() {
        let names: Vec<&str> = BuiltinRole::ALL.iter().map(|r| r.name()).collect();
        assert_eq!(names, ["owner", "admin", "member", "viewer"]);
    }

    #[test]
    fn every_builtin_role_parses_from_its_name() {
        for role in BuiltinRole::ALL {
            assert_eq!(BuiltinRole::parse(role.name()), Some(role));
        }
    }

    #[test]
    fn unknown_or_miscased_role_names_do_not_parse() {
        for bad in ["", "Owner", "owner ", "root", "guest"] {
            assert_eq!(BuiltinRole::parse(bad), None, "{bad:?} parsed");
        }
    }

    #[test]
    fn every_builtin_role_has_its_own_description() {
        let mut seen = Vec::new();
        for role in BuiltinRole::ALL {
            let description = role.description();
            assert!(!description.is_empty(), "{role:?}");
            assert!(
                !seen.contains(&description),
                "{role:?} repeats a description"
            );
            seen.push(description);
        }
    }

    #[test]
    fn owner_and_admin_hold_every_tenant_scope() {
        assert_eq!(BuiltinRole::Owner.permissions(), ScopeSet::all_tenant());
        assert_eq!(BuiltinRole::Admin.permissions(), ScopeSet::all_tenant());
    }

    #[test]
    fn member_works_on_projects_and_tasks() {
        assert_eq!(
            BuiltinRole::Member.permissions(),
            set(&[
                TenantRead,
                MembersRead,
                RolesRead,
                ProjectsRead,
                ProjectsWrite,
                TasksRead,
                TasksWrite
            ])
        );
    }

    #[test]
    fn viewer_only_reads() {
        assert_eq!(
            BuiltinRole::Viewer.permissions(),
            set(&[TenantRead, MembersRead, ProjectsRead, TasksRead])
        );
    }

    #[test]
    fn roles_are_ordered_by_authority() {
        let [owner, admin, member, viewer] = BuiltinRole::ALL.map(BuiltinRole::permissions);
        assert!(viewer.is_subset_of(member));
        assert!(member.is_subset_of(admin));
        assert!(admin.is_subset_of(owner));
        assert!(!member.is_subset_of(viewer));
        assert!(!admin.is_subset_of(member));
    }

    #[test]
    fn no_builtin_role_holds_platform_admin() {
        for role in BuiltinRole::ALL {
            assert!(!role.permissions().contains(PlatformAdmin), "{role:?}");
        }
    }
}
