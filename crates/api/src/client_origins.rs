//! The origins of the registered OAuth clients, in memory, for CORS on `/oauth/*` (SPEC
//! §11: a browser app redeems its code and refreshes cross-origin, so `/oauth/*` answers
//! CORS for the union of the clients' `allowed_origins`). The CORS layer decides
//! synchronously, so the set is loaded ahead: at start, every 30 s, and at once on the
//! instance where a platform admin changed a client (another instance sees the change
//! within 30 s).

use persistence::repo::oauth_clients;
use persistence::{Mode, PersistenceError, PgPool, Tx};
use std::collections::HashSet;
use std::sync::{Arc, RwLock};
use std::time::Duration;

#[derive(Clone, Default)]
pub struct ClientOrigins(Arc<RwLock<HashSet<String>>>);

/// How often every instance reloads the set.
pub const RELOAD_EVERY: Duration = Duration::from_secs(30);

impl ClientOrigins {
    /// Whether `origin` (as a browser sends it: `scheme://host[:port]`) is a client's.
    pub fn allows(&self, origin: &str) -> bool {
        self.0.read().is_ok_and(|set| set.contains(origin))
    }

    /// Replaces the set with what PostgreSQL holds now.
    pub async fn reload(&self, db: &PgPool) -> Result<(), PersistenceError> {
        let tx = Tx::global(db, Mode::ReadOnly).await?;
        let origins: HashSet<String> = oauth_clients::all_origins(&tx).await?.into_iter().collect();
        if let Ok(mut set) = self.0.write() {
            *set = origins;
        }
        Ok(())
    }

    /// Reloads now, logging rather than failing: the change it follows has committed, and
    /// the periodic reload will catch up.
    pub async fn refresh(&self, db: &PgPool) {
        if let Err(error) = self.reload(db).await {
            tracing::warn!(%error, "could not reload the OAuth clients' origins");
        }
    }

    /// Reloads every [`RELOAD_EVERY`] for the life of the process.
    pub fn spawn_reloader(&self, db: PgPool) {
        let origins = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(RELOAD_EVERY);
            loop {
                tick.tick().await;
                origins.refresh(&db).await;
            }
        });
    }
}
