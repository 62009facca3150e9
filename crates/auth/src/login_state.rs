//! Pending browser sign-ins (SPEC §11): what `/oauth/authorize` asked for, kept in Redis
//! between the hosted login page's steps, bound to the browser that started it.
//!
//! Each sign-in has a random state token (256 bits) that travels in the pages' forms as
//! their hidden `csrf` field, and is bound to the browser's login-state cookie (`gh_login`,
//! HttpOnly): a step is accepted only with both, so a form cannot be posted from another
//! site (it does not know the token) nor replayed from another browser (it lacks the
//! cookie). Redis keeps only the token's hash and the cookie's hash.

use crate::{AuthError, RedisStore};
use redis::AsyncCommands;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How long a person may take over the login page's steps.
pub const LOGIN_STATE_TTL: Duration = Duration::from_secs(15 * 60);

#[derive(Serialize, Deserialize)]
struct Stored<T> {
    /// The hash of the `gh_login` cookie the sign-in is bound to.
    binding: String,
    state: T,
}

#[derive(Clone)]
pub struct LoginStates {
    redis: RedisStore,
}

impl LoginStates {
    pub fn new(redis: RedisStore) -> Self {
        Self { redis }
    }

    /// A new browser binding: the `gh_login` cookie's value.
    pub fn new_binding() -> String {
        crate::random::token(32)
    }

    /// Starts a sign-in bound to `binding`; returns its state token.
    pub async fn start<T: Serialize>(&self, binding: &str, state: &T) -> Result<String, AuthError> {
        let token = crate::random::token(32);
        self.write(&token, binding, state, false).await?;
        Ok(token)
    }

    /// Replaces the state of a sign-in (its lifetime runs on from its start).
    pub async fn save<T: Serialize>(
        &self,
        token: &str,
        binding: &str,
        state: &T,
    ) -> Result<(), AuthError> {
        self.write(token, binding, state, true).await
    }

    /// The sign-in of `token`, if it is live and bound to `binding`.
    pub async fn load<T: DeserializeOwned>(
        &self,
        token: &str,
        binding: &str,
    ) -> Result<Option<T>, AuthError> {
        let key = self.key(token);
        let mut conn = self.redis.conn();
        let raw: Option<String> = self.redis.call(async move { conn.get(&key).await }).await?;
        Ok(raw.and_then(|raw| unbind(&raw, binding)))
    }

    /// Ends the sign-in of `token` and returns its state: of racing steps, one gets it.
    pub async fn take<T: DeserializeOwned>(
        &self,
        token: &str,
        binding: &str,
    ) -> Result<Option<T>, AuthError> {
        let key = self.key(token);
        let mut conn = self.redis.conn();
        let raw: Option<String> = self
            .redis
            .call(async move { conn.get_del(&key).await })
            .await?;
        Ok(raw.and_then(|raw| unbind(&raw, binding)))
    }

    async fn write<T: Serialize>(
        &self,
        token: &str,
        binding: &str,
        state: &T,
        keep_ttl: bool,
    ) -> Result<(), AuthError> {
        let stored = Stored {
            binding: crate::sessions::token_hash(binding),
            state,
        };
        let value = serde_json::to_string(&stored).map_err(|e| AuthError::Internal(e.into()))?;
        let key = self.key(token);
        let mut conn = self.redis.conn();
        let mut command = redis::cmd("SET");
        command.arg(&key).arg(value);
        if keep_ttl {
            // XX: a sign-in that expired meanwhile is not revived.
            command.arg("XX").arg("KEEPTTL");
        } else {
            command.arg("EX").arg(LOGIN_STATE_TTL.as_secs());
        }
        self.redis
            .call(async move { command.query_async::<Option<String>>(&mut conn).await })
            .await
            .map(drop)
    }

    fn key(&self, token: &str) -> String {
        self.redis
            .keys()
            .login_state(&crate::sessions::token_hash(token))
    }
}

/// The state, if the stored binding is `binding`'s (compared in constant time).
fn unbind<T: DeserializeOwned>(raw: &str, binding: &str) -> Option<T> {
    let stored: Stored<T> = serde_json::from_str(raw).ok()?;
    let expected = crate::sessions::token_hash(binding);
    let bound: bool =
        subtle::ConstantTimeEq::ct_eq(stored.binding.as_bytes(), expected.as_bytes()).into();
    bound.then_some(stored.state)
}
