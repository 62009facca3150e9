//! Gatehouse's PostgreSQL layer: the diesel schema, row types, repositories over
//! diesel-async, and the unit of work that sets the row-level-security tenant context.
//!
//! Repository functions take the unit of work they run in — `&TenantTx` for a tenant's
//! data, `&Tx` for global tables — never a connection straight from the pool; the caller
//! commits it (see [`tx`]).

pub mod database_role;
pub mod error;
pub mod migrate;
pub mod models;
pub mod pool;
pub mod repo;
pub mod schema;
pub mod tx;

pub use error::{PersistenceError, Unique};
pub use pool::{PgPool, PoolSettings, build_pool, ping};
pub use tx::{Mode, TenantTx, Tx};
