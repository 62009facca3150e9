//! Units of work. Every query runs inside a transaction whose `app.tenant_id` /
//! `app.user_id` settings are set first (`set_config(..., true)`: transaction-local, so a
//! pooled connection never carries one tenant's context into another's request). The
//! row-level-security policies read them; a query that forgets its `WHERE tenant_id` still
//! sees only the current tenant.

use crate::{PersistenceError, PgPool};
use diesel_async::{AnsiTransactionManager, AsyncPgConnection, TransactionManager};
use domain::{TenantId, UserId};
use futures_util::future::BoxFuture;

/// A unit of work over one connection; returns a boxed future borrowing it.
pub trait Work<R>:
    for<'c> FnOnce(&'c mut AsyncPgConnection) -> BoxFuture<'c, Result<R, PersistenceError>> + Send
{
}
impl<R, F> Work<R> for F where
    F: for<'c> FnOnce(&'c mut AsyncPgConnection) -> BoxFuture<'c, Result<R, PersistenceError>>
        + Send
{
}

/// Runs `work` in a transaction scoped to `tenant`.
pub async fn in_tenant<R: Send>(
    pool: &PgPool,
    tenant: TenantId,
    work: impl Work<R>,
) -> Result<R, PersistenceError> {
    run(pool, Some(tenant), None, work).await
}

/// Runs `work` in a transaction that may read `user`'s own memberships in every tenant,
/// and nothing else of any tenant.
pub async fn as_user<R: Send>(
    pool: &PgPool,
    user: UserId,
    work: impl Work<R>,
) -> Result<R, PersistenceError> {
    run(pool, None, Some(user), work).await
}

/// Runs `work` in a transaction with no tenant context: global tables only (tenants,
/// users); every tenant-owned table reads as empty.
pub async fn global<R: Send>(pool: &PgPool, work: impl Work<R>) -> Result<R, PersistenceError> {
    run(pool, None, None, work).await
}

async fn run<R: Send>(
    pool: &PgPool,
    tenant: Option<TenantId>,
    user: Option<UserId>,
    work: impl Work<R>,
) -> Result<R, PersistenceError> {
    let mut conn = pool.get().await?;
    let conn: &mut AsyncPgConnection = &mut conn;
    // BEGIN and the RLS context in one round trip. The values are UUIDs we format
    // ourselves (or empty), never client text, so inlining them is safe.
    let begin = format!(
        "BEGIN; SELECT set_config('app.tenant_id', '{}', true), set_config('app.user_id', '{}', true)",
        tenant.map(|t| t.to_string()).unwrap_or_default(),
        user.map(|u| u.to_string()).unwrap_or_default(),
    );
    AnsiTransactionManager::begin_transaction_sql(conn, &begin).await?;
    let outcome = work(conn).await;
    match outcome {
        Ok(value) => {
            AnsiTransactionManager::commit_transaction(conn).await?;
            Ok(value)
        }
        Err(error) => {
            // A failed rollback leaves the connection broken; the pool discards it.
            let _ = AnsiTransactionManager::rollback_transaction(conn).await;
            Err(error)
        }
    }
}
