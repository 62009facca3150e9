//! The Redis connection every Redis-backed piece shares, and the key naming that keeps a
//! deployment's (or a test's) keys under `GATEHOUSE_REDIS_PREFIX`.

use crate::AuthError;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::time::Duration;

#[derive(Clone)]
pub struct RedisStore {
    client: redis::Client,
    conn: ConnectionManager,
    prefix: String,
    timeout: Duration,
}

impl RedisStore {
    /// Connects lazily: the server starts, and `/readyz` reports, while Redis is down; the
    /// manager reconnects by itself when Redis returns.
    pub fn connect(url: &str, prefix: &str, timeout: Duration) -> Result<Self, AuthError> {
        let client = redis::Client::open(url).map_err(|e| AuthError::Unavailable(e.into()))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        let conn = ConnectionManager::new_lazy_with_config(client.clone(), config)?;
        Ok(Self {
            client,
            conn,
            prefix: prefix.to_owned(),
            timeout,
        })
    }

    /// A connection handle (cheap clone of a multiplexed connection).
    pub fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }

    /// The client, for connections of their own (a pub/sub subscription).
    pub fn client(&self) -> &redis::Client {
        &self.client
    }

    /// `<prefix><rest>`.
    pub(crate) fn key(&self, rest: &str) -> String {
        format!("{}{rest}", self.prefix)
    }

    /// A SCAN/KEYS pattern for `<prefix><pattern>`: the prefix's glob characters escaped.
    pub(crate) fn key_pattern(&self, pattern: &str) -> String {
        let mut escaped = String::with_capacity(self.prefix.len() + pattern.len());
        for c in self.prefix.chars() {
            if matches!(c, '*' | '?' | '[' | ']' | '\\') {
                escaped.push('\\');
            }
            escaped.push(c);
        }
        escaped.push_str(pattern);
        escaped
    }

    /// Runs one Redis call under the dependency deadline: a hung Redis is an error, not a
    /// hung request.
    pub async fn call<T>(
        &self,
        future: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, AuthError> {
        match tokio::time::timeout(self.timeout, future).await {
            Ok(result) => Ok(result?),
            Err(_) => Err(AuthError::Unavailable("redis call timed out".into())),
        }
    }

    pub async fn ping(&self) -> Result<(), AuthError> {
        let mut conn = self.conn();
        self.call(async move { redis::cmd("PING").query_async::<String>(&mut conn).await })
            .await
            .map(|_| ())
    }
}
