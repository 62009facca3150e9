//! Typed identifiers: a `TenantId` can never be passed where a `UserId` is expected.

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "diesel", derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow))]
        #[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Uuid))]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        #[cfg(feature = "diesel")]
        impl diesel::deserialize::FromSql<diesel::sql_types::Uuid, diesel::pg::Pg> for $name {
            fn from_sql(bytes: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                <Uuid as diesel::deserialize::FromSql<diesel::sql_types::Uuid, diesel::pg::Pg>>::from_sql(bytes).map(Self)
            }
        }

        #[cfg(feature = "diesel")]
        impl diesel::serialize::ToSql<diesel::sql_types::Uuid, diesel::pg::Pg> for $name {
            fn to_sql<'b>(&'b self, out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>) -> diesel::serialize::Result {
                <Uuid as diesel::serialize::ToSql<diesel::sql_types::Uuid, diesel::pg::Pg>>::to_sql(&self.0, out)
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}

        impl $name {
            /// A new time-ordered (v7) identifier.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

pub(crate) use id_type;

#[cfg(test)]
mod tests {
    use crate::catalog::*;
    use uuid::Uuid;

    const TEXT: &str = "0190f5a2-7b1c-7d3e-8f40-123456789abc";

    #[test]
    fn new_ids_are_distinct_version_7_uuids() {
        let a = UserId::new();
        let b = UserId::new();
        assert_ne!(a, b);
        assert_eq!(a.0.get_version_num(), 7);
        assert_eq!(b.0.get_version_num(), 7);
    }

    #[test]
    fn new_ids_are_time_ordered() {
        let earlier = TenantId::new();
        let later = TenantId::new();
        assert!(earlier < later);
    }

    #[test]
    fn default_is_a_fresh_version_7_id() {
        let a = RoleId::default();
        let b = RoleId::default();
        assert_ne!(a, b);
        assert_eq!(a.0.get_version_num(), 7);
        assert!(!a.0.is_nil());
    }

    #[test]
    fn wraps_the_uuid_it_is_built_from() {
        let uuid = Uuid::parse_str(TEXT).unwrap();
        assert_eq!(SessionId::from(uuid).0, uuid);
    }

    #[test]
    fn displays_as_the_hyphenated_uuid() {
        let uuid = Uuid::parse_str(TEXT).unwrap();
        assert_eq!(TenantId::from(uuid).to_string(), TEXT);
    }

    #[test]
    fn parses_the_text_it_displays() {
        let id: UserId = TEXT.parse().unwrap();
        assert_eq!(id.0, Uuid::parse_str(TEXT).unwrap());
        assert_eq!(id.to_string().parse::<UserId>().unwrap(), id);
    }

    #[test]
    fn rejects_text_that_is_not_a_uuid() {
        for bad in ["", "not-a-uuid", "0190f5a2-7b1c-7d3e-8f40-123456789ab"] {
            assert!(bad.parse::<RoleId>().is_err(), "{bad} accepted");
        }
    }
}
