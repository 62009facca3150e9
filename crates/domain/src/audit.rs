//! The audit catalog: every action the audit log records, and what it was done to. Like
//! the scope catalog, the wire names live here once; a record cannot carry free text.

use std::fmt;

macro_rules! actions {
    ($($variant:ident => $name:literal),+ $(,)?) => {
        /// An action recorded in a tenant's audit log; stored as its name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[cfg_attr(
            feature = "diesel",
            derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)
        )]
        #[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
        pub enum Action { $($variant),+ }

        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$variant),+];

            /// The name stored and shown (`GET /audit?action=`).
            pub fn as_str(self) -> &'static str {
                match self { $(Action::$variant => $name),+ }
            }

            pub fn parse(name: &str) -> Option<Action> {
                match name { $($name => Some(Action::$variant),)+ _ => None }
            }
        }
    };
}

pub(crate) use actions;

pub use crate::catalog::Action;

#[cfg(feature = "diesel")]
impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for Action {
    fn from_sql(bytes: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
        let name = <String as diesel::deserialize::FromSql<
            diesel::sql_types::Text,
            diesel::pg::Pg,
        >>::from_sql(bytes)?;
        Action::parse(&name).ok_or_else(|| format!("unknown audit action `{name}`").into())
    }
}

#[cfg(feature = "diesel")]
impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for Action {
    fn to_sql<'b>(
        &'b self,
        out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
    ) -> diesel::serialize::Result {
        <str as diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg>>::to_sql(
            self.as_str(),
            out,
        )
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! targets {
    ($($variant:ident($id:ident) => $kind:literal),+ $(,)?) => {
        /// What an action was done to, written `kind:id`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Target { $($variant($id)),+ }

        /// Stored as written.
        impl From<Target> for String {
            fn from(target: Target) -> String {
                target.to_string()
            }
        }

        impl fmt::Display for Target {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self { $(Target::$variant(id) => write!(f, "{}:{id}", $kind)),+ }
            }
        }
    };
}
pub(crate) use targets;

pub use crate::catalog::Target;

/// In an OpenAPI document: a string, one of the catalog's action names.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Action {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("An action of the audit catalog"))
            .enum_values(Some(Action::ALL.iter().map(|a| a.as_str())))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Action {}

#[cfg(test)]
mod tests {
    use crate::catalog::*;
    use uuid::Uuid;

    #[test]
    fn every_action_name_parses_back_to_itself_and_is_unique() {
        let mut seen = std::collections::HashSet::new();
        for action in Action::ALL {
            assert_eq!(Action::parse(action.as_str()), Some(*action));
            assert!(seen.insert(action.as_str()), "duplicate {action}");
            let (kind, verb) = action.as_str().split_once('.').unwrap_or_default();
            assert!(
                !kind.is_empty() && !verb.is_empty(),
                "{action} is not kind.verb"
            );
        }
        assert_eq!(Action::parse("project.exploded"), None);
    }

    #[test]
    fn targets_are_written_kind_colon_id() {
        let id = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_002a);
        let written = |target: Target| target.to_string();
        assert_eq!(written(Target::User(UserId(id))), format!("user:{id}"));
        assert_eq!(
            written(Target::Tenant(TenantId(id))),
            format!("tenant:{id}")
        );
        assert_eq!(
            written(Target::Session(SessionId(id))),
            format!("session:{id}")
        );
        assert_eq!(written(Target::Role(RoleId(id))), format!("role:{id}"));
        assert_eq!(
            written(Target::ApiKey(ApiKeyId(id))),
            format!("api_key:{id}")
        );
        assert_eq!(
            written(Target::Invitation(InvitationId(id))),
            format!("invitation:{id}")
        );
        assert_eq!(
            written(Target::Project(ProjectId(id))),
            format!("project:{id}")
        );
        assert_eq!(written(Target::Task(TaskId(id))), format!("task:{id}"));
    }

    #[test]
    fn action_displays_as_its_stored_name() {
        for action in Action::ALL {
            assert_eq!(action.to_string(), action.as_str());
        }
        assert_eq!(Action::MemberInvited.to_string(), "member.invited");
    }

    /// The names are stored with every audit row and filtered on (`?action=`): renaming
    /// one orphans the rows already written under the old name.
    #[test]
    fn stored_action_names_are_fixed() {
        let names: Vec<&str> = Action::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(
            names,
            [
                "user.signed_up",
                "login.succeeded",
                "login.failed",
                "session.revoked",
                "tenant.created",
                "tenant.updated",
                "tenant.suspended",
                "tenant.activated",
                "member.invited",
                "member.joined",
                "member.enabled",
                "member.disabled",
                "member.removed",
                "member.roles_changed",
                "invitation.revoked",
                "role.created",
                "role.updated",
                "role.deleted",
                "api_key.created",
                "api_key.revoked",
                "project.created",
                "project.updated",
                "project.deleted",
                "task.created",
                "task.updated",
                "task.deleted",
            ]
        );
    }

    #[test]
    fn action_names_parse_exactly() {
        assert_eq!(Action::parse("role.updated"), Some(Action::RoleUpdated));
        for bad in [
            "",
            "role",
            "Role.Updated",
            " role.updated",
            "role.updated ",
            "role_updated",
        ] {
            assert_eq!(Action::parse(bad), None, "{bad:?} parsed");
        }
    }
}
