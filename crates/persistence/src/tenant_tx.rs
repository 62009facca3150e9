//! Units of work. Every query runs inside a transaction whose `app.tenant_id` /
//! `app.user_id` settings are set first (`set_config(..., true)`: transaction-local, so a
//! pooled connection never carries one tenant's context into another's request). The
//! row-level-security policies read them; a query that forgets its `WHERE tenant_id` still
//! sees only the current tenant.

use crate::{PersistenceError, PgPool};
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::{
    AnsiTransactionManager, AsyncPgConnection, SimpleAsyncConnection, TransactionManager,
};
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

/// A read whose statements are independent of each other: they may all be sent at once.
pub trait ReadWork<R>:
    for<'c> FnOnce(&'c AsyncPgConnection) -> BoxFuture<'c, Result<R, PersistenceError>> + Send
{
}
impl<R, F> ReadWork<R> for F where
    F: for<'c> FnOnce(&'c AsyncPgConnection) -> BoxFuture<'c, Result<R, PersistenceError>> + Send
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

/// Runs a read in a `READ ONLY` transaction scoped to `tenant`, pipelined: BEGIN with
/// the RLS context and the work's statements go out together (the server still runs them
/// in order, so the context is set before the first read), then COMMIT. Two round trips
/// instead of three. A connection left in an unknown state never returns to the pool.
pub async fn read_in_tenant<R: Send>(
    pool: &PgPool,
    tenant: TenantId,
    work: impl ReadWork<R>,
) -> Result<R, PersistenceError> {
    read(pool, Some(tenant), None, work).await
}

/// [`as_user`] for a read whose statements are independent, pipelined like
/// [`read_in_tenant`].
pub async fn read_as_user<R: Send>(
    pool: &PgPool,
    user: UserId,
    work: impl ReadWork<R>,
) -> Result<R, PersistenceError> {
    read(pool, None, Some(user), work).await
}

async fn read<R: Send>(
    pool: &PgPool,
    tenant: Option<TenantId>,
    user: Option<UserId>,
    work: impl ReadWork<R>,
) -> Result<R, PersistenceError> {
    let checkout = Checkout(Some(pool.get().await?));
    let conn = checkout.conn()?;
    let begin = format!("BEGIN READ ONLY; {}", context_sql(tenant, user));
    let mut shared = conn;
    let (began, outcome) =
        futures_util::future::join(shared.batch_execute(&begin), work(conn)).await;
    let end = if began.is_ok() && outcome.is_ok() {
        "COMMIT"
    } else {
        "ROLLBACK"
    };
    shared.batch_execute(end).await?;
    checkout.release();
    began?;
    outcome
}

type Pooled = deadpool::managed::Object<AsyncDieselConnectionManager<AsyncPgConnection>>;

/// A checked-out connection that is discarded, not pooled, unless released: dropped
/// mid-transaction (a cancelled request, an error), it must not serve anyone else.
struct Checkout(Option<Pooled>);

impl Checkout {
    fn conn(&self) -> Result<&AsyncPgConnection, PersistenceError> {
        self.0
            .as_deref()
            .ok_or_else(|| PersistenceError::Unavailable("connection already released".into()))
    }

    fn release(mut self) {
        drop(self.0.take());
    }
}

impl Drop for Checkout {
    fn drop(&mut self) {
        if let Some(conn) = self.0.take() {
            drop(deadpool::managed::Object::take(conn));
        }
    }
}

async fn run<R: Send>(
    pool: &PgPool,
    tenant: Option<TenantId>,
    user: Option<UserId>,
    work: impl Work<R>,
) -> Result<R, PersistenceError> {
    let mut conn = pool.get().await?;
    let conn: &mut AsyncPgConnection = &mut conn;
    // BEGIN and the RLS context in one round trip.
    let begin = format!("BEGIN; {}", context_sql(tenant, user));
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

/// The statement that sets the RLS context for the current transaction. The values are
/// UUIDs we format ourselves (or empty), never client text, so inlining them is safe.
fn context_sql(tenant: Option<TenantId>, user: Option<UserId>) -> String {
    format!(
        "SELECT set_config('app.tenant_id', '{}', true), set_config('app.user_id', '{}', true)",
        tenant.map(|t| t.to_string()).unwrap_or_default(),
        user.map(|u| u.to_string()).unwrap_or_default(),
    )
}
