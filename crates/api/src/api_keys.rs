//! Verifying API keys without a database read per request.
//!
//! A short-lived in-process cache holds each key's row and its creator's current scopes in
//! the tenant (found through the global key-id index, then read in the tenant's RLS
//! context). Every request still makes one Redis round trip — the key's revocation marker
//! and the "not before" marks of the tenant, the creator and the creator's membership — so
//! revoking a key, suspending its tenant, or disabling, removing or demoting its creator
//! takes effect at once on every instance, cache or not (SPEC §8: a key acts with its
//! scopes ∩ its creator's current scopes, and stops with its creator's authority).
//!
//! Bad keys cost nothing: a key whose checksum is wrong is refused before any lookup
//! (`auth::api_key`), a key id found missing is remembered (negative cache), and a client
//! address that keeps failing is refused (429) before any database work.
//! `last_used_at` is collected in memory and written in batches.

use crate::error::ApiError;
use crate::guards::Caller;
use auth::RedisStore;
use auth::api_key::ApiKeyCodec;
use auth::rate_limit::RateLimiter;
use auth::revocation::RevocationList;
use chrono::{DateTime, Utc};
use domain::{ApiKeyId, ScopeSet, TenantId, TenantStatus, UserStatus};
use persistence::models::ApiKey;
use persistence::repo::{api_keys, memberships, users};
use persistence::{Mode, PgPool, TenantTx, Tx};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The latest use of each key, awaiting the next batched write.
type UsageStamps = HashMap<(TenantId, ApiKeyId), DateTime<Utc>>;

/// Failed API key presentations allowed per client address (IPv6: per /64) a minute,
/// before the address is refused with 429 ahead of any lookup.
pub const FAILURES_PER_MINUTE: u32 = 30;
/// The rate-limit scope of failed presentations.
const FAILURES: &str = "apikey-failures";
/// Bound of the negative cache (key ids known not to exist); emptied when full.
const MISSES_MAX: usize = 10_000;

struct Cached {
    key: ApiKey,
    tenant_active: bool,
    /// The creator's scopes in the tenant when loaded; `None` if the creator is gone,
    /// disabled, or no longer an active member.
    creator_scopes: Option<ScopeSet>,
    loaded: Instant,
    /// Taken before the rows were read: a mark written after this refreshes the entry.
    loaded_at_ms: i64,
}

#[derive(Clone)]
pub struct ApiKeys {
    db: PgPool,
    redis: RedisStore,
    codec: ApiKeyCodec,
    revocations: RevocationList,
    limiter: RateLimiter,
    cache: Arc<Mutex<HashMap<String, Arc<Cached>>>>,
    misses: Arc<Mutex<HashMap<String, Instant>>>,
    used: Arc<Mutex<UsageStamps>>,
    cache_ttl: Duration,
    /// Redis resets seen (SPEC §14): a reset lost the revocation markers that overrode
    /// cached rows, so the cache is dropped when the count moves.
    seen_resets: Arc<AtomicU64>,
}

fn rejected() -> ApiError {
    // No hint of which: unknown, malformed, revoked and expired all read the same.
    ApiError::Unauthorized(Some("invalid API key".into()))
}

impl ApiKeys {
    pub fn new(
        db: PgPool,
        redis: RedisStore,
        codec: ApiKeyCodec,
        revocations: RevocationList,
        cache_ttl: Duration,
    ) -> Self {
        Self {
            seen_resets: Arc::new(AtomicU64::new(revocations.resets())),
            limiter: RateLimiter::new(redis.clone()),
            db,
            redis,
            codec,
            revocations,
            cache: Arc::default(),
            misses: Arc::default(),
            used: Arc::default(),
            cache_ttl,
        }
    }

    /// Makes a new key (its checksum under this deployment's key).
    pub fn generate(&self) -> auth::api_key::GeneratedKey {
        self.codec.generate()
    }

    fn revoked_key(&self, id: ApiKeyId) -> String {
        self.redis.keys().api_key_revoked(id)
    }

    /// After a revocation: refused by every instance from now on (the marker outlives any
    /// cache entry), and dropped from this instance's cache.
    pub async fn revoked(&self, key: &ApiKey) -> Result<(), ApiError> {
        if let Ok(mut cache) = self.cache.lock() {
            cache.remove(&key.key_id);
        }
        let marker = self.revoked_key(key.id);
        let ttl = self.cache_ttl.as_secs() * 2 + 5;
        let mut conn = self.redis.conn();
        Ok(self
            .redis
            .call(async move {
                redis::cmd("SET")
                    .arg(&marker)
                    .arg(1)
                    .arg("EX")
                    .arg(ttl)
                    .query_async::<()>(&mut conn)
                    .await
            })
            .await?)
    }

    async fn load(&self, key_id: &str) -> Result<Option<Arc<Cached>>, ApiError> {
        let loaded_at_ms = Utc::now().timestamp_millis();
        let Some(tenant) =
            api_keys::tenant_of(&Tx::global(&self.db, Mode::ReadOnly).await?, key_id).await?
        else {
            return Ok(None);
        };
        let tx = TenantTx::begin(&self.db, tenant, Mode::ReadOnly).await?;
        let Some((key, status)) = api_keys::find_by_key_id(&tx, key_id).await? else {
            return Ok(None);
        };
        let creator_scopes = match key.created_by {
            Some(creator) => {
                let (user, grants) = futures_util::future::try_join(
                    users::find(&tx, creator),
                    memberships::grants_of_user(&tx, creator),
                )
                .await?;
                let active = user.is_some_and(|u| u.status == UserStatus::Active);
                grants
                    .iter()
                    .find(|g| g.tenant.id == tenant && crate::facts::is_usable(g))
                    .filter(|_| active)
                    .map(crate::facts::grant_permissions)
            }
            None => None,
        };
        let found = Some((key, status, creator_scopes));
        let Some((key, status, creator_scopes)) = found else {
            return Ok(None);
        };
        let cached = Arc::new(Cached {
            key,
            tenant_active: TenantStatus::parse(&status) == Some(TenantStatus::Active),
            creator_scopes,
            loaded: Instant::now(),
            loaded_at_ms,
        });
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(key_id.to_owned(), cached.clone());
        }
        Ok(Some(cached))
    }

    fn cached(&self, key_id: &str) -> Option<Arc<Cached>> {
        let mut cache = self.cache.lock().ok()?;
        // A Redis reset (SPEC §14) lost the revocation markers that overrode cached rows.
        let resets = self.revocations.resets();
        if self.seen_resets.swap(resets, Ordering::AcqRel) != resets {
            cache.clear();
        }
        cache
            .get(key_id)
            .filter(|c| c.loaded.elapsed() < self.cache_ttl)
            .cloned()
    }

    fn known_missing(&self, key_id: &str) -> bool {
        self.misses
            .lock()
            .ok()
            .and_then(|misses| misses.get(key_id).copied())
            .is_some_and(|at| at.elapsed() < self.cache_ttl)
    }

    fn remember_missing(&self, key_id: &str) {
        if let Ok(mut misses) = self.misses.lock() {
            if misses.len() >= MISSES_MAX {
                misses.clear();
            }
            misses.insert(key_id.to_owned(), Instant::now());
        }
    }

    /// A failed presentation: counted against the client's address; 429 once it has
    /// failed too often, 401 otherwise (the same 401 whatever was wrong).
    async fn refuse(&self, bucket: &str) -> ApiError {
        match self
            .limiter
            .check(FAILURES, bucket, FAILURES_PER_MINUTE)
            .await
        {
            Ok(Ok(())) => rejected(),
            Ok(Err(wait)) => wait.into(),
            Err(error) => error.into(),
        }
    }

    /// The principal of a presented `X-API-Key`, sent from `client`.
    pub async fn authenticate(
        &self,
        presented: &str,
        client: Option<IpAddr>,
    ) -> Result<Caller, ApiError> {
        let bucket = auth::rate_limit::client_bucket(client);
        let Some((key_id, secret)) = self.codec.parse(presented) else {
            return Err(self.refuse(&bucket).await);
        };
        let mut entry = match self.cached(key_id) {
            Some(entry) => entry,
            None => {
                if self.known_missing(key_id) {
                    return Err(self.refuse(&bucket).await);
                }
                // Database work only for an address that has not been failing.
                self.limiter
                    .peek(FAILURES, &bucket, FAILURES_PER_MINUTE)
                    .await??;
                match self.load(key_id).await? {
                    Some(entry) => entry,
                    None => {
                        self.remember_missing(key_id);
                        return Err(self.refuse(&bucket).await);
                    }
                }
            }
        };
        if !auth::api_key::verify(secret, &entry.key.secret_hash) {
            return Err(self.refuse(&bucket).await);
        }
        // One round trip: revoked on any instance? tenant, creator or membership changed
        // since we loaded it?
        let tenant = entry.key.tenant_id;
        let creator = entry.key.created_by.unwrap_or_default();
        let mut pipe = redis::pipe();
        pipe.exists(self.revoked_key(entry.key.id));
        for mark in self.revocations.mark_keys(tenant, creator) {
            pipe.get(mark);
        }
        pipe.get(auth::revocation::epoch::sentinel_key(&self.redis));
        let mut conn = self.redis.conn();
        let (revoked, tenant_mark, user_mark, member_mark, sentinel): (
            bool,
            Option<i64>,
            Option<i64>,
            Option<i64>,
            Option<i64>,
        ) = self
            .redis
            .call(async move { pipe.query_async(&mut conn).await })
            .await?;
        if revoked {
            return Err(self.refuse(&bucket).await);
        }
        // A Redis that lost its state (SPEC §14) lost the markers too: trust the database.
        let lost = !self.revocations.epoch_matches(sentinel);
        if lost
            || [tenant_mark, user_mark, member_mark]
                .into_iter()
                .flatten()
                .any(|mark| mark >= entry.loaded_at_ms)
        {
            entry = self.load(key_id).await?.ok_or_else(rejected)?;
        }
        let key = &entry.key;
        let now = Utc::now();
        let usable = key.revoked_at.is_none()
            && key.expires_at.is_none_or(|at| at > now)
            && entry.tenant_active;
        let Some(creator_scopes) = entry.creator_scopes.filter(|_| usable) else {
            return Err(self.refuse(&bucket).await);
        };
        if let Ok(mut used) = self.used.lock() {
            used.insert((tenant, key.id), now);
        }
        let key_scopes = key.scopes;
        Ok(Caller::ApiKey {
            key: key.id,
            creator,
            tenant,
            scopes: domain::policy::api_key_scopes(key_scopes, creator_scopes),
        })
    }

    /// Writes the collected `last_used_at` stamps (called periodically).
    pub async fn flush_usage(&self) -> Result<(), ApiError> {
        let pending: Vec<((TenantId, ApiKeyId), DateTime<Utc>)> = match self.used.lock() {
            Ok(mut used) => used.drain().collect(),
            Err(_) => return Ok(()),
        };
        let mut by_tenant: HashMap<TenantId, Vec<(ApiKeyId, DateTime<Utc>)>> = HashMap::new();
        for ((tenant, id), at) in pending {
            by_tenant.entry(tenant).or_default().push((id, at));
        }
        for (tenant, stamps) in by_tenant {
            let tx = TenantTx::begin(&self.db, tenant, Mode::ReadWrite).await?;
            api_keys::touch(&tx, &stamps).await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// Flushes usage every `every` until the process ends.
    pub fn spawn_flusher(&self, every: Duration) {
        let keys = self.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(every);
            loop {
                ticker.tick().await;
                if let Err(error) = keys.flush_usage().await {
                    tracing::warn!(%error, "could not record API key usage; will retry");
                }
            }
        });
    }
}
