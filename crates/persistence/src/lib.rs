//! Gatehouse's PostgreSQL layer: the diesel schema, row types, repositories over
//! diesel-async, and the unit of work that sets the row-level-security tenant context.
//!
//! Repository functions take `&mut AsyncPgConnection` so they compose inside one
//! transaction; callers obtain that connection from [`tenant_tx::in_tenant`] (tenant data)
//! or [`tenant_tx::as_user`] / [`tenant_tx::global`], never straight from the pool.

pub mod database_role;
pub mod error;
pub mod migrate;
pub mod models;
pub mod pool;
pub mod repo;
pub mod schema;
pub mod tenant_tx;

pub use diesel_async::AsyncPgConnection;
pub use error::PersistenceError;
pub use pool::{PgPool, PoolSettings, build_pool, ping};
pub use tenant_tx::{as_user, global, in_tenant, read_as_user, read_in_tenant};
