//! Authentication and authorization, applied by the route table (`routes.rs`) to each
//! route from its one declaration of who may call it.

pub mod access;
pub mod authenticate;
pub mod principal;
pub mod tenant;

pub use access::Access;
pub use principal::Principal;
pub use tenant::TenantContext;
