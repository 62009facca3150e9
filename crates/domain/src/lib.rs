//! Gatehouse's pure domain: identifiers, validated values (parse, don't validate), the
//! permission catalog and the scope math that authorization decisions rest on.
//!
//! Nothing in here performs I/O; every other crate depends on this one.

pub mod audit;
pub mod authentication;
pub mod authorize;
pub mod catalog;
pub mod client;
pub mod email;
pub mod error;
pub mod ids;
pub mod names;
pub mod password;
pub mod permission;
pub mod policy;
pub mod role;
pub mod signin;
pub mod slug;
pub mod status;

pub use authentication::{AuthMethods, Authentication};
pub use catalog::*;
pub use client::{ClientId, ClientOrigin, RedirectUri};
pub use email::Email;
pub use error::ValidationError;
pub use names::{
    ApiKeyName, ClientName, Description, DisplayName, ProjectName, RoleName, TaskTitle, TenantName,
};
pub use password::NewPassword;
pub use permission::ScopeSet;
#[cfg(feature = "openapi")]
pub use permission::TenantScope;
pub use role::BuiltinRole;
pub use slug::Slug;
pub use status::{ClientType, MembershipStatus, RefreshDelivery, TenantStatus, UserStatus};
