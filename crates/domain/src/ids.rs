//! Typed identifiers: a `TenantId` can never be passed where a `UserId` is expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

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

id_type!(
    /// A tenant (organization).
    TenantId
);
id_type!(
    /// A global user identity.
    UserId
);
id_type!(
    /// A role of one tenant.
    RoleId
);
id_type!(
    /// A login session: one refresh-token family.
    SessionId
);
id_type!(
    /// A project of one tenant.
    ProjectId
);
id_type!(
    /// A task of one project.
    TaskId
);
id_type!(
    /// An API key of one tenant.
    ApiKeyId
);
id_type!(
    /// An invitation into one tenant.
    InvitationId
);
id_type!(
    /// One audit event.
    AuditEventId
);
