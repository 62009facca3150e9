//! The lifecycle states of SPEC §3, stored as text.

macro_rules! text_enum {
    ($name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "diesel", derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow))]
        #[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
        #[serde(rename_all = "lowercase")]
        pub enum $name { $($variant),+ }

        /// A stored value outside the enum is corrupt data: an error, never a default.
        #[cfg(feature = "diesel")]
        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn from_sql(bytes: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                let text = <String as diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg>>::from_sql(bytes)?;
                Self::parse(&text).ok_or_else(|| format!("unknown {} `{text}`", stringify!($name)).into())
            }
        }

        #[cfg(feature = "diesel")]
        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn to_sql<'b>(&'b self, out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg>>::to_sql(self.as_str(), out)
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text),+]))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some(Self::$variant),)+ _ => None }
            }
        }
    };
}

text_enum!(TenantStatus { Active => "active", Suspended => "suspended" });
text_enum!(UserStatus { Active => "active", Disabled => "disabled" });
text_enum!(MembershipStatus { Active => "active", Disabled => "disabled" });
// OAuth clients (SPEC §11): whether a client holds a secret, and where its refresh token goes.
text_enum!(ClientType { Public => "public", Confidential => "confidential" });
text_enum!(RefreshDelivery { Body => "body", Cookie => "cookie" });

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_status_text_round_trips() {
        assert_eq!(TenantStatus::Active.as_str(), "active");
        assert_eq!(TenantStatus::Suspended.as_str(), "suspended");
        for status in [TenantStatus::Active, TenantStatus::Suspended] {
            assert_eq!(TenantStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(TenantStatus::parse("disabled"), None);
    }

    #[test]
    fn user_status_text_round_trips() {
        assert_eq!(UserStatus::Active.as_str(), "active");
        assert_eq!(UserStatus::Disabled.as_str(), "disabled");
        for status in [UserStatus::Active, UserStatus::Disabled] {
            assert_eq!(UserStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(UserStatus::parse("suspended"), None);
    }

    #[test]
    fn membership_status_text_round_trips() {
        assert_eq!(MembershipStatus::Active.as_str(), "active");
        assert_eq!(MembershipStatus::Disabled.as_str(), "disabled");
        for status in [MembershipStatus::Active, MembershipStatus::Disabled] {
            assert_eq!(MembershipStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(MembershipStatus::parse("suspended"), None);
    }

    #[test]
    fn status_text_is_case_sensitive() {
        assert_eq!(TenantStatus::parse("Active"), None);
        assert_eq!(UserStatus::parse("ACTIVE"), None);
        assert_eq!(MembershipStatus::parse(" active"), None);
        assert_eq!(MembershipStatus::parse(""), None);
    }
}
