//! How and when a user proved who they are: the `amr` (RFC 8176) and `auth_time` (OIDC
//! Core §2) every access token and ID token carries (SPEC §11, §12), kept with the session
//! so a refreshed token tells the same story as the first.

use serde::{Deserialize, Serialize};

/// Authentication methods references (RFC 8176 §2), as a set.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthMethods {
    /// A password.
    pub pwd: bool,
    /// A one-time password (TOTP, RFC 6238).
    pub otp: bool,
    /// A federated identity provider.
    pub fed: bool,
}

impl AuthMethods {
    pub const PASSWORD: AuthMethods = AuthMethods {
        pwd: true,
        otp: false,
        fed: false,
    };

    /// The `amr` claim's values, in a fixed order.
    pub fn names(self) -> Vec<&'static str> {
        [(self.pwd, "pwd"), (self.otp, "otp"), (self.fed, "fed")]
            .into_iter()
            .filter_map(|(on, name)| on.then_some(name))
            .collect()
    }

    /// The `amr` claim (RFC 8176 §2: a JSON array of strings).
    pub fn claim(self) -> Vec<String> {
        self.names().into_iter().map(Into::into).collect()
    }

    /// From stored names; unknown ones are ignored (never widened into a method).
    pub fn from_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        let mut methods = AuthMethods::default();
        for name in names {
            match name {
                "pwd" => methods.pwd = true,
                "otp" => methods.otp = true,
                "fed" => methods.fed = true,
                _ => {}
            }
        }
        methods
    }
}

/// One authentication event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authentication {
    /// Unix seconds (`auth_time`).
    pub time: i64,
    pub methods: AuthMethods,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_round_trip_through_their_names() {
        let both = AuthMethods {
            pwd: true,
            otp: true,
            fed: false,
        };
        assert_eq!(both.names(), ["pwd", "otp"]);
        assert_eq!(AuthMethods::from_names(both.names()), both);
        assert_eq!(
            AuthMethods::from_names(["mfa", "pwd"]),
            AuthMethods::PASSWORD
        );
    }
}
