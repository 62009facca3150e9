//! Refresh tokens and sessions in Redis.
//!
//! A **session** is one refresh-token family, created at login. Its refresh token is
//! opaque: base64url of the 16-byte session id followed by 32 random bytes (256 bits), so
//! the session is found without an index; Redis stores only SHA-256 hashes of tokens.
//! Every use rotates the token (`scripts/rotate_refresh.lua`, atomic). Re-presenting the
//! token just rotated, within the grace period, returns the same new pair: it is kept
//! sealed (ChaCha20-Poly1305, key = HKDF-SHA256 of the spent token, which Redis never
//! sees) for the grace period only. Presenting any spent token otherwise is reuse: the
//! session is revoked with all its access tokens.
//!
//! # Key layout
//! See [`crate::keys`]: every key is formatted there.

use crate::keys::SessionPart;
use crate::revocation::RevocationList;
use crate::revocation::event::Revocation;
use crate::{AuthError, RedisStore};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use domain::{AuthMethods, Authentication, SessionId, TenantId, UserId};
use hkdf::Hkdf;
use redis::{AsyncCommands, Script};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Duration;
use uuid::Uuid;

static ROTATE: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("scripts/rotate_refresh.lua")));
/// Only a session that still exists is touched: a revoked one must not come back as a
/// stub hash.
static TOUCH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "if redis.call('EXISTS', KEYS[1]) == 1 then \
           redis.call('HSET', KEYS[1], 'last', ARGV[1]) \
           redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 1",
    )
});
static REVOKE: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("scripts/revoke_session.lua")));

#[derive(Debug, Clone)]
pub struct SessionSettings {
    pub idle_ttl: Duration,
    pub max_age: Duration,
    pub reuse_grace: Duration,
    pub access_ttl: Duration,
}

/// What a session is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// A refresh-token family: access tokens are issued for it.
    Tokens,
    /// A browser's sign-in at the hosted login page (the `gh_session` cookie, SPEC §11):
    /// lets a later authorization skip the password; never issues tokens itself.
    SignIn,
}

impl SessionKind {
    fn as_str(self) -> &'static str {
        match self {
            SessionKind::Tokens => "tokens",
            SessionKind::SignIn => "signin",
        }
    }
}

/// What is known of a live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    pub id: SessionId,
    pub kind: SessionKind,
    /// The OAuth client it was issued to (SPEC §11: a refresh from another client is
    /// refused); `None` for the password grant and sign-in sessions.
    pub client_id: Option<String>,
    /// How and when the user authenticated for it (`amr`, `auth_time`).
    pub auth: Authentication,
    /// When it ends however actively it is used (ms).
    pub absolute_expiry_ms: i64,
    pub user: UserId,
    pub tenant: Option<TenantId>,
    pub scope: String,
    /// The scopes the login asked for, kept for the session's life (RFC 6749 §6: a refresh
    /// without `scope` gets this ∩ the user's current grants); `None`: all.
    pub requested_scope: Option<String>,
    pub created_at_ms: i64,
    pub last_used_at_ms: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// A refresh token that belongs to a live session, and which of its tokens it is.
#[derive(Debug, Clone)]
pub enum Presented {
    /// The session's current token: it may rotate.
    Current(SessionInfo),
    /// A token the session has rotated away from: a replay within the grace period, or
    /// reuse.
    Spent(SessionInfo),
}

impl Presented {
    pub fn session(&self) -> &SessionInfo {
        match self {
            Presented::Current(session) | Presented::Spent(session) => session,
        }
    }
}

pub struct NewSession {
    pub kind: SessionKind,
    pub client_id: Option<String>,
    pub auth: Authentication,
    pub user: UserId,
    pub tenant: Option<TenantId>,
    pub scope: String,
    /// What the login asked for (`None`: all it may have).
    pub requested_scope: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// The outcome of presenting a refresh token for rotation.
#[derive(Debug, PartialEq, Eq)]
pub enum Rotation {
    /// The token was current: the new pair is now the live one.
    Rotated,
    /// The token was rotated moments ago (within the grace period): here is the pair that
    /// rotation produced, byte for byte.
    Replayed(Vec<u8>),
    /// A spent token outside the grace period: the session is now revoked.
    Reused,
    /// Unknown, expired or revoked.
    Invalid,
}

#[derive(Clone)]
pub struct SessionStore {
    redis: RedisStore,
    settings: SessionSettings,
    /// Session revocations are announced to every instance's mirror.
    revocations: RevocationList,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// SHA-256 of a token, base64url: what Redis stores instead of the token.
pub fn token_hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

impl SessionStore {
    pub fn new(redis: RedisStore, settings: SessionSettings, revocations: RevocationList) -> Self {
        Self {
            redis,
            settings,
            revocations,
        }
    }

    fn session_revocation(&self, sid: SessionId) -> Revocation {
        Revocation::Session {
            sid: sid.0,
            until_ms: self.revocations.until_ms(self.revocations.revocation_ttl()),
        }
    }

    pub fn settings(&self) -> &SessionSettings {
        &self.settings
    }

    fn key(&self, sid: SessionId, part: SessionPart) -> String {
        self.redis.keys().session(sid, part)
    }

    fn session_keys(&self, sid: SessionId) -> [String; 4] {
        SessionPart::ALL.map(|part| self.key(sid, part))
    }

    fn user_index(&self, user: UserId) -> String {
        self.redis.keys().user_sessions(user)
    }

    /// A fresh refresh token for session `sid`.
    pub fn new_refresh_token(sid: SessionId) -> String {
        let mut bytes = [0u8; 48];
        bytes[..16].copy_from_slice(sid.0.as_bytes());
        crate::random::fill(&mut bytes[16..]);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The session a refresh token claims to belong to (not proof that it does).
    pub fn session_of(token: &str) -> Option<SessionId> {
        if token.len() != 64 {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
        let id = Uuid::from_slice(bytes.get(..16)?).ok()?;
        Some(SessionId(id))
    }

    /// Starts a session whose current refresh token is `refresh_token`.
    pub async fn create(
        &self,
        sid: SessionId,
        new: &NewSession,
        refresh_token: &str,
    ) -> Result<(), AuthError> {
        let now = now_ms();
        let abs = now + self.settings.max_age.as_millis() as i64;
        let ttl = self
            .settings
            .idle_ttl
            .min(self.settings.max_age)
            .as_secs()
            .max(1);
        let meta = self.key(sid, SessionPart::Meta);
        let index = self.user_index(new.user);
        let fields: Vec<(&str, String)> = vec![
            ("kind", new.kind.as_str().to_owned()),
            ("cid", new.client_id.clone().unwrap_or_default()),
            ("at", new.auth.time.to_string()),
            ("amr", new.auth.methods.names().join(" ")),
            ("uid", new.user.to_string()),
            ("tid", new.tenant.map(|t| t.to_string()).unwrap_or_default()),
            ("scope", new.scope.clone()),
            (
                "req",
                new.requested_scope.clone().unwrap_or_else(|| "*".into()),
            ),
            ("cur", token_hash(refresh_token)),
            ("created", now.to_string()),
            ("last", now.to_string()),
            ("abs", abs.to_string()),
            ("ip", new.ip.clone().unwrap_or_default()),
            (
                "ua",
                new.user_agent
                    .clone()
                    .unwrap_or_default()
                    .chars()
                    .take(256)
                    .collect(),
            ),
        ];
        let mut conn = self.redis.conn();
        let index_ttl = self.settings.max_age.as_secs() as i64;
        self.redis
            .call(async move {
                redis::pipe()
                    .hset_multiple(&meta, &fields)
                    .ignore()
                    .expire(&meta, ttl as i64)
                    .ignore()
                    .zadd(&index, sid.to_string(), now)
                    .ignore()
                    .expire(&index, index_ttl)
                    .ignore()
                    .query_async::<()>(&mut conn)
                    .await
            })
            .await
    }

    /// Reads a live session.
    pub async fn get(&self, sid: SessionId) -> Result<Option<SessionInfo>, AuthError> {
        let meta = self.key(sid, SessionPart::Meta);
        let mut conn = self.redis.conn();
        let fields: HashMap<String, String> = self
            .redis
            .call(async move { conn.hgetall(&meta).await })
            .await?;
        Ok(parse_session(sid, &fields))
    }

    /// The session of a presented refresh token, only if the token is its current one or
    /// one it spent (reuse or a grace replay, which [`rotate`](Self::rotate) then tells
    /// apart): a forged or foreign token learns nothing of the session (SPEC §8: the
    /// refresh grant authenticates the token before it reveals anything else).
    pub async fn authenticate(&self, presented: &str) -> Result<Option<Presented>, AuthError> {
        let Some(sid) = Self::session_of(presented) else {
            return Ok(None);
        };
        let hash = token_hash(presented);
        let mut pipe = redis::pipe();
        pipe.hgetall(self.key(sid, SessionPart::Meta))
            .sismember(self.key(sid, SessionPart::Spent), &hash);
        let mut conn = self.redis.conn();
        let (fields, spent): (HashMap<String, String>, bool) = self
            .redis
            .call(async move { pipe.query_async(&mut conn).await })
            .await?;
        let current = fields.get("cur").is_some_and(|cur| {
            subtle::ConstantTimeEq::ct_eq(cur.as_bytes(), hash.as_bytes()).into()
        });
        let Some(session) = parse_session(sid, &fields) else {
            return Ok(None);
        };
        Ok(match (current, spent) {
            (true, _) => Some(Presented::Current(session)),
            (false, true) => Some(Presented::Spent(session)),
            (false, false) => None,
        })
    }

    /// Settles a spent token without rotating anything: the pair sealed for it while the
    /// grace period lasts, or reuse (the session is revoked). Nothing is signed for a token
    /// that cannot rotate.
    pub async fn settle_spent(&self, presented: &str) -> Result<Rotation, AuthError> {
        // A spent token is never current again (fresh tokens carry 256 random bits), so the
        // rotation script cannot take its "rotate" branch with these empty arguments.
        self.rotate(presented, "", &[], None, "").await
    }

    /// Presents `presented` for rotation to `new_token`, sealing `pair` (the response that
    /// carries the new tokens) for replays within the grace period. The new access token
    /// may switch the session to `tenant` with `scope`.
    pub async fn rotate(
        &self,
        presented: &str,
        new_token: &str,
        pair: &[u8],
        tenant: Option<TenantId>,
        scope: &str,
    ) -> Result<Rotation, AuthError> {
        let Some(sid) = Self::session_of(presented) else {
            return Ok(Rotation::Invalid);
        };
        let sealed = seal(presented, pair)?;
        let keys = self.session_keys(sid);
        // Announced only if the script finds reuse and revokes the session.
        let announcement = self.revocations.announce(self.session_revocation(sid));
        let mut invocation = ROTATE.prepare_invoke();
        for key in &keys {
            invocation.key(key);
        }
        invocation
            .arg(token_hash(presented))
            .arg(token_hash(new_token))
            .arg(sealed)
            .arg(tenant.map(|t| t.to_string()).unwrap_or_default())
            .arg(scope)
            .arg(now_ms())
            .arg(self.settings.idle_ttl.as_secs().max(1))
            .arg(self.settings.reuse_grace.as_millis() as u64)
            .arg(self.revocations.revocation_ttl().as_secs())
            .arg(self.revocations.channel())
            .arg(announcement.message());
        let mut conn = self.redis.conn();
        let reply = self
            .redis
            .call(async move {
                invocation
                    .invoke_async::<Vec<redis::Value>>(&mut conn)
                    .await
            })
            .await?;
        let code = match reply.first() {
            Some(redis::Value::Int(code)) => *code,
            _ => 0,
        };
        if code == 3 {
            self.revocations.settle(announcement).await;
            return Ok(Rotation::Reused);
        }
        Ok(match (code, reply.get(1)) {
            (1, _) => Rotation::Rotated,
            (2, Some(redis::Value::BulkString(sealed))) => {
                Rotation::Replayed(unseal(presented, sealed)?)
            }
            _ => Rotation::Invalid,
        })
    }

    /// Marks a session used now, extending its idle lifetime (within its absolute one):
    /// what a sign-in session's use does in place of a rotation.
    pub async fn touch(&self, session: &SessionInfo) -> Result<(), AuthError> {
        let now = now_ms();
        let idle = self.settings.idle_ttl.as_millis() as i64;
        let ttl_ms = idle.min(session.absolute_expiry_ms - now);
        if ttl_ms <= 0 {
            return Ok(());
        }
        let mut invocation = TOUCH.prepare_invoke();
        invocation
            .key(self.key(session.id, SessionPart::Meta))
            .arg(now)
            .arg(ttl_ms);
        let mut conn = self.redis.conn();
        self.redis
            .call(async move { invocation.invoke_async::<i64>(&mut conn).await })
            .await
            .map(drop)
    }

    /// Whether `token` is (or was) a refresh token of session `sid`: knowing a session id
    /// is not enough to revoke it.
    pub async fn holds_token(&self, sid: SessionId, token: &str) -> Result<bool, AuthError> {
        let hash = token_hash(token);
        let mut pipe = redis::pipe();
        pipe.hget(self.key(sid, SessionPart::Meta), "cur")
            .sismember(self.key(sid, SessionPart::Spent), &hash);
        let mut conn = self.redis.conn();
        let (current, spent): (Option<String>, bool) = self
            .redis
            .call(async move { pipe.query_async(&mut conn).await })
            .await?;
        Ok(current.as_deref() == Some(hash.as_str()) || spent)
    }

    /// Revokes session `sid`: its refresh token and all its access tokens.
    pub async fn revoke(&self, sid: SessionId) -> Result<(), AuthError> {
        let keys = self.session_keys(sid);
        let announcement = self.revocations.announce(self.session_revocation(sid));
        let mut invocation = REVOKE.prepare_invoke();
        for key in &keys {
            invocation.key(key);
        }
        invocation
            .arg(self.revocations.revocation_ttl().as_secs())
            .arg(self.revocations.channel())
            .arg(announcement.message());
        let mut conn = self.redis.conn();
        let uid: String = self
            .redis
            .call(async move { invocation.invoke_async(&mut conn).await })
            .await?;
        self.revocations.settle(announcement).await;
        if let Ok(user) = uid.parse::<UserId>() {
            let index = self.user_index(user);
            let mut conn = self.redis.conn();
            self.redis
                .call(async move { conn.zrem::<_, _, ()>(&index, sid.to_string()).await })
                .await?;
        }
        Ok(())
    }

    /// The user's live sessions, newest first. Expired ones are pruned from the index.
    pub async fn list(&self, user: UserId) -> Result<Vec<SessionInfo>, AuthError> {
        let index = self.user_index(user);
        let mut conn = self.redis.conn();
        let ids: Vec<String> = self
            .redis
            .call(async move { conn.zrevrange(&index, 0, -1).await })
            .await?;
        let sids: Vec<SessionId> = ids.iter().filter_map(|id| id.parse().ok()).collect();
        if sids.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for sid in &sids {
            pipe.hgetall(self.key(*sid, SessionPart::Meta));
        }
        let mut conn = self.redis.conn();
        let metas: Vec<HashMap<String, String>> = self
            .redis
            .call(async move { pipe.query_async(&mut conn).await })
            .await?;
        let mut live = Vec::new();
        let mut dead = Vec::new();
        for (sid, fields) in sids.into_iter().zip(metas) {
            match parse_session(sid, &fields) {
                Some(info) if info.user == user => live.push(info),
                _ => dead.push(sid.to_string()),
            }
        }
        if !dead.is_empty() {
            let index = self.user_index(user);
            let mut conn = self.redis.conn();
            self.redis
                .call(async move { conn.zrem::<_, _, ()>(&index, dead).await })
                .await?;
        }
        Ok(live)
    }

    /// Revokes every session of `user` but `keep`.
    pub async fn revoke_all(
        &self,
        user: UserId,
        keep: Option<SessionId>,
    ) -> Result<usize, AuthError> {
        let sessions = self.list(user).await?;
        // Concurrently: each revocation may wait for the other instances' acknowledgements.
        let revocations = sessions
            .into_iter()
            .filter(|s| Some(s.id) != keep)
            .map(|s| self.revoke(s.id));
        Ok(futures_util::future::try_join_all(revocations).await?.len())
    }
}

fn parse_session(sid: SessionId, fields: &HashMap<String, String>) -> Option<SessionInfo> {
    let text = |name: &str| fields.get(name).filter(|v| !v.is_empty()).cloned();
    let number = |name: &str| fields.get(name).and_then(|v| v.parse::<i64>().ok());
    let created_at_ms = number("created")?;
    Some(SessionInfo {
        id: sid,
        kind: match fields.get("kind").map(String::as_str) {
            Some("signin") => SessionKind::SignIn,
            _ => SessionKind::Tokens,
        },
        client_id: text("cid"),
        // Sessions from before `at`/`amr` were kept began with a password.
        auth: Authentication {
            time: number("at").unwrap_or(created_at_ms / 1000),
            methods: match fields.get("amr") {
                Some(amr) => AuthMethods::from_names(amr.split(' ')),
                None => AuthMethods::PASSWORD,
            },
        },
        absolute_expiry_ms: number("abs").unwrap_or(i64::MAX),
        user: fields.get("uid")?.parse().ok()?,
        tenant: text("tid").and_then(|t| t.parse().ok()),
        scope: fields.get("scope").cloned().unwrap_or_default(),
        // Sessions from before `req` was kept: their granted scope is the safe reading.
        requested_scope: match fields.get("req").map(String::as_str) {
            Some("*") => None,
            Some(req) => Some(req.to_owned()),
            None => Some(fields.get("scope").cloned().unwrap_or_default()),
        },
        created_at_ms,
        last_used_at_ms: number("last")?,
        ip: text("ip"),
        user_agent: text("ua"),
    })
}

fn cipher_for(token: &str) -> Result<ChaCha20Poly1305, AuthError> {
    let mut key = [0u8; 32];
    Hkdf::<Sha256>::new(Some(b"gatehouse refresh grace"), token.as_bytes())
        .expand(b"sealed token pair v1", &mut key)
        .map_err(|e| AuthError::Internal(e.into()))?;
    Ok(ChaCha20Poly1305::new(&Key::from(key)))
}

/// Seals `pair` under a key only the holder of `token` can derive.
fn seal(token: &str, pair: &[u8]) -> Result<Vec<u8>, AuthError> {
    let mut nonce = [0u8; 12];
    crate::random::fill(&mut nonce);
    let mut out = nonce.to_vec();
    let ciphertext = cipher_for(token)?
        .encrypt(&Nonce::from(nonce), pair)
        .map_err(|_| AuthError::Internal("sealing failed".into()))?;
    out.extend(ciphertext);
    Ok(out)
}

fn unseal(token: &str, sealed: &[u8]) -> Result<Vec<u8>, AuthError> {
    let (nonce, ciphertext) = sealed
        .split_at_checked(12)
        .ok_or_else(|| AuthError::Internal("sealed pair too short".into()))?;
    let nonce: [u8; 12] = nonce
        .try_into()
        .map_err(|_| AuthError::Internal("bad nonce".into()))?;
    cipher_for(token)?
        .decrypt(&Nonce::from(nonce), ciphertext)
        .map_err(|_| AuthError::Internal("sealed pair does not open".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_tokens_carry_their_session_and_256_random_bits() {
        let sid = SessionId::new();
        let a = SessionStore::new_refresh_token(sid);
        let b = SessionStore::new_refresh_token(sid);
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(SessionStore::session_of(&a), Some(sid));
        assert_eq!(SessionStore::session_of("not-a-token"), None);
    }

    #[test]
    fn sealed_pairs_open_only_with_the_spent_token() {
        let sealed = seal("token-a", b"pair").unwrap();
        assert_eq!(unseal("token-a", &sealed).unwrap(), b"pair");
        assert!(unseal("token-b", &sealed).is_err());
    }
}
