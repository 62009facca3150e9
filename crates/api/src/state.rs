use crate::config::{Config, JwtAlgorithm};
use crate::error::ApiError;
use auth::password::{HashParams, PasswordHasherPool};
use auth::revocation::RevocationList;
use auth::sessions::SessionStore;
use auth::token::KeyRing;
use auth::{AuthError, RedisStore};
use persistence::PgPool;
use secrecy::ExposeSecret;
use std::sync::Arc;

/// Everything a handler may reach, built once at startup.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: PgPool,
    pub redis: RedisStore,
    pub hasher: PasswordHasherPool,
    pub keys: Arc<KeyRing>,
    /// What signs ID tokens (`None`: `openid` is `invalid_scope`).
    pub id_tokens: Option<Arc<auth::id_token::IdTokenKeys>>,
    pub sessions: SessionStore,
    pub revocations: RevocationList,
    pub api_keys: crate::api_keys::ApiKeys,
    pub rate_limiter: auth::rate_limit::RateLimiter,
    pub lockout: auth::rate_limit::Lockout,
    /// The registered clients' origins (CORS on `/oauth/*`), shared by every worker.
    pub client_origins: crate::client_origins::ClientOrigins,
    /// Authorization codes between `/oauth/authorize` and the token endpoint.
    pub codes: auth::authorization_code::CodeStore,
    /// Browser sign-ins between the login page's steps.
    pub login_states: auth::login_state::LoginStates,
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Transactional email: the outbox's writer and this instance's sender.
    pub mailer: crate::mail::Mailer,
}

impl AppState {
    pub fn new(config: Config, db: PgPool, redis: RedisStore) -> Result<Self, AuthError> {
        let hasher = PasswordHasherPool::new(
            HashParams {
                memory_kib: config.argon2.memory_kib,
                iterations: config.argon2.iterations,
                parallelism: config.argon2.parallelism,
            },
            config.hash_workers,
            config.hash_queue,
        )?
        .with_max_wait(config.hash_max_wait);
        let keys = key_ring(&config).map_err(|e| AuthError::Internal(e.into()))?;
        let mailer =
            crate::mail::Mailer::new(&config).map_err(|e| AuthError::Internal(e.into()))?;
        let id_tokens = id_token_keys(&config).map_err(|e| AuthError::Internal(e.into()))?;
        let revocations = config.revocation_list(redis.clone(), db.clone());
        let (sessions, rate_limiter, lockout) = redis_parts(&config, &redis, &revocations);
        let api_keys = crate::api_keys::ApiKeys::new(
            db.clone(),
            redis.clone(),
            auth::api_key::ApiKeyCodec::new(config.data_key.expose_secret()),
            revocations.clone(),
            config.api_key_cache,
        );
        Ok(Self {
            config: Arc::new(config),
            db,
            codes: auth::authorization_code::CodeStore::new(redis.clone()),
            login_states: auth::login_state::LoginStates::new(redis.clone()),
            client_origins: Default::default(),
            redis,
            hasher,
            keys: Arc::new(keys),
            id_tokens: id_tokens.map(Arc::new),
            sessions,
            revocations,
            api_keys,
            rate_limiter,
            lockout,
            metrics: Arc::default(),
            mailer,
        })
    }
}

impl AppState {
    /// Whether ID tokens can be signed (SPEC §11: otherwise `openid` is `invalid_scope`).
    pub fn keys_for_id_tokens(&self) -> bool {
        self.id_tokens.is_some()
    }

    /// The public keys of access tokens and ID tokens (one entry per `kid`), never HMAC
    /// material (SPEC §11).
    pub fn jwks(&self) -> jsonwebtoken::jwk::JwkSet {
        let mut set = self.keys.jwks();
        if let Some(id_tokens) = &self.id_tokens {
            for key in id_tokens.jwks().keys {
                if !set
                    .keys
                    .iter()
                    .any(|k| k.common.key_id == key.common.key_id)
                {
                    set.keys.push(key);
                }
            }
        }
        set
    }

    /// Counts a guess at `subject`'s secret in `flow` before it is verified (SPEC §8): 429
    /// with `Retry-After` while the subject is locked.
    pub async fn count_guess(
        &self,
        flow: auth::rate_limit::Guessed,
        subject: &str,
    ) -> Result<(), ApiError> {
        let verdict = self.lockout.attempt(flow, subject).await?;
        Ok(verdict?)
    }

    /// This state for one HTTP worker, with PostgreSQL and Redis connections of its own:
    /// a connection's driver task runs on the thread that opened it, so a worker using
    /// only its own connections never wakes another thread for a query (measured: +20 %
    /// tenant reads on two cores). `GATEHOUSE_DB_POOL_SIZE` is the total: what the shared
    /// pool keeps aside, the rest split among the workers (at least one each).
    /// The revocation mirror, API keys and the hashing pool stay shared by the process.
    pub fn for_worker(&self, workers: usize) -> Self {
        let config = &self.config;
        let settings = persistence::PoolSettings {
            max_size: worker_pool_size(config.db_pool_size, workers),
            timeout: config.dependency_timeout,
        };
        let db = persistence::build_pool(config.database_url(), &settings);
        let redis = RedisStore::connect(
            config.redis_url.expose_secret(),
            &config.redis_prefix,
            config.dependency_timeout,
        );
        match (db, redis) {
            (Ok(db), Ok(redis)) => {
                let (sessions, rate_limiter, lockout) =
                    redis_parts(config, &redis, &self.revocations);
                Self {
                    db,
                    codes: auth::authorization_code::CodeStore::new(redis.clone()),
                    login_states: auth::login_state::LoginStates::new(redis.clone()),
                    redis,
                    sessions,
                    rate_limiter,
                    lockout,
                    ..self.clone()
                }
            }
            (db, redis) => {
                tracing::warn!(
                    db = ?db.err(),
                    redis = ?redis.err(),
                    "no connections of its own for a worker; sharing the process's"
                );
                self.clone()
            }
        }
    }
}

/// Connections of the process-wide pool (background work: API key lookups and stamps).
pub const SHARED_DB_CONNECTIONS: usize = 2;

/// Each worker's share of `GATEHOUSE_DB_POOL_SIZE` once the shared pool's are set aside.
fn worker_pool_size(total: usize, workers: usize) -> usize {
    (total.saturating_sub(SHARED_DB_CONNECTIONS) / workers.max(1)).max(1)
}

/// What talks to Redis on a request's behalf.
fn redis_parts(
    config: &Config,
    redis: &RedisStore,
    revocations: &RevocationList,
) -> (
    SessionStore,
    auth::rate_limit::RateLimiter,
    auth::rate_limit::Lockout,
) {
    (
        SessionStore::new(
            redis.clone(),
            config.session_settings(),
            revocations.clone(),
        ),
        auth::rate_limit::RateLimiter::new(redis.clone()),
        auth::rate_limit::Lockout::new(
            redis.clone(),
            config.lockout_threshold,
            config.lockout_base,
        ),
    )
}

/// ID tokens' keys: those of `GATEHOUSE_JWT_KEY_DIR` (whatever `GATEHOUSE_JWT_ALG` is), else
/// in development mode an ephemeral RSA-2048 key (`scripts/dev` keeps one in the checkout
/// instead, so signed-in apps survive a restart); else none.
fn id_token_keys(
    config: &Config,
) -> Result<Option<auth::id_token::IdTokenKeys>, auth::token::KeyError> {
    use auth::id_token::IdTokenKeys;
    let issuer = config.issuer();
    if let Some(dir) = &config.jwt_key_dir
        && let Some(keys) = IdTokenKeys::from_pem_dir(dir, &issuer)?
    {
        return Ok(Some(keys));
    }
    if !config.dev {
        return Ok(None);
    }
    tracing::warn!("GATEHOUSE_DEV=1 and no RSA key: ID tokens are signed with an ephemeral key");
    let pem = IdTokenKeys::generate_rsa_pem()?;
    Ok(Some(IdTokenKeys::from_rsa_pem(
        "dev-ephemeral",
        pem.as_bytes(),
        &issuer,
    )?))
}

fn key_ring(config: &Config) -> Result<KeyRing, auth::token::KeyError> {
    let issuer = config.issuer();
    match (config.jwt_alg, &config.jwt_secret, &config.jwt_key_dir) {
        (JwtAlgorithm::Hs256, Some(secret), _) => {
            KeyRing::hs256(secret.expose_secret(), &issuer, &config.audience)
        }
        (JwtAlgorithm::EdDsa, _, Some(dir)) => KeyRing::from_pem_dir(
            jsonwebtoken::Algorithm::EdDSA,
            dir,
            &issuer,
            &config.audience,
        ),
        (JwtAlgorithm::Rs256, _, Some(dir)) => KeyRing::from_pem_dir(
            jsonwebtoken::Algorithm::RS256,
            dir,
            &issuer,
            &config.audience,
        ),
        _ => Err(auth::token::KeyError("no signing key configured".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worker_pools_stay_within_the_configured_total() {
        for (total, workers) in [(16, 2), (10, 4), (4, 1), (17, 3), (64, 8)] {
            let each = worker_pool_size(total, workers);
            assert!(each >= 1);
            assert!(
                SHARED_DB_CONNECTIONS + each * workers <= total,
                "{total} over {workers} workers"
            );
        }
        // Fewer connections than workers: each still gets one.
        assert_eq!(worker_pool_size(2, 4), 1);
    }
}
