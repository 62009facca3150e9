//! Revocation lists in Redis (layout: see `sessions`). A request's token is checked in one
//! pipelined round trip against: its `jti`, its session, and the "not before" marks of its
//! user, its tenant and its membership. Redis unreachable is an error: callers fail closed.

use crate::token::AccessClaims;
use crate::{AuthError, RedisStore};
use domain::{SessionId, TenantId, UserId};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    /// The token or its session was revoked (logout, reuse, explicit revocation).
    Revoked,
    /// Authorization changed after the token was issued: refresh to get current scopes.
    PermissionsChanged,
}

#[derive(Clone)]
pub struct RevocationList {
    redis: RedisStore,
    access_ttl: Duration,
}

impl RevocationList {
    pub fn new(redis: RedisStore, access_ttl: Duration) -> Self {
        Self { redis, access_ttl }
    }

    fn jti_key(&self, jti: uuid::Uuid) -> String {
        self.redis.key(&format!("jti:{jti}"))
    }
    fn sid_key(&self, sid: SessionId) -> String {
        self.redis.key(&format!("{{s:{sid}}}:revoked"))
    }
    fn user_key(&self, user: UserId) -> String {
        self.redis.key(&format!("{{u:{user}}}:nbf"))
    }
    fn tenant_key(&self, tenant: TenantId) -> String {
        self.redis.key(&format!("{{t:{tenant}}}:nbf"))
    }
    fn member_key(&self, tenant: TenantId, user: UserId) -> String {
        self.redis.key(&format!("{{t:{tenant}}}:nbf:{user}"))
    }

    /// `Ok(None)` when the token stands.
    pub async fn check(&self, claims: &AccessClaims) -> Result<Option<Revoked>, AuthError> {
        let user = UserId(claims.sub);
        let mut pipe = redis::pipe();
        pipe.exists(self.jti_key(claims.jti))
            .exists(self.sid_key(SessionId(claims.sid)))
            .get(self.user_key(user));
        if let Some(tid) = claims.tid {
            pipe.get(self.tenant_key(TenantId(tid)))
                .get(self.member_key(TenantId(tid), user));
        }
        let mut conn = self.redis.conn();
        let (jti, sid, marks): (bool, bool, Vec<Option<i64>>) = if claims.tid.is_some() {
            let (jti, sid, u, t, m): (bool, bool, Option<i64>, Option<i64>, Option<i64>) = self
                .redis
                .call(async move { pipe.query_async(&mut conn).await })
                .await?;
            (jti, sid, vec![u, t, m])
        } else {
            let (jti, sid, u): (bool, bool, Option<i64>) = self
                .redis
                .call(async move { pipe.query_async(&mut conn).await })
                .await?;
            (jti, sid, vec![u])
        };
        if jti || sid {
            return Ok(Some(Revoked::Revoked));
        }
        let issued = claims.issued_at_ms();
        if marks.into_iter().flatten().any(|mark| issued < mark) {
            return Ok(Some(Revoked::PermissionsChanged));
        }
        Ok(None)
    }

    /// Revokes one access token until it expires.
    pub async fn revoke_token(&self, claims: &AccessClaims) -> Result<(), AuthError> {
        let remaining = (claims.exp - chrono::Utc::now().timestamp()).max(1) as u64 + 5;
        let key = self.jti_key(claims.jti);
        let mut conn = self.redis.conn();
        self.redis
            .call(async move {
                redis::cmd("SET")
                    .arg(&key)
                    .arg(1)
                    .arg("EX")
                    .arg(remaining)
                    .query_async::<()>(&mut conn)
                    .await
            })
            .await
    }

    async fn mark(&self, key: String) -> Result<(), AuthError> {
        let now = chrono::Utc::now().timestamp_millis();
        let ttl = self.access_ttl.as_secs().max(1) + 5;
        let mut conn = self.redis.conn();
        self.redis
            .call(async move {
                redis::cmd("SET")
                    .arg(&key)
                    .arg(now)
                    .arg("EX")
                    .arg(ttl)
                    .query_async::<()>(&mut conn)
                    .await
            })
            .await
    }

    /// Every token of `user` issued before now stops working.
    pub async fn user_changed(&self, user: UserId) -> Result<(), AuthError> {
        self.mark(self.user_key(user)).await
    }

    /// Every token for `tenant` issued before now stops working.
    pub async fn tenant_changed(&self, tenant: TenantId) -> Result<(), AuthError> {
        self.mark(self.tenant_key(tenant)).await
    }

    /// Every token of `user` for `tenant` issued before now stops working.
    pub async fn membership_changed(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<(), AuthError> {
        self.mark(self.member_key(tenant, user)).await
    }
}
