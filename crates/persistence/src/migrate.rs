//! The migrations of `migrations/`, embedded in the binary.

use crate::PersistenceError;
use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// Applies every pending migration; returns the versions applied.
///
/// Diesel's migration harness is synchronous: it runs on a blocking thread over a
/// wrapped async connection.
pub async fn run_pending(database_url: &str) -> Result<Vec<String>, PersistenceError> {
    let url = database_url.to_owned();
    tokio::task::spawn_blocking(move || {
        use diesel::Connection;
        let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&url)
            .map_err(|e| PersistenceError::Unavailable(e.into()))?;
        let applied = conn
            .run_pending_migrations(MIGRATIONS)
            .map_err(PersistenceError::Migration)?;
        Ok(applied.iter().map(|v| v.to_string()).collect())
    })
    .await
    .map_err(|e| PersistenceError::Migration(e.into()))?
}
