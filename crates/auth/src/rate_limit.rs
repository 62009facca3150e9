//! Abuse resistance in Redis, so limits hold across instances: a GCRA rate limiter (one
//! atomic script: no read-then-write race) and a per-username lockout with doubling
//! backoff. Keys: `<p>rl:<scope>:<client>` and `<p>lock:<flow>:<sha256 of the subject>`.

use crate::{AuthError, RedisStore};
use redis::Script;
use sha2::{Digest, Sha256};
use std::sync::LazyLock;
use std::time::Duration;

static GCRA: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("scripts/gcra.lua")));
static GCRA_PEEK: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("scripts/gcra_peek.lua")));
static LOCKOUT_ATTEMPT: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("scripts/lockout_attempt.lua")));

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

/// The rate-limit bucket of a client address: IPv4 per address (IPv4-mapped IPv6 counts
/// as IPv4), IPv6 per /64 — one subscriber usually holds a whole /64, so limiting per
/// address would give an attacker 2^64 buckets (SPEC §8). Clients of no known address
/// share one bucket.
pub fn client_bucket(ip: Option<std::net::IpAddr>) -> String {
    let Some(ip) = ip else {
        return "unknown".into();
    };
    match ip {
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
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
        let (interval_us, tolerance_us) = gcra_parameters(per_minute);
        let key = self.redis.keys().rate_limit(scope, client);
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

    /// Whether [`check`](Self::check) would refuse `client` now, spending nothing: for
    /// limits on failures, consulted before the work that might fail.
    pub async fn peek(
        &self,
        scope: &str,
        client: &str,
        per_minute: u32,
    ) -> Result<Result<(), RetryAfter>, AuthError> {
        let (_, tolerance_us) = gcra_parameters(per_minute);
        let mut invocation = GCRA_PEEK.prepare_invoke();
        invocation
            .key(self.redis.keys().rate_limit(scope, client))
            .arg(tolerance_us);
        let mut conn = self.redis.conn();
        let wait_us: i64 = self
            .redis
            .call(async move { invocation.invoke_async(&mut conn).await })
            .await?;
        Ok(if wait_us > 0 {
            Err(RetryAfter(Duration::from_micros(wait_us as u64)))
        } else {
            Ok(())
        })
    }
}

/// GCRA's emission interval and burst tolerance (µs) for `per_minute` in bursts of as many.
fn gcra_parameters(per_minute: u32) -> (u64, u64) {
    let per_minute = u64::from(per_minute.max(1));
    let interval_us = (60_000_000 / per_minute).max(1);
    (interval_us, interval_us * (per_minute - 1))
}

/// What is being guessed at: each flow locks on its own, so a login for "x" never locks
/// x's password change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guessed {
    /// A password, by the email (or any string) submitted as the username.
    Login,
    /// The current password of a signed-in user, by user id.
    PasswordChange,
}

impl Guessed {
    fn as_str(self) -> &'static str {
        match self {
            Guessed::Login => "login",
            Guessed::PasswordChange => "password-change",
        }
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

    /// Keyed by what is guessed at and the submitted subject, normalised, whether or not
    /// such an account exists.
    fn key(&self, guessed: Guessed, subject: &str) -> String {
        let digest = Sha256::digest(subject.trim().to_lowercase().as_bytes());
        let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        self.redis.keys().lockout(guessed.as_str(), &hex)
    }

    /// Counts an attempt for `username` before its secret is verified, atomically
    /// (`scripts/lockout_attempt.lua`): `Err` while the username is locked. A success then
    /// clears the count ([`succeeded`](Self::succeeded)); a failure needs no second call.
    pub async fn attempt(
        &self,
        guessed: Guessed,
        subject: &str,
    ) -> Result<Result<(), RetryAfter>, AuthError> {
        let mut invocation = LOCKOUT_ATTEMPT.prepare_invoke();
        invocation
            .key(self.key(guessed, subject))
            .arg(self.threshold)
            .arg(self.base.as_millis() as u64)
            .arg(MAX_LOCK.as_millis() as u64)
            .arg(now_ms())
            .arg(FAILURE_MEMORY.as_millis() as u64);
        let mut conn = self.redis.conn();
        let locked_ms: i64 = self
            .redis
            .call(async move { invocation.invoke_async(&mut conn).await })
            .await?;
        Ok(if locked_ms > 0 {
            Err(RetryAfter(Duration::from_millis(locked_ms as u64)))
        } else {
            Ok(())
        })
    }

    /// A successful login clears the username's attempts.
    pub async fn succeeded(&self, guessed: Guessed, subject: &str) -> Result<(), AuthError> {
        let key = self.key(guessed, subject);
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

#[cfg(test)]
mod tests {
    use super::client_bucket;

    #[test]
    fn ipv6_clients_share_their_64_and_mapped_ipv4_counts_as_ipv4() {
        let a = client_bucket(Some("2001:db8:1:2:aaaa::1".parse().unwrap()));
        let b = client_bucket(Some("2001:db8:1:2:ffff:1:2:3".parse().unwrap()));
        let other = client_bucket(Some("2001:db8:1:3::1".parse().unwrap()));
        assert_eq!(a, b);
        assert_eq!(a, "2001:db8:1:2::/64");
        assert_ne!(a, other);
        assert_eq!(client_bucket(None), "unknown");
        assert_eq!(
            client_bucket(Some("::ffff:192.0.2.7".parse().unwrap())),
            "192.0.2.7"
        );
        assert_eq!(
            client_bucket(Some("192.0.2.7".parse().unwrap())),
            "192.0.2.7"
        );
        assert_ne!(
            client_bucket(Some("192.0.2.7".parse().unwrap())),
            client_bucket(Some("192.0.2.8".parse().unwrap()))
        );
    }
}
