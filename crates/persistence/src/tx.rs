//! Units of work as values. A [`Tx`] owns one pooled connection and the row-level-security
//! context its transaction runs under; repositories take it (`&Tx`, or `&TenantTx` for
//! tenant data) and the caller decides: [`Tx::commit`], or drop it to roll back.
//!
//! * The context (`app.tenant_id` / `app.user_id`, set with `set_config(.., true)`:
//!   transaction-local, so a pooled connection never carries one tenant's context into
//!   another's request) is what the RLS policies read; a query that forgets its
//!   `WHERE tenant_id` still sees only the current tenant.
//! * `BEGIN` and the context are not a round trip of their own: they are sent together with
//!   the transaction's first statement (pipelined; the server still runs them in order, so
//!   the context is set before the first read).
//! * Dropped without `commit()` — an error returned with `?`, a cancelled request — the
//!   transaction is rolled back: in the background, and the connection returns to the pool
//!   only if that rollback succeeds and no statement was abandoned mid-flight; otherwise it
//!   is discarded, never reused in an unknown state.

use crate::PersistenceError;
use diesel::QueryResult;
use diesel::query_builder::{AsQuery, QueryFragment, QueryId};
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::{AsyncConnectionCore, AsyncPgConnection, SimpleAsyncConnection};
use domain::{TenantId, UserId};
use futures_util::future::BoxFuture;
use std::ops::Deref;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

type Pooled = deadpool::managed::Object<AsyncDieselConnectionManager<AsyncPgConnection>>;

/// Whether the transaction may write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    ReadOnly,
    ReadWrite,
}

/// The row-level-security context of a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Context {
    /// One tenant's rows.
    Tenant(TenantId),
    /// A user's own memberships in every tenant, and nothing else of any tenant.
    User(UserId),
    /// Global tables only (tenants, users); every tenant-owned table reads as empty.
    Global,
}

impl Context {
    /// The statements that open the transaction. The values are UUIDs we format ourselves
    /// (or empty), never client text, so inlining them is safe.
    fn begin_sql(self, mode: Mode) -> String {
        let (tenant, user) = match self {
            Context::Tenant(t) => (t.to_string(), String::new()),
            Context::User(u) => (String::new(), u.to_string()),
            Context::Global => (String::new(), String::new()),
        };
        let begin = match mode {
            Mode::ReadOnly => "BEGIN READ ONLY",
            Mode::ReadWrite => "BEGIN",
        };
        format!(
            "{begin}; SELECT set_config('app.tenant_id', '{tenant}', true), \
             set_config('app.user_id', '{user}', true)"
        )
    }
}

/// A transaction in progress. See the module documentation.
pub struct Tx {
    conn: Option<Pooled>,
    /// `BEGIN` and the context, until the first statement takes them along.
    pending_begin: Mutex<Option<String>>,
    /// Statements started and not yet answered: one abandoned mid-flight leaves the
    /// connection in a state nobody should inherit.
    in_flight: AtomicUsize,
    /// A statement failed: PostgreSQL has aborted the transaction, and a `COMMIT` would
    /// quietly roll it back; `commit()` reports it instead.
    failed: AtomicBool,
}

impl Tx {
    /// A transaction over global tables only.
    pub async fn global(pool: &crate::PgPool, mode: Mode) -> Result<Tx, PersistenceError> {
        Tx::begin(pool, Context::Global, mode).await
    }

    /// A transaction that may read `user`'s own memberships in every tenant.
    pub async fn as_user(
        pool: &crate::PgPool,
        user: UserId,
        mode: Mode,
    ) -> Result<Tx, PersistenceError> {
        Tx::begin(pool, Context::User(user), mode).await
    }

    async fn begin(
        pool: &crate::PgPool,
        context: Context,
        mode: Mode,
    ) -> Result<Tx, PersistenceError> {
        Ok(Tx {
            conn: Some(pool.get().await?),
            pending_begin: Mutex::new(Some(context.begin_sql(mode))),
            in_flight: AtomicUsize::new(0),
            failed: AtomicBool::new(false),
        })
    }

    /// The connection, for diesel's `RunQueryDsl` (`.load(&mut tx.conn())`).
    pub fn conn(&self) -> TxConn<'_> {
        TxConn { tx: self }
    }

    /// Makes the transaction's changes permanent. A transaction in which nothing ran costs
    /// no round trip.
    pub async fn commit(mut self) -> Result<(), PersistenceError> {
        if self.failed.load(Ordering::Acquire) {
            return Err(PersistenceError::Aborted);
        }
        if self.take_begin().is_some() {
            // Nothing was sent: the connection is as clean as it came.
            drop(self.conn.take());
            return Ok(());
        }
        let mut conn: &AsyncPgConnection = self.raw();
        conn.batch_execute("COMMIT").await?;
        drop(self.conn.take());
        Ok(())
    }

    fn raw(&self) -> &AsyncPgConnection {
        match &self.conn {
            Some(conn) => conn,
            // `conn` is only taken by `commit(self)` and `drop`, which consume the value.
            None => unreachable!("a transaction's connection is present while it is borrowed"),
        }
    }

    fn take_begin(&self) -> Option<String> {
        match self.pending_begin.lock() {
            Ok(mut pending) => pending.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        }
    }

    /// Runs one statement's future: with `BEGIN` ahead of it if it is the first, counted
    /// while in flight, and any failure remembered.
    fn statement<'a, T: Send + 'a>(
        &'a self,
        statement: BoxFuture<'a, QueryResult<T>>,
    ) -> BoxFuture<'a, QueryResult<T>> {
        let begin = self.take_begin();
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        Box::pin(async move {
            let outcome = match begin {
                Some(sql) => {
                    let mut conn: &AsyncPgConnection = self.raw();
                    let (began, outcome) =
                        futures_util::future::join(conn.batch_execute(&sql), statement).await;
                    began.and(outcome)
                }
                None => statement.await,
            };
            if outcome.is_err() {
                self.failed.store(true, Ordering::Release);
            }
            self.in_flight.fetch_sub(1, Ordering::AcqRel);
            outcome
        })
    }
}

impl Drop for Tx {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        let began = self.take_begin().is_none();
        if !began {
            return; // never used: back to the pool as it came
        }
        let abandoned = self.in_flight.load(Ordering::Acquire) > 0;
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) if !abandoned => {
                runtime.spawn(async move {
                    let mut c: &AsyncPgConnection = &conn;
                    if c.batch_execute("ROLLBACK").await.is_err() {
                        drop(deadpool::managed::Object::take(conn));
                    }
                });
            }
            _ => drop(deadpool::managed::Object::take(conn)),
        }
    }
}

/// A transaction of one tenant: the tenant every repository call of it acts in.
pub struct TenantTx {
    tx: Tx,
    tenant: TenantId,
}

impl TenantTx {
    pub async fn begin(
        pool: &crate::PgPool,
        tenant: TenantId,
        mode: Mode,
    ) -> Result<TenantTx, PersistenceError> {
        Ok(TenantTx {
            tx: Tx::begin(pool, Context::Tenant(tenant), mode).await?,
            tenant,
        })
    }

    pub fn tenant(&self) -> TenantId {
        self.tenant
    }

    pub async fn commit(self) -> Result<(), PersistenceError> {
        self.tx.commit().await
    }
}

/// Tenant repositories also run the global ones (users, tenants) inside the same
/// transaction.
impl Deref for TenantTx {
    type Target = Tx;
    fn deref(&self) -> &Tx {
        &self.tx
    }
}

/// The connection of a [`Tx`] as diesel-async sees it. Statements issued through it may be
/// pipelined (`try_join`): each borrows the transaction only shared.
pub struct TxConn<'a> {
    tx: &'a Tx,
}

impl SimpleAsyncConnection for TxConn<'_> {
    async fn batch_execute(&mut self, query: &str) -> QueryResult<()> {
        let mut conn: &AsyncPgConnection = self.tx.raw();
        let query = query.to_owned();
        self.tx
            .statement(Box::pin(async move { conn.batch_execute(&query).await }))
            .await
    }
}

type PgCore<'a> = &'a AsyncPgConnection;

impl<'a> AsyncConnectionCore for TxConn<'a> {
    type LoadFuture<'conn, 'query> =
        BoxFuture<'a, QueryResult<<PgCore<'a> as AsyncConnectionCore>::Stream<'conn, 'query>>>;
    type ExecuteFuture<'conn, 'query> = BoxFuture<'a, QueryResult<usize>>;
    type Stream<'conn, 'query> = <PgCore<'a> as AsyncConnectionCore>::Stream<'conn, 'query>;
    type Row<'conn, 'query> = <PgCore<'a> as AsyncConnectionCore>::Row<'conn, 'query>;
    type Backend = diesel::pg::Pg;

    fn load<'conn, 'query, T>(&'conn mut self, source: T) -> Self::LoadFuture<'conn, 'query>
    where
        T: AsQuery + 'query,
        T::Query: QueryFragment<Self::Backend> + QueryId + 'query,
    {
        let mut conn: PgCore<'a> = self.tx.raw();
        let load = AsyncConnectionCore::load(&mut conn, source);
        self.tx.statement(load)
    }

    fn execute_returning_count<'conn, 'query, T>(
        &'conn mut self,
        source: T,
    ) -> Self::ExecuteFuture<'conn, 'query>
    where
        T: QueryFragment<Self::Backend> + QueryId + 'query,
    {
        let mut conn: PgCore<'a> = self.tx.raw();
        let execute = AsyncConnectionCore::execute_returning_count(&mut conn, source);
        self.tx.statement(execute)
    }
}
