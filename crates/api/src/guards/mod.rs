//! Authentication and authorization, applied by the route table (`routes.rs`) to each
//! route from its one declaration of who may call it.

pub mod access;
pub mod authenticate;
pub mod caller;
pub mod tenant;

pub use access::Access;
pub use caller::Caller;
pub use tenant::TenantContext;
