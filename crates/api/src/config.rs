//! The typed configuration (SPEC §9), parsed once from the environment (and `.env`).
//! Every bad value is refused at startup with the name of its variable.

use ipnet::IpNet;
use secrecy::{ExposeSecret, SecretBox, SecretString};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;
use url::Url;

#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {variable}: {message}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub message: String,
}

fn invalid(variable: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        message: message.into(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtAlgorithm {
    Hs256,
    EdDsa,
    Rs256,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignupMode {
    Open,
    Closed,
}

pub struct Argon2Settings {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

pub struct Config {
    pub database_url: SecretString,
    pub redis_url: SecretString,
    pub bind: SocketAddr,
    pub public_url: Url,
    pub audience: String,
    pub jwt_alg: JwtAlgorithm,
    /// HS256 only; `None` with another algorithm.
    pub jwt_secret: Option<SecretBox<Vec<u8>>>,
    pub jwt_key_dir: Option<PathBuf>,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    pub session_max_age: Duration,
    pub refresh_reuse_grace: Duration,
    pub argon2: Argon2Settings,
    pub hash_workers: usize,
    pub hash_queue: usize,
    /// A login waiting this long for a hashing thread is refused (503) instead of hashed.
    pub hash_max_wait: Duration,
    pub cors_origins: Vec<String>,
    pub trusted_proxies: Vec<IpNet>,
    pub login_rate: u32,
    pub lockout_threshold: u32,
    pub lockout_base: Duration,
    pub signup: SignupMode,
    pub redis_prefix: String,
    pub hsts_secs: u64,
    pub dev: bool,
    /// Deadline of every Postgres and Redis call (not in SPEC §9's table, tunable for tests).
    pub dependency_timeout: Duration,
    pub db_pool_size: usize,
    /// HTTP worker threads (default: one per core).
    pub http_workers: usize,
    /// How long an instance trusts its cached copy of an API key (revocation is immediate regardless).
    pub api_key_cache: Duration,
    /// How often collected API key `last_used_at` stamps are written.
    pub api_key_touch: Duration,
    /// How stale the local mirror of the revocation lists may be before requests ask Redis
    /// again, and how long a revocation waits for every instance to acknowledge it.
    /// Zero: no mirror, every request asks Redis.
    pub revocation_max_lag: Duration,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("public_url", &self.public_url.as_str())
            .field("jwt_alg", &self.jwt_alg)
            .field("dev", &self.dev)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Reads the process environment, after loading `.env` if there is one.
    pub fn from_env() -> Result<Self, ConfigError> {
        let _ = dotenvy::dotenv();
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Parses from any variable source (tests pass a map).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let dev = get("GATEHOUSE_DEV").is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true"));

        let database_url = required(&get, "DATABASE_URL")?;
        check_url("DATABASE_URL", &database_url, &["postgres", "postgresql"])?;
        let redis_url = required(&get, "REDIS_URL")?;
        check_url(
            "REDIS_URL",
            &redis_url,
            &["redis", "rediss", "redis+unix", "unix"],
        )?;

        let bind = parse_or(&get, "GATEHOUSE_BIND", "127.0.0.1:8080".parse().ok(), |v| {
            v.parse::<SocketAddr>().map_err(|e| e.to_string())
        })?;
        let public_url = parse_or(
            &get,
            "GATEHOUSE_PUBLIC_URL",
            Url::parse("http://127.0.0.1:8080").ok(),
            |v| {
                let url = Url::parse(v).map_err(|e| e.to_string())?;
                if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
                    return Err("must be an http(s) URL".into());
                }
                Ok(url)
            },
        )?;
        let audience = get("GATEHOUSE_AUDIENCE").unwrap_or_else(|| "gatehouse".into());

        let jwt_alg = parse_or(
            &get,
            "GATEHOUSE_JWT_ALG",
            Some(JwtAlgorithm::Hs256),
            |v| match v {
                "HS256" => Ok(JwtAlgorithm::Hs256),
                "EdDSA" => Ok(JwtAlgorithm::EdDsa),
                "RS256" => Ok(JwtAlgorithm::Rs256),
                _ => Err("must be HS256, EdDSA or RS256".into()),
            },
        )?;
        let jwt_key_dir = get("GATEHOUSE_JWT_KEY_DIR").map(PathBuf::from);
        let jwt_secret = match jwt_alg {
            JwtAlgorithm::Hs256 => Some(match get("GATEHOUSE_JWT_SECRET") {
                Some(secret) if secret.len() >= 32 => SecretBox::new(Box::new(secret.into_bytes())),
                Some(_) => {
                    return Err(invalid("GATEHOUSE_JWT_SECRET", "must be at least 32 bytes"));
                }
                None if dev => {
                    let mut bytes = vec![0u8; 32];
                    getrandom_fill(&mut bytes);
                    tracing::warn!(
                        "GATEHOUSE_DEV=1 and no GATEHOUSE_JWT_SECRET: using an EPHEMERAL signing secret; \
                         every token dies with this process. Never run production like this."
                    );
                    eprintln!(
                        "WARNING: GATEHOUSE_DEV=1: ephemeral JWT secret generated; tokens will not survive a restart"
                    );
                    SecretBox::new(Box::new(bytes))
                }
                None => {
                    return Err(invalid(
                        "GATEHOUSE_JWT_SECRET",
                        "is required for HS256 (at least 32 bytes)",
                    ));
                }
            }),
            JwtAlgorithm::EdDsa | JwtAlgorithm::Rs256 => {
                match &jwt_key_dir {
                    Some(dir) if dir.is_dir() => {}
                    Some(_) => return Err(invalid("GATEHOUSE_JWT_KEY_DIR", "is not a directory")),
                    None => {
                        return Err(invalid(
                            "GATEHOUSE_JWT_KEY_DIR",
                            "is required for EdDSA and RS256",
                        ));
                    }
                }
                None
            }
        };

        let secs = |name: &'static str, default: u64| -> Result<Duration, ConfigError> {
            parse_or(&get, name, Some(default), |v| {
                v.parse::<u64>().map_err(|e| e.to_string())
            })
            .map(Duration::from_secs)
        };
        let positive = |name: &'static str, default: u64| -> Result<u64, ConfigError> {
            let value = parse_or(&get, name, Some(default), |v| {
                v.parse::<u64>().map_err(|e| e.to_string())
            })?;
            if value == 0 {
                return Err(invalid(name, "must be greater than 0"));
            }
            Ok(value)
        };
        let access_ttl = Duration::from_secs(positive("GATEHOUSE_ACCESS_TTL", 900)?);
        let refresh_ttl = Duration::from_secs(positive("GATEHOUSE_REFRESH_TTL", 1_209_600)?);
        let session_max_age =
            Duration::from_secs(positive("GATEHOUSE_SESSION_MAX_AGE", 2_592_000)?);
        let refresh_reuse_grace = secs("GATEHOUSE_REFRESH_REUSE_GRACE", 2)?;

        let argon2 = Argon2Settings {
            memory_kib: to_u32(
                "GATEHOUSE_ARGON2_MEMORY_KIB",
                positive("GATEHOUSE_ARGON2_MEMORY_KIB", 19_456)?,
            )?,
            iterations: to_u32(
                "GATEHOUSE_ARGON2_ITERATIONS",
                positive("GATEHOUSE_ARGON2_ITERATIONS", 2)?,
            )?,
            parallelism: to_u32(
                "GATEHOUSE_ARGON2_PARALLELISM",
                positive("GATEHOUSE_ARGON2_PARALLELISM", 1)?,
            )?,
        };
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get()) as u64;
        let hash_workers = positive("GATEHOUSE_HASH_WORKERS", cores)? as usize;
        let hash_queue = positive("GATEHOUSE_HASH_QUEUE", 64)? as usize;
        let hash_max_wait = Duration::from_millis(positive("GATEHOUSE_HASH_MAX_WAIT_MS", 1_000)?);

        let cors_origins = list(&get, "GATEHOUSE_CORS_ORIGINS")
            .into_iter()
            .map(|origin| {
                if origin == "*" {
                    return Err(invalid(
                        "GATEHOUSE_CORS_ORIGINS",
                        "`*` is refused: credentials are allowed, so origins must be listed explicitly",
                    ));
                }
                let url = Url::parse(&origin).map_err(|e| invalid("GATEHOUSE_CORS_ORIGINS", format!("{origin}: {e}")))?;
                let serialized = url.origin().ascii_serialization();
                if serialized != origin.trim_end_matches('/') {
                    return Err(invalid("GATEHOUSE_CORS_ORIGINS", format!("{origin} is not a bare origin (scheme://host[:port])")));
                }
                Ok(serialized)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let trusted_proxies = list(&get, "GATEHOUSE_TRUSTED_PROXIES")
            .into_iter()
            .map(|entry| {
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        invalid(
                            "GATEHOUSE_TRUSTED_PROXIES",
                            format!("{entry} is not an IP address or CIDR"),
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;

        let login_rate = to_u32(
            "GATEHOUSE_LOGIN_RATE",
            positive("GATEHOUSE_LOGIN_RATE", 20)?,
        )?;
        let lockout_threshold = to_u32(
            "GATEHOUSE_LOCKOUT_THRESHOLD",
            positive("GATEHOUSE_LOCKOUT_THRESHOLD", 5)?,
        )?;
        let lockout_base = Duration::from_secs(positive("GATEHOUSE_LOCKOUT_BASE_SECS", 30)?);
        let signup = parse_or(
            &get,
            "GATEHOUSE_SIGNUP",
            Some(SignupMode::Open),
            |v| match v {
                "open" => Ok(SignupMode::Open),
                "closed" => Ok(SignupMode::Closed),
                _ => Err("must be `open` or `closed`".into()),
            },
        )?;
        let redis_prefix = get("GATEHOUSE_REDIS_PREFIX").unwrap_or_else(|| "gh:".into());
        if redis_prefix.contains(['{', '}', ' ']) {
            return Err(invalid(
                "GATEHOUSE_REDIS_PREFIX",
                "must not contain braces (hash tags) or spaces",
            ));
        }
        let hsts_secs = secs("GATEHOUSE_HSTS_SECS", 0)?.as_secs();
        let dependency_timeout =
            Duration::from_millis(positive("GATEHOUSE_DEPENDENCY_TIMEOUT_MS", 3_000)?);
        let db_pool_size = positive("GATEHOUSE_DB_POOL_SIZE", 16)? as usize;
        let http_workers = positive("GATEHOUSE_HTTP_WORKERS", cores)? as usize;
        let api_key_cache = Duration::from_secs(positive("GATEHOUSE_API_KEY_CACHE_SECS", 30)?);
        let api_key_touch = Duration::from_secs(positive("GATEHOUSE_API_KEY_TOUCH_SECS", 60)?);
        let revocation_max_lag = Duration::from_millis(parse_or(
            &get,
            "GATEHOUSE_REVOCATION_MAX_LAG_MS",
            Some(1_000),
            |v| v.parse::<u64>().map_err(|e| e.to_string()),
        )?);

        Ok(Self {
            database_url: SecretString::from(database_url),
            redis_url: SecretString::from(redis_url),
            bind,
            public_url,
            audience,
            jwt_alg,
            jwt_secret,
            jwt_key_dir,
            access_ttl,
            refresh_ttl,
            session_max_age,
            refresh_reuse_grace,
            argon2,
            hash_workers,
            hash_queue,
            hash_max_wait,
            cors_origins,
            trusted_proxies,
            login_rate,
            lockout_threshold,
            lockout_base,
            signup,
            redis_prefix,
            hsts_secs,
            dev,
            dependency_timeout,
            db_pool_size,
            http_workers,
            api_key_cache,
            api_key_touch,
            revocation_max_lag,
        })
    }

    /// Refresh-session lifetimes, as the session store takes them.
    pub fn session_settings(&self) -> auth::sessions::SessionSettings {
        auth::sessions::SessionSettings {
            idle_ttl: self.refresh_ttl,
            max_age: self.session_max_age,
            reuse_grace: self.refresh_reuse_grace,
            access_ttl: self.access_ttl,
        }
    }

    /// The revocation lists of a serving instance: mirrored locally unless
    /// `GATEHOUSE_REVOCATION_MAX_LAG_MS=0`, and guarded by the Redis epoch recorded in `db`
    /// (see `auth::revocation::epoch`). Starts background tasks, so it needs a Tokio runtime.
    pub fn revocation_list(
        &self,
        redis: auth::RedisStore,
        db: persistence::PgPool,
    ) -> auth::revocation::RevocationList {
        auth::revocation::RevocationList::serving(
            redis,
            self.access_ttl,
            self.revocation_max_lag,
            Box::new(crate::redis_epoch::PgEpochStore::new(db)),
        )
    }

    /// The revocation lists for a process that only writes them (the CLI).
    pub fn revocation_writer(&self, redis: auth::RedisStore) -> auth::revocation::RevocationList {
        auth::revocation::RevocationList::writer(redis, self.access_ttl, self.revocation_max_lag)
    }

    /// The issuer (`iss`): the public URL without a trailing slash.
    pub fn issuer(&self) -> String {
        self.public_url.as_str().trim_end_matches('/').to_owned()
    }

    pub fn database_url(&self) -> &str {
        self.database_url.expose_secret()
    }
}

fn getrandom_fill(bytes: &mut [u8]) {
    auth::random::fill(bytes);
}

fn required(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<String, ConfigError> {
    get(name).ok_or_else(|| invalid(name, "is required"))
}

fn check_url(name: &'static str, value: &str, schemes: &[&str]) -> Result<(), ConfigError> {
    // The parse error never echoes the value: it may hold a password.
    let url = Url::parse(value).map_err(|e| invalid(name, format!("is not a valid URL ({e})")))?;
    if !schemes.contains(&url.scheme()) {
        return Err(invalid(
            name,
            format!("scheme must be one of {}", schemes.join(", ")),
        ));
    }
    Ok(())
}

fn parse_or<T>(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: Option<T>,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<T, ConfigError> {
    match get(name) {
        Some(value) => parse(value.trim()).map_err(|message| invalid(name, message)),
        None => default.ok_or_else(|| invalid(name, "is required")),
    }
}

fn to_u32(name: &'static str, value: u64) -> Result<u32, ConfigError> {
    u32::try_from(value).map_err(|_| invalid(name, "is too large"))
}

fn list(get: &impl Fn(&str) -> Option<String>, name: &str) -> Vec<String> {
    get(name)
        .map(|v| {
            v.split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}
