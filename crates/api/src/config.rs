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
pub enum CookieSameSite {
    Strict,
    Lax,
    /// Only over https (browsers drop `SameSite=None` without `Secure`).
    None,
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
    /// The application role: owns nothing, no SUPERUSER, no BYPASSRLS (`serve` checks).
    pub database_url: SecretString,
    /// The owner role `gatehouse migrate` connects as (default: `database_url`).
    pub migration_database_url: SecretString,
    pub redis_url: SecretString,
    pub bind: SocketAddr,
    pub public_url: Url,
    pub audience: String,
    pub jwt_alg: JwtAlgorithm,
    /// HS256 only; `None` with another algorithm.
    pub jwt_secret: Option<SecretBox<Vec<u8>>>,
    pub jwt_key_dir: Option<PathBuf>,
    /// Server-side key material (at least 32 bytes): the root from which keys for API key
    /// checksums and secrets at rest are derived. Never used directly as a key.
    pub data_key: SecretBox<Vec<u8>>,
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
    /// `GATEHOUSE_PASSWORD_GRANT`: whether `grant_type=password` is served (SPEC §11).
    pub password_grant: bool,
    /// `GATEHOUSE_COOKIE_SAMESITE`: the refresh cookie's `SameSite` (default `strict`).
    pub cookie_samesite: CookieSameSite,
    /// `GATEHOUSE_SMTP_URL` (SPEC §12); `None`: development mode prints mails to the log.
    pub smtp_url: Option<SecretString>,
    /// `GATEHOUSE_MAIL_FROM`: the sender of every mail.
    pub mail_from: String,
    /// `GATEHOUSE_PRODUCT_NAME`: what mails call the product.
    pub product_name: String,
    /// `GATEHOUSE_APP_URL`: the frontend whose `/account/*` pages mails link to (default:
    /// Gatehouse's own pages under the public URL).
    pub app_url: Option<Url>,
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
        let migration_database_url =
            get("GATEHOUSE_MIGRATION_DATABASE_URL").unwrap_or_else(|| database_url.clone());
        check_url(
            "GATEHOUSE_MIGRATION_DATABASE_URL",
            &migration_database_url,
            &["postgres", "postgresql"],
        )?;
        let redis_url = required(&get, "REDIS_URL")?;
        check_url(
            "REDIS_URL",
            &redis_url,
            &["redis", "rediss", "redis+unix", "unix"],
        )?;

        let bind = parse_or(&get, "GATEHOUSE_BIND", "127.0.0.1:8080".parse().ok(), |v| {
            Ok(v.parse::<SocketAddr>()?)
        })?;
        let public_url = parse_or(
            &get,
            "GATEHOUSE_PUBLIC_URL",
            Url::parse("http://127.0.0.1:8080").ok(),
            |v| {
                let url = Url::parse(v)?;
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
            JwtAlgorithm::Hs256 => Some(secret(
                &get,
                "GATEHOUSE_JWT_SECRET",
                dev,
                "is required for HS256 (at least 32 bytes)",
                "ephemeral JWT secret generated; tokens will not survive a restart",
            )?),
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

        let password_grant = parse_or(&get, "GATEHOUSE_PASSWORD_GRANT", Some(true), |v| match v {
            "on" => Ok(true),
            "off" => Ok(false),
            _ => Err("must be on or off".into()),
        })?;

        let cookie_samesite = parse_or(
            &get,
            "GATEHOUSE_COOKIE_SAMESITE",
            Some(CookieSameSite::Strict),
            |v| match v {
                "strict" => Ok(CookieSameSite::Strict),
                "lax" => Ok(CookieSameSite::Lax),
                "none" => Ok(CookieSameSite::None),
                _ => Err("must be strict, lax or none".into()),
            },
        )?;
        if cookie_samesite == CookieSameSite::None && public_url.scheme() != "https" {
            return Err(invalid(
                "GATEHOUSE_COOKIE_SAMESITE",
                "none needs an https GATEHOUSE_PUBLIC_URL (SameSite=None cookies must be Secure)",
            ));
        }

        let smtp_url = get("GATEHOUSE_SMTP_URL");
        if let Some(url) = &smtp_url {
            check_url("GATEHOUSE_SMTP_URL", url, &["smtp", "smtps"])?;
        }
        let mail_from = get("GATEHOUSE_MAIL_FROM").unwrap_or_else(|| {
            format!(
                "Gatehouse <no-reply@{}>",
                public_url.host_str().unwrap_or("localhost")
            )
        });
        if mail_from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(invalid(
                "GATEHOUSE_MAIL_FROM",
                "is not a mailbox (`Name <address>` or an address)",
            ));
        }
        let product_name = get("GATEHOUSE_PRODUCT_NAME").unwrap_or_else(|| "Gatehouse".into());
        let app_url = get("GATEHOUSE_APP_URL")
            .map(|v| {
                Url::parse(&v)
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https"))
                    .ok_or_else(|| invalid("GATEHOUSE_APP_URL", "must be an http(s) URL"))
            })
            .transpose()?;

        let data_key = secret(
            &get,
            "GATEHOUSE_DATA_KEY",
            dev,
            "is required (at least 32 random bytes)",
            "ephemeral data key generated; anything it protects will not survive a restart",
        )?;

        let bounded = |name: &'static str,
                       default: u64,
                       (min, max): (u64, u64),
                       unit: &str|
         -> Result<u64, ConfigError> {
            let value = parse_or(&get, name, Some(default), |v| Ok(v.parse::<u64>()?))?;
            if !(min..=max).contains(&value) {
                return Err(invalid(
                    name,
                    format!("must be between {min} and {max} {unit}"),
                ));
            }
            Ok(value)
        };
        let bounded_secs = |name: &'static str, default: u64, bounds: (u64, u64)| {
            bounded(name, default, bounds, "seconds").map(Duration::from_secs)
        };
        let bounded_ms = |name: &'static str, default: u64, bounds: (u64, u64)| {
            bounded(name, default, bounds, "milliseconds").map(Duration::from_millis)
        };
        let positive = |name: &'static str, default: u64| -> Result<u64, ConfigError> {
            let value = parse_or(&get, name, Some(default), |v| Ok(v.parse::<u64>()?))?;
            if value == 0 {
                return Err(invalid(name, "must be greater than 0"));
            }
            Ok(value)
        };
        // Bounds (SPEC §8): an access token cannot be revoked by its signature alone, so it
        // lives at most an hour; a reuse grace is a window in which a stolen refresh token
        // replays unnoticed, so it is a minute at most.
        let access_ttl = bounded_secs("GATEHOUSE_ACCESS_TTL", 900, (60, 3_600))?;
        let refresh_ttl = bounded_secs("GATEHOUSE_REFRESH_TTL", 1_209_600, (60, 90 * DAY))?;
        let session_max_age =
            bounded_secs("GATEHOUSE_SESSION_MAX_AGE", 2_592_000, (60, 365 * DAY))?;
        let refresh_reuse_grace = bounded_secs("GATEHOUSE_REFRESH_REUSE_GRACE", 2, (0, 60))?;

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
        let hash_max_wait = bounded_ms("GATEHOUSE_HASH_MAX_WAIT_MS", 1_000, (1, 60_000))?;

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
        // The lock doubles up to 15 minutes: a first lock longer than that is a typo.
        let lockout_base = bounded_secs("GATEHOUSE_LOCKOUT_BASE_SECS", 30, (1, 900))?;
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
        let hsts_secs = bounded("GATEHOUSE_HSTS_SECS", 0, (0, 2 * 365 * DAY), "seconds")?;
        let dependency_timeout = bounded_ms("GATEHOUSE_DEPENDENCY_TIMEOUT_MS", 3_000, (1, 60_000))?;
        let db_pool_size = positive("GATEHOUSE_DB_POOL_SIZE", 16)? as usize;
        let http_workers = positive("GATEHOUSE_HTTP_WORKERS", cores)? as usize;
        // A cached API key outlives a change to its creator's grants by at most this long.
        let api_key_cache = bounded_secs("GATEHOUSE_API_KEY_CACHE_SECS", 30, (1, 300))?;
        let api_key_touch = bounded_secs("GATEHOUSE_API_KEY_TOUCH_SECS", 60, (1, 3_600))?;
        let revocation_max_lag = bounded_ms("GATEHOUSE_REVOCATION_MAX_LAG_MS", 1_000, (0, 60_000))?;

        Ok(Self {
            database_url: SecretString::from(database_url),
            migration_database_url: SecretString::from(migration_database_url),
            redis_url: SecretString::from(redis_url),
            bind,
            public_url,
            audience,
            jwt_alg,
            jwt_secret,
            jwt_key_dir,
            password_grant,
            cookie_samesite,
            smtp_url: smtp_url.map(SecretString::from),
            mail_from,
            product_name,
            app_url,
            data_key,
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

    pub fn migration_database_url(&self) -> &str {
        self.migration_database_url.expose_secret()
    }
}

const DAY: u64 = 86_400;

/// Shortest secret accepted (`GATEHOUSE_JWT_SECRET`, `GATEHOUSE_DATA_KEY`).
const MIN_SECRET_BYTES: usize = 32;
/// Least estimated entropy of a secret outside development mode.
const MIN_SECRET_BITS: f64 = 128.0;

/// A secret of at least 32 bytes. Outside development mode it is required and refused when
/// it looks like a placeholder ([`placeholder`]); in development mode a missing one is
/// generated (32 random bytes) for this process only, and said so loudly.
fn secret(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    dev: bool,
    missing: &'static str,
    ephemeral_warning: &'static str,
) -> Result<SecretBox<Vec<u8>>, ConfigError> {
    match get(name) {
        Some(value) if value.len() < MIN_SECRET_BYTES => {
            Err(invalid(name, "must be at least 32 bytes"))
        }
        // The refusal never echoes the value.
        Some(value) => match placeholder(value.as_bytes()) {
            Some(why) if !dev => Err(invalid(
                name,
                format!(
                    "looks like a placeholder ({why}); use at least 32 random bytes, \
                     e.g. `openssl rand -base64 48`"
                ),
            )),
            _ => Ok(SecretBox::new(Box::new(value.into_bytes()))),
        },
        None if dev => {
            let mut bytes = vec![0u8; MIN_SECRET_BYTES];
            auth::random::fill(&mut bytes);
            tracing::warn!(
                "GATEHOUSE_DEV=1 and no {name}: {ephemeral_warning}. Never run production like this."
            );
            eprintln!("WARNING: GATEHOUSE_DEV=1: {ephemeral_warning} ({name} is unset)");
            Ok(SecretBox::new(Box::new(bytes)))
        }
        None => Err(invalid(name, missing)),
    }
}

/// Why `secret` looks like a placeholder rather than random bytes, if it does:
/// - it starts with `change-me` / `changeme` (any case, `-`/`_` ignored), the shape of the
///   values that example files ship;
/// - it is one character repeated;
/// - its estimated entropy is under 128 bits. The estimate is the Shannon entropy of the
///   value's own byte frequencies times its length: 32 random bytes in base64 (43+ chars)
///   or hex (64 chars) score well above 128, a word or a short pattern repeated scores
///   below. It catches typed placeholders; it cannot prove a value random.
fn placeholder(secret: &[u8]) -> Option<&'static str> {
    let normalized: Vec<u8> = secret
        .iter()
        .filter(|b| !matches!(b, b'-' | b'_'))
        .map(u8::to_ascii_lowercase)
        .collect();
    if normalized.starts_with(b"changeme") {
        return Some("it starts with change-me");
    }
    if secret.windows(2).all(|pair| pair[0] == pair[1]) {
        return Some("one repeated character");
    }
    if estimated_entropy_bits(secret) < MIN_SECRET_BITS {
        return Some("less than 128 bits of estimated entropy");
    }
    None
}

fn estimated_entropy_bits(bytes: &[u8]) -> f64 {
    let mut counts = [0usize; 256];
    for &b in bytes {
        counts[usize::from(b)] += 1;
    }
    let len = bytes.len() as f64;
    let per_symbol: f64 = counts
        .iter()
        .filter(|&&n| n > 0)
        .map(|&n| {
            let p = n as f64 / len;
            -p * p.log2()
        })
        .sum();
    per_symbol * len
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
    parse: impl Fn(&str) -> Result<T, Box<dyn std::error::Error>>,
) -> Result<T, ConfigError> {
    match get(name) {
        // The operator reads the parser's own words: "invalid digit found in string".
        Some(value) => parse(value.trim()).map_err(|cause| invalid(name, cause.to_string())),
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
