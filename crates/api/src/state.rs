use crate::config::{Config, JwtAlgorithm};
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
    pub sessions: SessionStore,
    pub revocations: RevocationList,
    pub api_keys: crate::api_keys::ApiKeys,
    pub rate_limiter: auth::rate_limit::RateLimiter,
    pub lockout: auth::rate_limit::Lockout,
    pub metrics: Arc<crate::metrics::Metrics>,
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
        )?;
        let keys = key_ring(&config).map_err(|e| AuthError::Internal(e.to_string()))?;
        let revocations = config.revocation_list(redis.clone());
        let sessions = SessionStore::new(
            redis.clone(),
            config.session_settings(),
            revocations.clone(),
        );
        let api_keys =
            crate::api_keys::ApiKeys::new(db.clone(), redis.clone(), config.api_key_cache);
        let rate_limiter = auth::rate_limit::RateLimiter::new(redis.clone());
        let lockout = auth::rate_limit::Lockout::new(
            redis.clone(),
            config.lockout_threshold,
            config.lockout_base,
        );
        Ok(Self {
            config: Arc::new(config),
            db,
            redis,
            hasher,
            keys: Arc::new(keys),
            sessions,
            revocations,
            api_keys,
            rate_limiter,
            lockout,
            metrics: Arc::default(),
        })
    }
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
