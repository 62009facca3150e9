//! This instance's copy of the revocation lists, so that checking a token costs no Redis
//! round trip. It answers only while it is *live*: loaded since the current subscription
//! began, and confirmed by a heartbeat sent less than `max_lag` ago. A heartbeat's reply
//! arrives on the subscription after every message published before it, so a live mirror
//! has applied every revocation published more than `max_lag` ago; when it cannot say
//! that, it answers `None` and the caller asks Redis (and fails closed if Redis is gone).

use super::event::{Revocation, Subject};
use super::{Revoked, verdict};
use crate::token::AccessClaims;
use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use uuid::Uuid;

#[derive(Default)]
struct Lists {
    tokens: HashMap<Uuid, i64>,
    sessions: HashMap<Uuid, i64>,
    /// subject → (mark, until)
    marks: HashMap<Subject, (i64, i64)>,
}

pub struct Mirror {
    lists: RwLock<Lists>,
    epoch: Instant,
    /// Set once the lists are loaded for the current subscription; cleared when it ends.
    synced: AtomicBool,
    /// When (ms after `epoch`) the last confirmed heartbeat was sent; 0 for never.
    confirmed_at: AtomicU64,
    max_lag: Duration,
}

impl Mirror {
    pub fn new(max_lag: Duration) -> Self {
        Self {
            lists: RwLock::default(),
            epoch: Instant::now(),
            synced: AtomicBool::new(false),
            confirmed_at: AtomicU64::new(0),
            max_lag,
        }
    }

    /// A monotonic timestamp for [`confirm`](Self::confirm); never 0.
    pub fn now(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64 + 1
    }

    pub fn is_live(&self) -> bool {
        if !self.synced.load(Ordering::Acquire) {
            return false;
        }
        let confirmed = self.confirmed_at.load(Ordering::Acquire);
        confirmed != 0 && self.now().saturating_sub(confirmed) < self.max_lag.as_millis() as u64
    }

    /// Every message published before a heartbeat sent at `sent` has been applied.
    pub fn confirm(&self, sent: u64) {
        self.confirmed_at.fetch_max(sent, Ordering::AcqRel);
    }

    /// The lists are complete for the current subscription (or, with `false`, no longer).
    pub fn set_synced(&self, synced: bool) {
        self.synced.store(synced, Ordering::Release);
        if !synced {
            self.confirmed_at.store(0, Ordering::Release);
        }
    }

    /// Applies one revocation; applying it twice, or out of order, changes nothing more.
    pub fn apply(&self, revocation: Revocation) {
        let mut lists = self.lists.write().unwrap_or_else(|e| e.into_inner());
        match revocation {
            Revocation::Token { jti, until_ms } => {
                let until = lists.tokens.entry(jti).or_insert(until_ms);
                *until = (*until).max(until_ms);
            }
            Revocation::Session { sid, until_ms } => {
                let until = lists.sessions.entry(sid).or_insert(until_ms);
                *until = (*until).max(until_ms);
            }
            Revocation::NotBefore {
                subject,
                mark_ms,
                until_ms,
            } => {
                // The later mark refuses more: keep the larger of both.
                let entry = lists.marks.entry(subject).or_insert((mark_ms, until_ms));
                *entry = (entry.0.max(mark_ms), entry.1.max(until_ms));
            }
        }
    }

    /// Drops what has expired in Redis too: the tokens it concerned have expired as well.
    pub fn prune(&self, now_ms: i64) {
        let mut lists = self.lists.write().unwrap_or_else(|e| e.into_inner());
        lists.tokens.retain(|_, until| *until > now_ms);
        lists.sessions.retain(|_, until| *until > now_ms);
        lists.marks.retain(|_, (_, until)| *until > now_ms);
    }

    /// `None` when the mirror is not live: ask Redis instead.
    pub fn check(&self, claims: &AccessClaims) -> Option<Option<Revoked>> {
        if !self.is_live() {
            return None;
        }
        let lists = self.lists.read().unwrap_or_else(|e| e.into_inner());
        let mark = |subject| lists.marks.get(&subject).map(|(mark, _)| *mark);
        let tenant_marks = claims.tid.map(|tenant| {
            [
                mark(Subject::Tenant(tenant.0)),
                mark(Subject::Member {
                    tenant: tenant.0,
                    user: claims.sub.0,
                }),
            ]
        });
        Some(verdict(
            claims,
            lists.tokens.contains_key(&claims.jti),
            lists.sessions.contains_key(&claims.sid.0),
            std::iter::once(mark(Subject::User(claims.sub.0)))
                .chain(tenant_marks.into_iter().flatten()),
        ))
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        let lists = self.lists.read().unwrap_or_else(|e| e.into_inner());
        lists.tokens.len() + lists.sessions.len() + lists.marks.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(tid: Option<Uuid>) -> AccessClaims {
        let now = chrono::Utc::now().timestamp();
        AccessClaims {
            iss: "iss".into(),
            aud: "aud".into(),
            sub: domain::UserId::new(),
            tid: tid.map(domain::TenantId),
            scope: String::new(),
            sid: domain::SessionId::new(),
            jti: Uuid::now_v7(),
            iat: now,
            nbf: now,
            exp: now + 900,
            auth_time: now,
            amr: vec![],
        }
    }

    fn live() -> Mirror {
        let mirror = Mirror::new(Duration::from_secs(60));
        mirror.set_synced(true);
        mirror.confirm(mirror.now());
        mirror
    }

    #[test]
    fn answers_only_while_synced_and_recently_confirmed() {
        let mirror = Mirror::new(Duration::from_millis(50));
        let token = claims(None);
        assert_eq!(mirror.check(&token), None, "never loaded");
        mirror.set_synced(true);
        assert_eq!(mirror.check(&token), None, "loaded, never confirmed");
        mirror.confirm(mirror.now());
        assert_eq!(mirror.check(&token), Some(None));
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(mirror.check(&token), None, "heartbeat overdue");
        mirror.confirm(mirror.now());
        mirror.set_synced(false);
        assert_eq!(mirror.check(&token), None, "subscription lost");
    }

    #[test]
    fn refuses_what_is_revoked_like_redis_would() {
        let mirror = live();
        let far = i64::MAX;
        let a = claims(Some(Uuid::now_v7()));
        mirror.apply(Revocation::Token {
            jti: a.jti,
            until_ms: far,
        });
        assert_eq!(mirror.check(&a), Some(Some(Revoked::Revoked)));

        let b = claims(None);
        mirror.apply(Revocation::Session {
            sid: b.sid.0,
            until_ms: far,
        });
        assert_eq!(mirror.check(&b), Some(Some(Revoked::Revoked)));

        let tenant = Uuid::now_v7();
        let c = claims(Some(tenant));
        let after = c.issued_at_ms() + 1;
        for subject in [
            Subject::User(c.sub.0),
            Subject::Tenant(tenant),
            Subject::Member {
                tenant,
                user: c.sub.0,
            },
        ] {
            let fresh = live();
            fresh.apply(Revocation::NotBefore {
                subject,
                mark_ms: c.issued_at_ms(),
                until_ms: far,
            });
            assert_eq!(fresh.check(&c), Some(None), "issued at the mark: stands");
            fresh.apply(Revocation::NotBefore {
                subject,
                mark_ms: after,
                until_ms: far,
            });
            assert_eq!(
                fresh.check(&c),
                Some(Some(Revoked::PermissionsChanged)),
                "{subject:?}"
            );
            fresh.apply(Revocation::NotBefore {
                subject,
                mark_ms: 0,
                until_ms: far,
            });
            assert_eq!(
                fresh.check(&c),
                Some(Some(Revoked::PermissionsChanged)),
                "an older mark arriving late does not lift a newer one"
            );
        }
        let other_tenant = claims(Some(Uuid::now_v7()));
        assert_eq!(mirror.check(&other_tenant), Some(None));
    }

    #[test]
    fn prunes_what_has_expired() {
        let mirror = live();
        mirror.apply(Revocation::Token {
            jti: Uuid::now_v7(),
            until_ms: 10,
        });
        mirror.apply(Revocation::Session {
            sid: Uuid::now_v7(),
            until_ms: 30,
        });
        mirror.prune(20);
        assert_eq!(mirror.len(), 1);
    }
}
