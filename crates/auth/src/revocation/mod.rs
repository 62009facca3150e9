//! Revocation lists in Redis (layout: see `sessions`), and this instance's mirror of them.
//!
//! A token is refused if its `jti` or its session is revoked, or if it was issued before a
//! "not before" mark of its user, its tenant or its membership.
//!
//! Every revocation is written to Redis and, in the same atomic step, published on
//! `<p>revocations`; each instance's [`feed`] applies it to its [`mirror::Mirror`] and
//! acknowledges it. The writer returns once every instance whose mirror was live lately
//! (the registry, see [`feed`]) has acknowledged, or after `max_lag`, by which time an
//! instance that missed it no longer trusts its mirror. So when a revocation call returns,
//! the revocation is enforced everywhere.
//!
//! Every writer must publish: an instance running code that only SETs the keys would go
//! unnoticed by the others' mirrors until they resync. Roll such a version out with
//! `GATEHOUSE_REVOCATION_MAX_LAG_MS=0` (no mirror), then turn the mirror on.
//!
//! Checking a token asks the mirror (no I/O) while it is live, and Redis otherwise (one
//! pipelined round trip). Redis unreachable then is an error: callers fail closed.
//!
//! A serving instance also guards against Redis coming back empty, which would resurrect
//! every revocation it held: see [`epoch`] (the sentinel `<p>epoch`, PostgreSQL's epoch,
//! and the prefix-wide "not before" every check applies).

pub mod epoch;
pub mod event;
pub mod feed;
pub mod mirror;

use crate::token::AccessClaims;
use crate::{AuthError, RedisStore};
use domain::{SessionId, TenantId, UserId};
use epoch::{EpochGuard, EpochStore};
use event::{Message, Revocation, Subject};
use feed::Acks;
use mirror::Mirror;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    /// The token or its session was revoked (logout, reuse, explicit revocation).
    Revoked,
    /// Authorization changed after the token was issued: refresh to get current scopes.
    PermissionsChanged,
    /// Issued before Redis lost its state (see [`epoch`]): sign in again.
    Reset,
}

/// The decision, wherever the lists were read.
fn verdict(
    claims: &AccessClaims,
    token_revoked: bool,
    session_revoked: bool,
    marks: impl IntoIterator<Item = Option<i64>>,
) -> Option<Revoked> {
    if token_revoked || session_revoked {
        return Some(Revoked::Revoked);
    }
    let issued = claims.issued_at_ms();
    marks
        .into_iter()
        .flatten()
        .any(|mark| issued < mark)
        .then_some(Revoked::PermissionsChanged)
}

/// Whose tokens a committed change revokes ("not before" = now).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Affected {
    User(UserId),
    Tenant(TenantId),
    Member(TenantId, UserId),
}

#[derive(Clone)]
pub struct RevocationList {
    redis: RedisStore,
    access_ttl: Duration,
    /// `None`: every check asks Redis.
    mirror: Option<Arc<Mirror>>,
    acks: Arc<Acks>,
    /// This process's id on the feed (its acknowledgements, its registry stamp).
    instance: u64,
    max_lag: Duration,
    checks: Arc<Checks>,
    /// `None`: Redis's state is trusted as it is (a process serving no requests).
    epoch: Option<Arc<EpochGuard>>,
}

/// A revocation about to be published: its acknowledgements are collected from now on,
/// and forgotten when this is dropped, published or not (a cancelled request leaks
/// nothing).
pub struct Announcement {
    id: u64,
    revocation: Revocation,
    message: String,
    acks: Arc<Acks>,
}

impl Announcement {
    /// What to PUBLISH.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl Drop for Announcement {
    fn drop(&mut self) {
        self.acks.forget(self.id);
    }
}

fn random_id() -> u64 {
    let mut id = [0u8; 8];
    crate::random::fill(&mut id);
    u64::from_le_bytes(id)
}

/// How checks were answered, for `/metrics`.
#[derive(Debug, Default)]
struct Checks {
    by_mirror: AtomicU64,
    by_redis: AtomicU64,
}

impl RevocationList {
    /// Checks every token against Redis; writes still publish, for other instances'
    /// mirrors, but wait for no acknowledgement.
    pub fn new(redis: RedisStore, access_ttl: Duration) -> Self {
        Self::build(redis, access_ttl, Duration::ZERO, None, None)
    }

    /// Keeps a mirror in sync (a background task; needs a Tokio runtime) and checks tokens
    /// against it while it is live; writes wait for the other mirrors' acknowledgements.
    pub fn mirrored(redis: RedisStore, access_ttl: Duration, max_lag: Duration) -> Self {
        Self::build(
            redis,
            access_ttl,
            max_lag,
            Some(Arc::new(Mirror::new(max_lag))),
            None,
        )
    }

    /// For a process that revokes but serves no requests (the CLI): checks ask Redis, and
    /// writes wait for the serving instances' acknowledgements (a feed without a mirror,
    /// which never counts itself among the mirrors to wait for). Needs a Tokio runtime.
    pub fn writer(redis: RedisStore, access_ttl: Duration, max_lag: Duration) -> Self {
        Self::build(redis, access_ttl, max_lag, None, None)
    }

    /// A serving instance: [`mirrored`](Self::mirrored) (or [`new`](Self::new) when
    /// `max_lag` is zero), whose Redis state is checked against the epoch `store` records
    /// (see [`epoch`]). Call [`establish_epoch`](Self::establish_epoch) before serving.
    pub fn serving(
        redis: RedisStore,
        access_ttl: Duration,
        max_lag: Duration,
        store: Box<dyn EpochStore>,
    ) -> Self {
        let mirror = (!max_lag.is_zero()).then(|| Arc::new(Mirror::new(max_lag)));
        let epoch = Arc::new(EpochGuard::new(redis.clone(), store));
        if max_lag.is_zero() {
            // No feed to compare at resubscription: a watch does (cheaply: one GET).
            epoch::spawn_watch(epoch.clone(), Duration::from_secs(1));
        }
        Self::build(redis, access_ttl, max_lag, mirror, Some(epoch))
    }

    /// Starts the feed unless `max_lag` is zero.
    fn build(
        redis: RedisStore,
        access_ttl: Duration,
        max_lag: Duration,
        mirror: Option<Arc<Mirror>>,
        epoch: Option<Arc<EpochGuard>>,
    ) -> Self {
        let acks = Arc::<Acks>::default();
        let instance = random_id();
        if !max_lag.is_zero() {
            feed::spawn(feed::Feed {
                redis: redis.clone(),
                mirror: mirror.clone(),
                acks: acks.clone(),
                instance,
                max_lag,
                epoch: epoch.clone(),
            });
        }
        Self {
            redis,
            access_ttl,
            mirror,
            acks,
            instance,
            max_lag,
            checks: Arc::default(),
            epoch,
        }
    }

    /// Compares Redis's sentinel with the recorded epoch, resetting if Redis lost its state
    /// (see [`epoch`]); a no-op for a list without an epoch.
    pub async fn establish_epoch(&self) -> Result<(), AuthError> {
        match &self.epoch {
            Some(epoch) => epoch.establish().await,
            None => Ok(()),
        }
    }

    /// Whether `sentinel`, read from [`epoch::sentinel_key`], shows the epoch this process has established (always, for a list without an
    /// epoch): if not, Redis may have lost markers that cached data relied on.
    pub fn epoch_matches(&self, sentinel: Option<i64>) -> bool {
        self.epoch
            .as_ref()
            .is_none_or(|epoch| epoch.matches(sentinel))
    }

    /// How many resets of the prefix this process has seen: whatever it caches that a
    /// lost Redis marker used to override (API keys) is stale when this changes.
    pub fn resets(&self) -> u64 {
        self.epoch.as_ref().map_or(0, |epoch| epoch.resets())
    }

    /// How many checks the mirror and Redis have answered.
    pub fn checks(&self) -> (u64, u64) {
        (
            self.checks.by_mirror.load(Ordering::Relaxed),
            self.checks.by_redis.load(Ordering::Relaxed),
        )
    }

    /// Whether checks are answered locally right now (for `/metrics`).
    pub fn mirror_live(&self) -> bool {
        self.mirror.as_ref().is_some_and(|m| m.is_live())
    }

    fn jti_key(&self, jti: uuid::Uuid) -> String {
        self.redis.keys().revoked_token(jti)
    }
    fn sid_key(&self, sid: SessionId) -> String {
        self.redis
            .keys()
            .session(sid, crate::keys::SessionPart::Revoked)
    }
    fn user_key(&self, user: UserId) -> String {
        self.redis.keys().user_not_before(user)
    }
    fn tenant_key(&self, tenant: TenantId) -> String {
        self.redis.keys().tenant_not_before(tenant)
    }
    fn member_key(&self, tenant: TenantId, user: UserId) -> String {
        self.redis.keys().member_not_before(tenant, user)
    }

    /// The "not before" marks that concern `user` acting in `tenant` (tenant, user,
    /// membership), for a caller that reads them in a pipeline of its own (API keys).
    pub fn mark_keys(&self, tenant: TenantId, user: UserId) -> [String; 3] {
        [
            self.tenant_key(tenant),
            self.user_key(user),
            self.member_key(tenant, user),
        ]
    }

    /// `Ok(None)` when the token stands.
    pub async fn check(&self, claims: &AccessClaims) -> Result<Option<Revoked>, AuthError> {
        let answer = match self.mirror.as_ref().and_then(|m| m.check(claims)) {
            Some(answer) => {
                self.checks.by_mirror.fetch_add(1, Ordering::Relaxed);
                answer
            }
            None => {
                self.checks.by_redis.fetch_add(1, Ordering::Relaxed);
                self.check_in_redis(claims).await?
            }
        };
        // Read after the lists: a reset the fallback has just found applies.
        let reset = self.epoch.as_ref().map_or(0, |epoch| epoch.not_before_ms());
        if claims.issued_at_ms() < reset {
            return Ok(Some(Revoked::Reset));
        }
        Ok(answer)
    }

    /// One pipelined round trip, which reads the epoch sentinel too: a Redis that lost its
    /// state is noticed here even while the mirror is down, and compared (reset) before any
    /// token is checked against it; if that cannot be done, the check fails (closed).
    async fn check_in_redis(&self, claims: &AccessClaims) -> Result<Option<Revoked>, AuthError> {
        let Some(epoch) = &self.epoch else {
            return Ok(self.read_lists(claims).await?.1);
        };
        let seen = epoch.current();
        let (sentinel, answer) = self.read_lists(claims).await?;
        if epoch.matches(sentinel) {
            return Ok(answer);
        }
        epoch.establish_unless_moved(Some(seen)).await?;
        let (sentinel, answer) = self.read_lists(claims).await?;
        if epoch.matches(sentinel) {
            Ok(answer)
        } else {
            Err(AuthError::Unavailable(
                "the Redis epoch is not established".into(),
            ))
        }
    }

    /// The epoch sentinel and the verdict of the lists, in one pipelined round trip.
    async fn read_lists(
        &self,
        claims: &AccessClaims,
    ) -> Result<(Option<i64>, Option<Revoked>), AuthError> {
        let user = claims.sub;
        let mut pipe = redis::pipe();
        pipe.get(epoch::sentinel_key(&self.redis))
            .exists(self.jti_key(claims.jti))
            .exists(self.sid_key(claims.sid))
            .get(self.user_key(user));
        if let Some(tid) = claims.tid {
            pipe.get(self.tenant_key(tid))
                .get(self.member_key(tid, user));
        }
        let mut conn = self.redis.conn();
        type WithTenant = (
            Option<i64>,
            bool,
            bool,
            Option<i64>,
            Option<i64>,
            Option<i64>,
        );
        let (sentinel, jti, sid, marks): (Option<i64>, bool, bool, Vec<Option<i64>>) =
            if claims.tid.is_some() {
                let (sentinel, jti, sid, u, t, m): WithTenant = self
                    .redis
                    .call(async move { pipe.query_async(&mut conn).await })
                    .await?;
                (sentinel, jti, sid, vec![u, t, m])
            } else {
                let (sentinel, jti, sid, u): (Option<i64>, bool, bool, Option<i64>) = self
                    .redis
                    .call(async move { pipe.query_async(&mut conn).await })
                    .await?;
                (sentinel, jti, sid, vec![u])
            };
        Ok((sentinel, verdict(claims, jti, sid, marks)))
    }

    /// `revocation`, ready to publish, its acknowledgements collected from now on.
    pub fn announce(&self, revocation: Revocation) -> Announcement {
        let id = random_id();
        self.acks.expect(id);
        Announcement {
            id,
            revocation,
            message: Message::Revoked { id, revocation }.to_string(),
            acks: self.acks.clone(),
        }
    }

    /// After `announcement` was written and published: applies it here at once, then
    /// waits (at most `max_lag`) for every other instance whose mirror was live lately.
    pub async fn settle(&self, announcement: Announcement) {
        self.settle_all(vec![announcement]).await;
    }

    /// [`settle`](Self::settle) for several announcements written together: one read of
    /// the registry of live instances, then the waits side by side.
    async fn settle_all(&self, announcements: Vec<Announcement>) {
        if let Some(mirror) = &self.mirror {
            for announcement in &announcements {
                mirror.apply(announcement.revocation);
            }
        }
        if self.max_lag.is_zero() || announcements.is_empty() {
            return;
        }
        // Stamps are a heartbeat (max_lag / 4) apart; the margin absorbs clock skew
        // between instances.
        let window = self.max_lag * 2 + Duration::from_secs(2);
        let expected: Vec<u64> = match feed::live_instances(&self.redis, window).await {
            Ok(ids) => ids.into_iter().filter(|id| *id != self.instance).collect(),
            // The revocation is written; not knowing who to wait for, wait the lag out.
            Err(_) => vec![u64::MAX],
        };
        if !expected.is_empty() {
            futures_util::future::join_all(
                announcements
                    .iter()
                    .map(|a| self.acks.wait(a.id, &expected, self.max_lag)),
            )
            .await;
        }
    }

    /// The channel revocations are announced on (scripts publish to it themselves).
    pub fn channel(&self) -> String {
        feed::channel(&self.redis)
    }

    /// When a revocation written now may be forgotten: its tokens have expired by then.
    pub fn until_ms(&self, ttl: Duration) -> i64 {
        chrono::Utc::now().timestamp_millis() + ttl.as_millis() as i64
    }

    /// Revokes one access token until it expires.
    pub async fn revoke_token(&self, claims: &AccessClaims) -> Result<(), AuthError> {
        let remaining =
            Duration::from_secs((claims.exp - chrono::Utc::now().timestamp()).max(1) as u64 + 5);
        let revocation = Revocation::Token {
            jti: claims.jti,
            until_ms: self.until_ms(remaining),
        };
        self.write(
            vec![(self.jti_key(claims.jti), 1, remaining, revocation)],
            true,
        )
        .await
    }

    fn mark_of(&self, affected: Affected) -> (String, Subject) {
        match affected {
            Affected::User(user) => (self.user_key(user), Subject::User(user.0)),
            Affected::Tenant(tenant) => (self.tenant_key(tenant), Subject::Tenant(tenant.0)),
            Affected::Member(tenant, user) => (
                self.member_key(tenant, user),
                Subject::Member {
                    tenant: tenant.0,
                    user: user.0,
                },
            ),
        }
    }

    /// SETs each `key` = `value` for its `ttl` and announces its revocation, all in one
    /// atomic MULTI (a change touching many subjects — a role's holders — is one round
    /// trip, all or nothing); then, if `wait`, settles them.
    async fn write(
        &self,
        entries: Vec<(String, i64, Duration, Revocation)>,
        wait: bool,
    ) -> Result<(), AuthError> {
        if entries.is_empty() {
            return Ok(());
        }
        let channel = self.channel();
        let mut pipe = redis::pipe();
        pipe.atomic();
        let mut announcements = Vec::with_capacity(entries.len());
        for (key, value, ttl, revocation) in entries {
            let announcement = self.announce(revocation);
            pipe.cmd("SET")
                .arg(&key)
                .arg(value)
                .arg("EX")
                .arg(ttl.as_secs().max(1))
                .ignore()
                .cmd("PUBLISH")
                .arg(&channel)
                .arg(announcement.message())
                .ignore();
            announcements.push(announcement);
        }
        let mut conn = self.redis.conn();
        self.redis
            .call(async move { pipe.query_async::<()>(&mut conn).await })
            .await?;
        if wait {
            self.settle_all(announcements).await;
        } else if let Some(mirror) = &self.mirror {
            for announcement in &announcements {
                mirror.apply(announcement.revocation);
            }
        }
        Ok(())
    }

    /// "Not before" = now for every affected subject.
    async fn mark_all(&self, affected: &[Affected], wait: bool) -> Result<(), AuthError> {
        let now = chrono::Utc::now().timestamp_millis();
        let ttl = self.revocation_ttl();
        let entries = affected
            .iter()
            .map(|affected| {
                let (key, subject) = self.mark_of(*affected);
                let revocation = Revocation::NotBefore {
                    subject,
                    mark_ms: now,
                    until_ms: self.until_ms(ttl),
                };
                (key, now, ttl, revocation)
            })
            .collect();
        self.write(entries, wait).await
    }

    /// Inside the unit of work, before COMMIT (SPEC §8): the marks are written and
    /// published, so a crash or a cancelled request after COMMIT cannot leave the change
    /// without them; nothing is waited for while the transaction is open. Call
    /// [`mark`](Self::mark) once committed.
    pub async fn before_commit(&self, affected: &[Affected]) -> Result<(), AuthError> {
        self.mark_all(affected, false).await
    }

    /// Every token of the affected subjects issued before now stops working, on every
    /// instance before this returns (the wait for acknowledgements). After a committed
    /// change it is the second write of [`before_commit`](Self::before_commit)'s marks: a
    /// token minted from grants read between those and the COMMIT carries an earlier issue
    /// time, so it is caught.
    pub async fn mark(&self, affected: &[Affected]) -> Result<(), AuthError> {
        self.mark_all(affected, true).await
    }

    /// How long a session or "not before" revocation is kept: as long as the access tokens
    /// it refuses may live, validation leeway included.
    pub fn revocation_ttl(&self) -> Duration {
        self.access_ttl + Duration::from_secs(5)
    }
}
