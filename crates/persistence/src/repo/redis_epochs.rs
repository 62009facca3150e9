//! The epoch of each Redis key prefix (SPEC §14, "Redis state loss fails closed"): what
//! Redis's sentinel key must match. A global table: no tenant context needed. The
//! decisions (first start, same, loss) are made in `auth::revocation::epoch`.

use crate::schema::redis_epochs;
use crate::{PersistenceError, Tx};
use chrono::{DateTime, Utc};
use diesel::dsl::now;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// The epoch of one Redis key prefix (see `repo::redis_epochs`).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = redis_epochs, check_for_backend(diesel::pg::Pg))]
pub struct RedisEpoch {
    pub prefix: String,
    pub epoch: i64,
    /// Tokens issued before are refused; `None` until the first reset.
    pub not_before: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

pub async fn find(tx: &Tx, prefix: &str) -> Result<Option<RedisEpoch>, PersistenceError> {
    Ok(redis_epochs::table
        .find(prefix)
        .select(RedisEpoch::as_select())
        .first(&mut tx.conn())
        .await
        .optional()?)
}

/// A prefix seen for the first time: records `epoch` unless another instance just did;
/// returns the row either way.
pub async fn insert_first(
    tx: &Tx,
    prefix: &str,
    epoch: i64,
) -> Result<RedisEpoch, PersistenceError> {
    diesel::insert_into(redis_epochs::table)
        .values((
            redis_epochs::prefix.eq(prefix),
            redis_epochs::epoch.eq(epoch),
        ))
        .on_conflict_do_nothing()
        .execute(&mut tx.conn())
        .await?;
    find(tx, prefix).await?.ok_or(PersistenceError::NotFound)
}

/// Redis lost the state of epoch `from`: moves to the next epoch with "not before" = now,
/// only if the epoch is still `from` (compare-and-set: of the instances noticing one loss,
/// one resets). Returns the row as it is now, and whether this call made the reset.
pub async fn reset(
    tx: &Tx,
    prefix: &str,
    from: i64,
) -> Result<(RedisEpoch, bool), PersistenceError> {
    let updated = diesel::update(
        redis_epochs::table
            .filter(redis_epochs::prefix.eq(prefix))
            .filter(redis_epochs::epoch.eq(from)),
    )
    .set((
        redis_epochs::epoch.eq(redis_epochs::epoch + 1),
        redis_epochs::not_before.eq(now),
    ))
    .returning(RedisEpoch::as_returning())
    .get_result(&mut tx.conn())
    .await
    .optional()?;
    match updated {
        Some(row) => Ok((row, true)),
        None => Ok((
            find(tx, prefix).await?.ok_or(PersistenceError::NotFound)?,
            false,
        )),
    }
}
