//! The lifecycle states of SPEC §3, stored as text.

macro_rules! text_enum {
    ($name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "lowercase")]
        pub enum $name { $($variant),+ }

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
