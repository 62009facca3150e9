//! Verifying API keys without a database read per request.
//!
//! A short-lived in-process cache holds each key's row (found through the global key-id
//! index, then read in its tenant's RLS context). Every request still makes one Redis
//! round trip — a revocation marker and the tenant's "not before" mark — so revoking a key
//! or suspending its tenant takes effect at once on every instance, cache or not.
//! `last_used_at` is collected in memory and written in batches.

use crate::error::ApiError;
use crate::guards::Principal;
use auth::RedisStore;
use chrono::{DateTime, Utc};
use domain::{ScopeSet, TenantId, TenantStatus, UserId};
use persistence::PgPool;
use persistence::models::ApiKey;
use persistence::repo::api_keys;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The latest use of each key, awaiting the next batched write.
type UsageStamps = HashMap<(TenantId, Uuid), DateTime<Utc>>;

struct Cached {
    key: ApiKey,
    tenant_active: bool,
    loaded: Instant,
    loaded_at_ms: i64,
}

#[derive(Clone)]
pub struct ApiKeys {
    db: PgPool,
    redis: RedisStore,
    cache: Arc<Mutex<HashMap<String, Arc<Cached>>>>,
    used: Arc<Mutex<UsageStamps>>,
    cache_ttl: Duration,
    /// Redis resets seen (SPEC §14): a reset lost the revocation markers that overrode
    /// cached rows, so the cache is dropped when the count moves.
    resets: Option<(auth::revocation::RevocationList, Arc<AtomicU64>)>,
}

fn rejected() -> ApiError {
    // No hint of which: unknown, malformed, revoked and expired all read the same.
    ApiError::Unauthorized(Some("invalid API key".into()))
}

impl ApiKeys {
    pub fn new(db: PgPool, redis: RedisStore, cache_ttl: Duration) -> Self {
        Self {
            db,
            redis,
            cache: Arc::default(),
            used: Arc::default(),
            cache_ttl,
            resets: None,
        }
    }

    /// Drops the cache whenever `revocations` sees Redis reset (see `auth::revocation::epoch`).
    pub fn dropping_cache_on_reset(
        mut self,
        revocations: auth::revocation::RevocationList,
    ) -> Self {
        let seen = revocations.resets();
        self.resets = Some((revocations, Arc::new(AtomicU64::new(seen))));
        self
    }

    fn revoked_key(&self, id: Uuid) -> String {
        self.redis.key(&format!("apikey:revoked:{id}"))
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
        let lookup = key_id.to_owned();
        let Some(tenant) = persistence::global(&self.db, move |conn| {
            Box::pin(async move { api_keys::tenant_of(conn, &lookup).await })
        })
        .await?
        else {
            return Ok(None);
        };
        let lookup = key_id.to_owned();
        let found = persistence::in_tenant(&self.db, tenant, move |conn| {
            Box::pin(async move { api_keys::find_by_key_id(conn, tenant, &lookup).await })
        })
        .await?;
        let Some((key, status)) = found else {
            return Ok(None);
        };
        let cached = Arc::new(Cached {
            key,
            tenant_active: TenantStatus::parse(&status) == Some(TenantStatus::Active),
            loaded: Instant::now(),
            loaded_at_ms: Utc::now().timestamp_millis(),
        });
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(key_id.to_owned(), cached.clone());
        }
        Ok(Some(cached))
    }

    fn cached(&self, key_id: &str) -> Option<Arc<Cached>> {
        let mut cache = self.cache.lock().ok()?;
        if let Some((revocations, seen)) = &self.resets {
            let now = revocations.resets();
            if seen.swap(now, Ordering::AcqRel) != now {
                cache.clear();
            }
        }
        cache
            .get(key_id)
            .filter(|c| c.loaded.elapsed() < self.cache_ttl)
            .cloned()
    }

    /// The principal of a presented `X-API-Key`.
    pub async fn authenticate(&self, presented: &str) -> Result<Principal, ApiError> {
        let (key_id, secret) = auth::api_key::parse(presented).ok_or_else(rejected)?;
        let mut entry = match self.cached(key_id) {
            Some(entry) => entry,
            None => self.load(key_id).await?.ok_or_else(rejected)?,
        };
        if !auth::api_key::verify(secret, &entry.key.secret_hash) {
            return Err(rejected());
        }
        // One round trip: revoked on any instance? tenant changed since we loaded it?
        let tenant = TenantId(entry.key.tenant_id);
        let mut pipe = redis::pipe();
        pipe.exists(self.revoked_key(entry.key.id))
            .get(self.redis.key(&format!("{{t:{tenant}}}:nbf")))
            .get(auth::revocation::epoch::sentinel_key(&self.redis));
        let mut conn = self.redis.conn();
        let (revoked, tenant_mark, sentinel): (bool, Option<i64>, Option<i64>) = self
            .redis
            .call(async move { pipe.query_async(&mut conn).await })
            .await?;
        if revoked {
            return Err(rejected());
        }
        // A Redis that lost its state (SPEC §14) lost the markers too: trust the database.
        let lost = self
            .resets
            .as_ref()
            .is_some_and(|(revocations, _)| !revocations.epoch_matches(sentinel));
        if lost || tenant_mark.is_some_and(|mark| mark > entry.loaded_at_ms) {
            entry = self.load(key_id).await?.ok_or_else(rejected)?;
        }
        let key = &entry.key;
        let now = Utc::now();
        if key.revoked_at.is_some()
            || key.expires_at.is_some_and(|at| at <= now)
            || !entry.tenant_active
        {
            return Err(rejected());
        }
        if let Ok(mut used) = self.used.lock() {
            used.insert((tenant, key.id), now);
        }
        Ok(Principal {
            user: UserId(key.created_by.unwrap_or_default()),
            tenant: Some(tenant),
            scopes: ScopeSet::parse_names(&key.scopes).unwrap_or_default(),
            session: None,
            api_key: Some(key.id),
        })
    }

    /// Writes the collected `last_used_at` stamps (called periodically).
    pub async fn flush_usage(&self) -> Result<(), ApiError> {
        let pending: Vec<((TenantId, Uuid), DateTime<Utc>)> = match self.used.lock() {
            Ok(mut used) => used.drain().collect(),
            Err(_) => return Ok(()),
        };
        let mut by_tenant: HashMap<TenantId, Vec<(Uuid, DateTime<Utc>)>> = HashMap::new();
        for ((tenant, id), at) in pending {
            by_tenant.entry(tenant).or_default().push((id, at));
        }
        for (tenant, stamps) in by_tenant {
            persistence::in_tenant(&self.db, tenant, move |conn| {
                Box::pin(async move { api_keys::touch(conn, tenant, &stamps).await })
            })
            .await?;
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
