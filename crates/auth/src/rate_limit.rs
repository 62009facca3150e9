//! Abuse resistance in Redis, so limits hold across instances: a GCRA rate limiter (one
//! atomic script: no read-then-write race) and a per-username lockout with doubling
//! backoff. Keys: `<p>rl:<scope>:<client>` and `<p>lock:<sha256 of the username>`.

use crate::{AuthError, RedisStore};
use redis::Script;
use sha2::{Digest, Sha256};
use std::sync::LazyLock;
use std::time::Duration;

static GCRA: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("scripts/gcra.lua")));
static LOCKOUT_FAILURE: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("scripts/lockout_failure.lua")));

/// A lock never lasts longer (SPEC §8: doubling up to 15 minutes).
pub const MAX_LOCK: Duration = Duration::from_secs(15 * 60);
/// Failures are forgotten this long after the last one.
const FAILURE_MEMORY: Duration = Duration::from_secs(15 * 60);

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Why a request may not proceed yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub Duration);

impl RetryAfter {
    /// Whole seconds, at least 1 (the `Retry-After` header).
    pub fn secs(self) -> u64 {
        self.0.as_millis().div_ceil(1000).max(1) as u64
    }
}

#[derive(Clone)]
pub struct RateLimiter {
    redis: RedisStore,
}

impl RateLimiter {
    pub fn new(redis: RedisStore) -> Self {
        Self { redis }
    }

    /// Allows `per_minute` requests a minute for `client` in `scope`, in bursts of up to
    /// the same number.
    pub async fn check(
        &self,
        scope: &str,
        client: &str,
        per_minute: u32,
    ) -> Result<Result<(), RetryAfter>, AuthError> {
        let per_minute = u64::from(per_minute.max(1));
        let interval_us = (60_000_000 / per_minute).max(1);
        let tolerance_us = interval_us * (per_minute - 1);
        let key = self.redis.key(&format!("rl:{scope}:{client}"));
        let mut invocation = GCRA.prepare_invoke();
        invocation.key(&key).arg(interval_us).arg(tolerance_us);
        let mut conn = self.redis.conn();
        let (allowed, wait_us): (i64, i64) = self
            .redis
            .call(async move { invocation.invoke_async(&mut conn).await })
            .await?;
        Ok(if allowed == 1 {
            Ok(())
        } else {
            Err(RetryAfter(Duration::from_micros(wait_us.max(1) as u64)))
        })
    }
}

#[derive(Clone)]
pub struct Lockout {
    redis: RedisStore,
    threshold: u32,
    base: Duration,
}

impl Lockout {
    pub fn new(redis: RedisStore, threshold: u32, base: Duration) -> Self {
        Self {
            redis,
            threshold,
            base,
        }
    }

    /// Keyed by the submitted string, normalised, whether or not such an account exists.
    fn key(&self, username: &str) -> String {
        let digest = Sha256::digest(username.trim().to_lowercase().as_bytes());
        let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        self.redis.key(&format!("lock:{hex}"))
    }

    /// `Err` while the username is locked.
    pub async fn check(&self, username: &str) -> Result<Result<(), RetryAfter>, AuthError> {
        let key = self.key(username);
        let mut conn = self.redis.conn();
        let until: Option<i64> = self
            .redis
            .call(async move {
                redis::cmd("HGET")
                    .arg(&key)
                    .arg("until")
                    .query_async(&mut conn)
                    .await
            })
            .await?;
        let now = now_ms();
        Ok(match until {
            Some(until) if until > now => {
                Err(RetryAfter(Duration::from_millis((until - now) as u64)))
            }
            _ => Ok(()),
        })
    }

    /// Records a failure; returns the lock it triggered, if any.
    pub async fn failed(&self, username: &str) -> Result<Option<RetryAfter>, AuthError> {
        let mut invocation = LOCKOUT_FAILURE.prepare_invoke();
        invocation
            .key(self.key(username))
            .arg(self.threshold)
            .arg(self.base.as_millis() as u64)
            .arg(MAX_LOCK.as_millis() as u64)
            .arg(now_ms())
            .arg(FAILURE_MEMORY.as_millis() as u64);
        let mut conn = self.redis.conn();
        let lock_ms: i64 = self
            .redis
            .call(async move { invocation.invoke_async(&mut conn).await })
            .await?;
        Ok((lock_ms > 0).then(|| RetryAfter(Duration::from_millis(lock_ms as u64))))
    }

    /// A successful login clears the username's failures.
    pub async fn succeeded(&self, username: &str) -> Result<(), AuthError> {
        let key = self.key(username);
        let mut conn = self.redis.conn();
        self.redis
            .call(async move {
                redis::cmd("DEL")
                    .arg(&key)
                    .query_async::<()>(&mut conn)
                    .await
            })
            .await
    }
}
