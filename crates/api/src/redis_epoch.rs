//! The PostgreSQL side of the Redis epoch (SPEC §14, "Redis state loss fails closed"):
//! `auth::revocation::epoch` decides and acts (it owns the sentinel, the "not before", the
//! mirror); `persistence::repo::redis_epochs` owns the SQL; this adapter joins them, so
//! `auth` keeps no database dependency. It uses the process-wide pool: comparisons happen
//! at start, at resubscriptions and when a request finds the sentinel changed — never per
//! request otherwise.

use auth::AuthError;
use auth::revocation::epoch::{Epoch, EpochStore};
use futures_util::future::BoxFuture;
use persistence::models::RedisEpoch;
use persistence::repo::redis_epochs;
use persistence::{Mode, PersistenceError, PgPool, Tx};

pub struct PgEpochStore {
    db: PgPool,
}

impl PgEpochStore {
    pub fn new(db: PgPool) -> Self {
        Self { db }
    }
}

fn epoch(row: RedisEpoch) -> Epoch {
    Epoch {
        epoch: row.epoch,
        not_before_ms: row.not_before.map(|at| at.timestamp_millis()),
    }
}

fn auth_error(error: PersistenceError) -> AuthError {
    match error {
        PersistenceError::Unavailable(_) => AuthError::Unavailable(Box::new(error)),
        other => AuthError::Internal(Box::new(other)),
    }
}

impl EpochStore for PgEpochStore {
    fn find<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<Option<Epoch>, AuthError>> {
        Box::pin(async move {
            let prefix = prefix.to_owned();
            let tx = Tx::global(&self.db, Mode::ReadOnly)
                .await
                .map_err(auth_error)?;
            redis_epochs::find(&tx, &prefix)
                .await
                .map(|row| row.map(epoch))
                .map_err(auth_error)
        })
    }

    fn insert_first<'a>(
        &'a self,
        prefix: &'a str,
        first: i64,
    ) -> BoxFuture<'a, Result<Epoch, AuthError>> {
        Box::pin(async move {
            let prefix = prefix.to_owned();
            let tx = Tx::global(&self.db, Mode::ReadWrite)
                .await
                .map_err(auth_error)?;
            let row = redis_epochs::insert_first(&tx, &prefix, first)
                .await
                .map_err(auth_error)?;
            tx.commit().await.map_err(auth_error)?;
            Ok(epoch(row))
        })
    }

    fn reset<'a>(&'a self, prefix: &'a str, from: i64) -> BoxFuture<'a, Result<Epoch, AuthError>> {
        Box::pin(async move {
            let prefix = prefix.to_owned();
            let tx = Tx::global(&self.db, Mode::ReadWrite)
                .await
                .map_err(auth_error)?;
            let (row, ours) = redis_epochs::reset(&tx, &prefix, from)
                .await
                .map_err(auth_error)?;
            tx.commit().await.map_err(auth_error)?;
            if ours {
                tracing::warn!(
                    prefix = row.prefix,
                    epoch = row.epoch,
                    "this instance recorded the reset of the Redis prefix"
                );
            }
            Ok(epoch(row))
        })
    }
}
