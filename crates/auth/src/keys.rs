//! The Redis key layout: every key Gatehouse reads or writes is formatted here, and only
//! here.
//!
//! Every key starts with `GATEHOUSE_REDIS_PREFIX` (`<p>`). Hash tags (`{…}`) put the keys
//! one script touches in one Redis Cluster slot.
//!
//! | key | type | holds | expires |
//! |---|---|---|---|
//! | `<p>{s:<sid>}:meta` | hash | `kind cid at amr uid tid scope req cur created last abs ip ua` | idle TTL, capped by the absolute lifetime |
//! | `<p>{s:<sid>}:grace` | hash | spent-token hash → sealed pair | grace period |
//! | `<p>{s:<sid>}:spent` | set | hashes of the family's spent tokens (reuse detection) | with meta |
//! | `<p>{s:<sid>}:revoked` | string | access tokens of this sid are refused | access-token TTL + 5 s leeway |
//! | `<p>{u:<uid>}:sessions` | sorted set | the user's session ids, by creation time | refresh TTL |
//! | `<p>{u:<uid>}:nbf` | string | ms: the user's tokens issued before are refused | access-token TTL |
//! | `<p>{t:<tid>}:nbf` | string | ms: the tenant's tokens issued before are refused | access-token TTL |
//! | `<p>{t:<tid>}:nbf:<uid>` | string | ms: one membership's tokens issued before are refused | access-token TTL |
//! | `<p>jti:<jti>` | string | one revoked access token | until the token's `exp` |
//! | `<p>revocation:mirrors` | sorted set | instance id → when its revocation mirror was last confirmed (ms) | members gone a minute are removed |
//! | `<p>epoch` | string | the epoch (integer) PostgreSQL's `redis_epochs` records for `<p>`: missing or different means Redis lost its state (see `revocation::epoch`) | never |
//!
//! | `<p>rl:<scope>:<client>` | string | GCRA theoretical arrival time of one client's requests of one kind (`rate_limit`) | the limit's period |
//! | `<p>lock:<flow>:<digest>` | hash | failed guesses at one account in one flow, and its lock (`rate_limit::Lockout`) | the lockout window |
//! | `<p>{code:<hash>}` | hash | an authorization code's `grant` (JSON), once redeemed `used` and the `sid` it started (`authorization_code`) | 60 s unredeemed, 10 min once redeemed |
//! | `<p>login:<hash>` | string | a pending browser sign-in (JSON) and the hash of the `gh_login` cookie it is bound to (`login_state`) | 15 min |
//! | `<p>apikey:revoked:<id>` | string | an API key revoked on some instance: every instance's cache drops it | twice the key cache TTL |
//!
//! Revocations are also published on the channel `<p>revocations` (see `revocation`).

use crate::RedisStore;
use domain::{ApiKeyId, SessionId, TenantId, UserId};
use uuid::Uuid;

/// The keys of one session (`{s:<sid>}:<part>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionPart {
    Meta,
    Grace,
    Spent,
    Revoked,
}

impl SessionPart {
    pub const ALL: [SessionPart; 4] = [
        SessionPart::Meta,
        SessionPart::Grace,
        SessionPart::Spent,
        SessionPart::Revoked,
    ];

    fn as_str(self) -> &'static str {
        match self {
            SessionPart::Meta => "meta",
            SessionPart::Grace => "grace",
            SessionPart::Spent => "spent",
            SessionPart::Revoked => "revoked",
        }
    }
}

/// The key names under one store's prefix.
#[derive(Clone, Copy)]
pub struct Keys<'a> {
    redis: &'a RedisStore,
}

impl RedisStore {
    pub fn keys(&self) -> Keys<'_> {
        Keys { redis: self }
    }
}

impl Keys<'_> {
    fn key(&self, rest: &str) -> String {
        self.redis.key(rest)
    }

    pub fn session(&self, sid: SessionId, part: SessionPart) -> String {
        self.key(&format!("{{s:{sid}}}:{}", part.as_str()))
    }

    pub fn user_sessions(&self, user: UserId) -> String {
        self.key(&format!("{{u:{user}}}:sessions"))
    }

    pub fn user_not_before(&self, user: UserId) -> String {
        self.key(&format!("{{u:{user}}}:nbf"))
    }

    pub fn tenant_not_before(&self, tenant: TenantId) -> String {
        self.key(&format!("{{t:{tenant}}}:nbf"))
    }

    pub fn member_not_before(&self, tenant: TenantId, user: UserId) -> String {
        self.key(&format!("{{t:{tenant}}}:nbf:{user}"))
    }

    pub fn revoked_token(&self, jti: Uuid) -> String {
        self.key(&format!("jti:{jti}"))
    }

    pub fn revocation_channel(&self) -> String {
        self.key("revocations")
    }

    pub fn mirror_registry(&self) -> String {
        self.key("revocation:mirrors")
    }

    pub fn epoch_sentinel(&self) -> String {
        self.key("epoch")
    }

    pub fn rate_limit(&self, scope: &str, client: &str) -> String {
        self.key(&format!("rl:{scope}:{client}"))
    }

    /// One authorization code, by the hash of its text.
    pub fn authorization_code(&self, code_hash: &str) -> String {
        self.key(&format!("{{code:{code_hash}}}"))
    }

    pub fn login_state(&self, state_hash: &str) -> String {
        self.key(&format!("login:{state_hash}"))
    }

    pub fn lockout(&self, flow: &str, subject_digest: &str) -> String {
        self.key(&format!("lock:{flow}:{subject_digest}"))
    }

    pub fn api_key_revoked(&self, key: ApiKeyId) -> String {
        self.key(&format!("apikey:revoked:{key}"))
    }

    /// SCAN patterns of every revocation key, for the mirror's initial load.
    pub fn revocation_patterns(&self) -> [String; 4] {
        ["jti:*", "{s:*}:revoked", "{u:*}:nbf", "{t:*}:nbf*"].map(|p| self.redis.key_pattern(p))
    }

    /// The prefix itself: what PostgreSQL's `redis_epochs` records epochs by.
    pub fn prefix(&self) -> String {
        self.key("")
    }

    /// A key without this store's prefix (`None` for a key of another prefix).
    pub fn unprefixed<'k>(&self, key: &'k str) -> Option<&'k str> {
        key.strip_prefix(&self.key(""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store that never connects (connections are lazy): only its key names are used.
    fn store(prefix: &str) -> RedisStore {
        RedisStore::connect(
            "redis://127.0.0.1:1",
            prefix,
            std::time::Duration::from_secs(1),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn session_parts_share_one_hash_tag() {
        let store = store("gh:");
        let sid = SessionId(Uuid::nil());
        let keys: Vec<String> = SessionPart::ALL
            .map(|p| store.keys().session(sid, p))
            .into();
        assert_eq!(keys[0], format!("gh:{{s:{sid}}}:meta"));
        assert!(
            keys.iter()
                .all(|k| k.starts_with(&format!("gh:{{s:{sid}}}:")))
        );
        assert_eq!(
            store.keys().session(sid, SessionPart::Revoked),
            format!("gh:{{s:{sid}}}:revoked")
        );
    }

    #[tokio::test]
    async fn every_key_carries_the_prefix() {
        let store = store("p:");
        let keys = store.keys();
        let (t, u) = (TenantId(Uuid::nil()), UserId(Uuid::max()));
        for key in [
            keys.user_sessions(u),
            keys.user_not_before(u),
            keys.tenant_not_before(t),
            keys.member_not_before(t, u),
            keys.revoked_token(Uuid::nil()),
            keys.revocation_channel(),
            keys.mirror_registry(),
            keys.epoch_sentinel(),
            keys.rate_limit("login", "1.2.3.4"),
            keys.lockout("login", "ab"),
            keys.api_key_revoked(ApiKeyId(Uuid::nil())),
        ] {
            assert!(key.starts_with("p:"), "{key}");
            assert_eq!(
                keys.unprefixed(&key).map(|k| format!("p:{k}")),
                Some(key.clone())
            );
        }
        assert_eq!(keys.member_not_before(t, u), format!("p:{{t:{t}}}:nbf:{u}"));
    }
}
