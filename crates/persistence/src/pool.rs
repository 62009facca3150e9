use crate::PersistenceError;
use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::{AsyncConnection, RunQueryDsl};
use futures_util::FutureExt;
use std::time::Duration;

pub type PgPool = Pool<AsyncPgConnection>;

#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub max_size: usize,
    /// Bounds waiting for, creating and recycling a connection, and every statement
    /// (`statement_timeout`): a slow database answers 503, it never hangs a request.
    pub timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_size: 16,
            timeout: Duration::from_secs(5),
        }
    }
}

/// Builds the pool lazily: no connection is made until the first request, so the server
/// starts (and `/readyz` reports) while the database is still down.
pub fn build_pool(url: &str, settings: &PoolSettings) -> Result<PgPool, PersistenceError> {
    let statement_timeout_ms = settings.timeout.as_millis();
    let mut config = ManagerConfig::default();
    // No test query per checkout: a broken connection surfaces as an error (503) and is
    // dropped; every unit of work already starts with a round trip of its own.
    config.recycling_method = RecyclingMethod::Fast;
    config.custom_setup = Box::new(move |url| {
        async move {
            let mut conn = AsyncPgConnection::establish(url).await?;
            diesel::sql_query(format!("SET statement_timeout = {statement_timeout_ms}"))
                .execute(&mut conn)
                .await
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
            Ok(conn)
        }
        .boxed()
    });
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(url, config);
    Pool::builder(manager)
        .max_size(settings.max_size)
        .runtime(deadpool::Runtime::Tokio1)
        .wait_timeout(Some(settings.timeout))
        .create_timeout(Some(settings.timeout))
        .recycle_timeout(Some(settings.timeout))
        .build()
        .map_err(|e| PersistenceError::Unavailable(e.into()))
}

/// One round trip through the pool: the readiness check.
pub async fn ping(pool: &PgPool) -> Result<(), PersistenceError> {
    let mut conn = pool.get().await?;
    diesel::sql_query("SELECT 1").execute(&mut conn).await?;
    Ok(())
}
