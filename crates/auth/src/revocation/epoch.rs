//! Redis state loss fails closed (SPEC §14).
//!
//! **Threat.** Redis holds what is revoked (logouts, reused sessions, "not before" marks of
//! users, tenants and memberships). A Redis that restarts without persistence, fails over
//! to an empty replica or is flushed comes back *empty*: every revocation it held is gone,
//! and the tokens they refused would be accepted again until they expire. Nothing in an
//! empty Redis says that it is empty rather than new.
//!
//! **Defence.** PostgreSQL remembers an *epoch* per Redis key prefix
//! (`GATEHOUSE_REDIS_PREFIX`, table `redis_epochs`), and Redis holds a matching sentinel,
//! `<p>epoch` (no expiry; see the layout in `sessions`). An instance compares them at start
//! ([`EpochGuard::establish`]), at every (re)subscription of the revocation feed, at every
//! heartbeat of a live mirror, and in the per-request fallback (the sentinel is read in the
//! same pipelined round trip as the lists):
//!
//! - prefix unknown to PostgreSQL: a **first start** (a new deployment, or a test run under
//!   its own prefix in a shared database): the epoch is recorded, the sentinel written,
//!   nothing is refused;
//! - sentinel equal to the epoch: Redis still holds that epoch's state;
//! - sentinel missing or different: a **loss**. The instance writes the next epoch's
//!   sentinel, then moves the epoch on in PostgreSQL with "not before" = now, as a
//!   compare-and-set on the epoch it found: of all the instances noticing one loss, one
//!   resets and the others adopt its row. (Sentinel first: an instance that reads the new
//!   epoch from PostgreSQL then finds its sentinel too, so no second reset can follow from
//!   the window between the two writes; a sentinel ahead of PostgreSQL reads as a loss
//!   of the epoch PostgreSQL holds, which the compare-and-set resolves to one reset.)
//!
//! Every token issued before the prefix's "not before" is refused
//! ([`Revoked::Reset`](super::Revoked::Reset): 401 "sessions were reset", sign in again);
//! refresh tokens were lost with Redis anyway. The "not before" is held in memory (loaded at
//! start and at every comparison), so no request reads the database: the mirror and the
//! fallback both apply it in [`RevocationList::check`](super::RevocationList::check).
//! The mirror is reloaded by the feed round that found the loss; what it held before is
//! kept, as it refuses only tokens the reset refuses anyway.
//!
//! While the epoch is not established (PostgreSQL or Redis unreachable at the comparison),
//! the mirror does not go live and the fallback, finding a sentinel that does not match,
//! compares again at once and, failing that, answers "unavailable" (503): a token is never
//! checked against a Redis whose epoch is unknown.
//!
//! Anything cached per instance that a lost Redis marker used to override (API keys) must
//! be dropped when the "not before" moves: [`EpochGuard::resets`] counts those moves.
//!
//! **Layering.** `auth` has no database: PostgreSQL is reached through [`EpochStore`],
//! implemented in `api` over `persistence::repo::redis_epochs` (which owns the SQL). The
//! decision itself is the pure [`decide`].

use crate::{AuthError, RedisStore};
use futures_util::future::BoxFuture;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// What PostgreSQL holds for one prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Epoch {
    /// ≥ 1; what `<p>epoch` must hold.
    pub epoch: i64,
    /// Unix ms of the last reset: tokens issued before are refused.
    pub not_before_ms: Option<i64>,
}

/// The durable side of the epoch (PostgreSQL), kept out of `auth`.
pub trait EpochStore: Send + Sync {
    /// The prefix's epoch, if it was ever recorded.
    fn find<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<Option<Epoch>, AuthError>>;
    /// Records `epoch` for a prefix seen for the first time (unless another instance just
    /// did); returns what is recorded.
    fn insert_first<'a>(
        &'a self,
        prefix: &'a str,
        epoch: i64,
    ) -> BoxFuture<'a, Result<Epoch, AuthError>>;
    /// Moves the epoch from `from` to the next, with "not before" = now, only if it still is
    /// `from`; returns what is recorded afterwards, whoever moved it.
    fn reset<'a>(&'a self, prefix: &'a str, from: i64) -> BoxFuture<'a, Result<Epoch, AuthError>>;
}

/// What a comparison of Redis's sentinel with PostgreSQL's epoch means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finding {
    /// PostgreSQL has never seen the prefix: record it, write the sentinel.
    FirstStart,
    /// Redis holds the state of the epoch PostgreSQL knows.
    Same,
    /// Redis lost (or never had) the state of epoch `from`: reset.
    Lost { from: i64 },
}

/// `recorded`: PostgreSQL's epoch for the prefix; `sentinel`: `<p>epoch` in Redis.
pub fn decide(recorded: Option<i64>, sentinel: Option<i64>) -> Finding {
    match recorded {
        None => Finding::FirstStart,
        Some(epoch) if sentinel == Some(epoch) => Finding::Same,
        Some(epoch) => Finding::Lost { from: epoch },
    }
}

/// One process's view of its prefix's epoch.
pub struct EpochGuard {
    redis: RedisStore,
    store: Box<dyn EpochStore>,
    /// The epoch this process has checked Redis against; 0 until the first comparison.
    epoch: AtomicI64,
    /// Unix ms; tokens issued before are refused. 0: no reset known.
    not_before_ms: AtomicI64,
    resets: AtomicU64,
    /// One comparison at a time; requests finding a mismatch together wait for one.
    comparing: tokio::sync::Mutex<()>,
}

/// `<p>epoch`.
pub fn sentinel_key(redis: &RedisStore) -> String {
    redis.keys().epoch_sentinel()
}

impl EpochGuard {
    pub fn new(redis: RedisStore, store: Box<dyn EpochStore>) -> Self {
        Self {
            redis,
            store,
            epoch: AtomicI64::new(0),
            not_before_ms: AtomicI64::new(0),
            resets: AtomicU64::new(0),
            comparing: tokio::sync::Mutex::default(),
        }
    }

    pub fn sentinel_key(&self) -> String {
        sentinel_key(&self.redis)
    }

    /// The epoch Redis was last found to match (0: not established).
    pub fn current(&self) -> i64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Whether `sentinel`, read from Redis, shows the established epoch.
    pub fn matches(&self, sentinel: Option<i64>) -> bool {
        let current = self.current();
        current != 0 && sentinel == Some(current)
    }

    /// Unix ms before which every token is refused (0: none).
    pub fn not_before_ms(&self) -> i64 {
        self.not_before_ms.load(Ordering::Acquire)
    }

    /// How many times this process has seen the "not before" move: whatever it cached from
    /// before a move must be dropped.
    pub fn resets(&self) -> u64 {
        self.resets.load(Ordering::Acquire)
    }

    /// Compares the sentinel with PostgreSQL and acts on the [`Finding`]; afterwards Redis
    /// matches the established epoch (until it is lost again).
    pub async fn establish(&self) -> Result<(), AuthError> {
        self.establish_unless_moved(None).await
    }

    /// [`establish`](Self::establish), unless the epoch is no longer `seen` by the time it is
    /// this caller's turn (another caller has just compared).
    pub async fn establish_unless_moved(&self, seen: Option<i64>) -> Result<(), AuthError> {
        let _turn = self.comparing.lock().await;
        if seen.is_some_and(|seen| seen != self.current()) {
            return Ok(());
        }
        let prefix = self.redis.keys().prefix();
        let recorded = self.store.find(&prefix).await?;
        let sentinel = self.sentinel().await?;
        let epoch = match (decide(recorded.map(|r| r.epoch), sentinel), recorded) {
            (Finding::Same, Some(recorded)) => recorded,
            (Finding::FirstStart, _) | (Finding::Same, None) => {
                // A sentinel PostgreSQL does not know (its database was replaced) is kept:
                // Redis's state is intact.
                let epoch = self
                    .store
                    .insert_first(&prefix, sentinel.filter(|e| *e > 0).unwrap_or(1))
                    .await?;
                tracing::info!(
                    prefix,
                    epoch = epoch.epoch,
                    "first start for this Redis prefix"
                );
                epoch
            }
            (Finding::Lost { from }, _) => {
                self.write_sentinel(from + 1).await?;
                let epoch = self.store.reset(&prefix, from).await?;
                tracing::warn!(
                    prefix,
                    from,
                    epoch = epoch.epoch,
                    ?sentinel,
                    "Redis lost its state (sentinel missing or different): every token issued before the reset is refused; users sign in again"
                );
                epoch
            }
        };
        if sentinel != Some(epoch.epoch) {
            self.write_sentinel(epoch.epoch).await?;
        }
        self.adopt(epoch);
        Ok(())
    }

    fn adopt(&self, epoch: Epoch) {
        let not_before = epoch.not_before_ms.unwrap_or(0);
        if self.not_before_ms.fetch_max(not_before, Ordering::AcqRel) < not_before {
            self.resets.fetch_add(1, Ordering::AcqRel);
        }
        self.epoch.store(epoch.epoch, Ordering::Release);
    }

    /// Compares again if Redis no longer shows the established epoch.
    pub async fn verify(&self) -> Result<(), AuthError> {
        let seen = self.current();
        if self.matches(self.sentinel().await?) {
            return Ok(());
        }
        self.establish_unless_moved(Some(seen)).await
    }

    /// `<p>epoch`; something unreadable there counts as missing.
    async fn sentinel(&self) -> Result<Option<i64>, AuthError> {
        let key = self.sentinel_key();
        let mut conn = self.redis.conn();
        let value: Option<String> = self
            .redis
            .call(async move { redis::cmd("GET").arg(&key).query_async(&mut conn).await })
            .await?;
        Ok(value.and_then(|v| v.parse().ok()))
    }

    async fn write_sentinel(&self, epoch: i64) -> Result<(), AuthError> {
        let key = self.sentinel_key();
        let mut conn = self.redis.conn();
        self.redis
            .call(async move {
                redis::cmd("SET")
                    .arg(&key)
                    .arg(epoch)
                    .query_async::<()>(&mut conn)
                    .await
            })
            .await
    }
}

/// For an instance without a revocation feed (no mirror), whose checks all ask Redis and
/// compare there: compares every `every` as well, so that what is cached elsewhere (API
/// keys) learns of a loss within `every` even when no token is checked.
pub fn spawn_watch(guard: Arc<EpochGuard>, every: Duration) {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if let Err(error) = guard.verify().await {
                tracing::warn!(%error, "could not compare the Redis epoch; will retry");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unseen_prefix_is_a_first_start_whatever_redis_holds() {
        assert_eq!(decide(None, None), Finding::FirstStart);
        assert_eq!(decide(None, Some(3)), Finding::FirstStart);
    }

    #[test]
    fn a_matching_sentinel_means_redis_kept_its_state() {
        assert_eq!(decide(Some(1), Some(1)), Finding::Same);
        assert_eq!(decide(Some(7), Some(7)), Finding::Same);
    }

    #[test]
    fn a_missing_or_different_sentinel_is_a_loss_of_the_recorded_epoch() {
        assert_eq!(decide(Some(1), None), Finding::Lost { from: 1 });
        assert_eq!(decide(Some(2), Some(1)), Finding::Lost { from: 2 });
        // Ahead of PostgreSQL: another instance is resetting, or the database was restored;
        // the compare-and-set on 2 makes it one reset either way.
        assert_eq!(decide(Some(2), Some(3)), Finding::Lost { from: 2 });
    }
}
