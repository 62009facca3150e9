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
