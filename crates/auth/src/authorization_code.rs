//! Authorization codes (RFC 6749 §4.1, SPEC §11): 256 random bits, single use, 60 s, bound
//! to everything the token request must match, and kept in Redis only as their hash.
//!
//! A code presented a second time is refused and tells which session its first use
//! started, so that session can be revoked (§4.1.2: "the authorization server … SHOULD
//! revoke … all tokens previously issued based on that authorization code"). A redeemed
//! code is remembered for ten minutes for that purpose.

use crate::{AuthError, RedisStore};
use domain::authorize::OidcScopes;
use domain::{Authentication, SessionId, TenantId, UserId};
use redis::Script;
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

static REDEEM: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("scripts/redeem_code.lua")));
/// HSET only on a key that exists: a code that expired meanwhile stays gone.
static RECORD_SESSION: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "if redis.call('EXISTS', KEYS[1]) == 1 then \
           redis.call('HSET', KEYS[1], 'sid', ARGV[1]) end return 1",
    )
});

/// How long a code may wait for its token request (RFC 6749 §4.1.2: "a maximum … of 10
/// minutes is RECOMMENDED"; SPEC §11: 60 s).
pub const CODE_TTL_SECS: u64 = 60;
/// How long a redeemed code is remembered, to recognise a replay.
pub const REDEEMED_TTL_SECS: u64 = 600;

/// What a code was issued for: the token request must match all of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeGrant {
    pub client_id: String,
    pub redirect_uri: String,
    /// The S256 `code_challenge` (RFC 7636).
    pub code_challenge: String,
    pub nonce: Option<String>,
    pub user: UserId,
    pub tenant: Option<TenantId>,
    /// The permissions granted, space-delimited.
    pub scope: String,
    /// The OIDC scopes asked for beside them.
    pub oidc: OidcScopes,
    /// When and how the user authenticated (`auth_time`, `amr`).
    pub auth: Authentication,
}

/// The outcome of presenting a code.
#[derive(Debug, PartialEq, Eq)]
pub enum Redeemed {
    /// The first presentation: the grant to issue tokens for.
    Fresh(Box<CodeGrant>),
    /// A replay; the session the first presentation started, if it got that far.
    Replayed(Option<SessionId>),
    /// Never issued, or expired before use.
    Unknown,
}

#[derive(Clone)]
pub struct CodeStore {
    redis: RedisStore,
}

impl CodeStore {
    pub fn new(redis: RedisStore) -> Self {
        Self { redis }
    }

    /// A new code for `grant`.
    pub async fn issue(&self, grant: &CodeGrant) -> Result<String, AuthError> {
        let code = crate::random::token(32);
        let key = self.redis.keys().authorization_code(&hash(&code));
        let sealed = serde_json::to_string(grant).map_err(|e| AuthError::Internal(Box::new(e)))?;
        let mut conn = self.redis.conn();
        self.redis
            .call(async move {
                redis::pipe()
                    .atomic()
                    .hset(&key, "grant", sealed)
                    .ignore()
                    .expire(&key, CODE_TTL_SECS as i64)
                    .ignore()
                    .query_async::<()>(&mut conn)
                    .await
            })
            .await?;
        Ok(code)
    }

    /// Presents `code`: `Fresh` exactly once, however many presentations race.
    pub async fn redeem(&self, code: &str) -> Result<Redeemed, AuthError> {
        let key = self.redis.keys().authorization_code(&hash(code));
        let mut invocation = REDEEM.prepare_invoke();
        invocation.key(&key).arg(REDEEMED_TTL_SECS);
        let mut conn = self.redis.conn();
        let (state, payload): (u8, Option<String>) = self
            .redis
            .call(async move { invocation.invoke_async(&mut conn).await })
            .await?;
        Ok(match (state, payload) {
            (1, Some(grant)) => Redeemed::Fresh(Box::new(
                serde_json::from_str(&grant).map_err(|e| AuthError::Internal(Box::new(e)))?,
            )),
            (2, sid) => Redeemed::Replayed(sid.and_then(|s| s.parse().ok())),
            _ => Redeemed::Unknown,
        })
    }

    /// Records the session a redeemed code started (what a replay then revokes).
    pub async fn record_session(&self, code: &str, session: SessionId) -> Result<(), AuthError> {
        let key = self.redis.keys().authorization_code(&hash(code));
        let mut conn = self.redis.conn();
        let mut invocation = RECORD_SESSION.prepare_invoke();
        invocation.key(&key).arg(session.to_string());
        self.redis
            .call(async move { invocation.invoke_async::<i64>(&mut conn).await })
            .await
            .map(drop)
    }
}

fn hash(code: &str) -> String {
    crate::sessions::token_hash(code)
}
