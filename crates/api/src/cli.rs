//! Operator commands of the `gatehouse` binary beyond `serve`.

use crate::config::Config;
use auth::password::{HashParams, PasswordHasherPool};
use auth::revocation::Affected;
use domain::{BuiltinRole, DisplayName, Email, NewPassword, Slug, TenantId, TenantName, UserId};
use persistence::repo::{memberships, roles, tenants, users};
use persistence::{PgPool, PoolSettings};
use secrecy::SecretString;

fn pool(config: &Config) -> Result<PgPool, String> {
    persistence::build_pool(
        config.database_url(),
        &PoolSettings {
            max_size: 2,
            timeout: config.dependency_timeout,
        },
    )
    .map_err(|e| e.to_string())
}

fn hasher(config: &Config) -> Result<PasswordHasherPool, String> {
    PasswordHasherPool::new(
        HashParams {
            memory_kib: config.argon2.memory_kib,
            iterations: config.argon2.iterations,
            parallelism: config.argon2.parallelism,
        },
        1,
        4,
    )
    .map_err(|e| e.to_string())
}

/// Creates a user with `is_platform_admin` (or promotes an existing one).
pub async fn create_platform_admin(
    config: &Config,
    email: &str,
    password: &str,
    display_name: &str,
) -> Result<String, String> {
    let email = Email::parse(email).map_err(|e| e.to_string())?;
    let display_name = DisplayName::parse(display_name).map_err(|e| e.to_string())?;
    let db = pool(config)?;
    let lookup = email.clone();
    let existing = persistence::global(&db, move |conn| {
        Box::pin(async move { users::find_by_email(conn, &lookup).await })
    })
    .await
    .map_err(|e| e.to_string())?;
    if let Some(user) = existing {
        let id = UserId(user.id);
        persistence::global(&db, move |conn| {
            Box::pin(users::set_platform_admin(conn, id, true))
        })
        .await
        .map_err(|e| e.to_string())?;
        return Ok(format!(
            "{email} already existed: now a platform admin (password unchanged)"
        ));
    }
    let password = NewPassword::parse(password, &[email.as_str(), display_name.as_str()])
        .map_err(|e| e.to_string())?;
    let hash = hasher(config)?
        .hash(SecretString::from(password.expose().to_owned()))
        .await
        .map_err(|e| e.to_string())?;
    persistence::global(&db, move |conn| {
        Box::pin(async move {
            users::insert(conn, UserId::new(), &email, &display_name, &hash, true)
                .await
                .map(|_| ())
        })
    })
    .await
    .map_err(|e| e.to_string())?;
    Ok("platform admin created".into())
}

/// The demo tenant `demo` with one user per built-in role. Idempotent.
pub async fn seed_demo(config: &Config) -> Result<Vec<(String, String, &'static str)>, String> {
    let db = pool(config)?;
    let hasher = hasher(config)?;
    let slug = Slug::parse("demo").map_err(|e| e.to_string())?;
    let found = persistence::global(&db, |conn| Box::pin(tenants::find_by_slug(conn, "demo")))
        .await
        .map_err(|e| e.to_string())?;
    let tenant = match found {
        Some(t) => TenantId(t.id),
        None => {
            let id = TenantId::new();
            let name = TenantName::parse("Demo Inc").map_err(|e| e.to_string())?;
            persistence::in_tenant(&db, id, move |conn| {
                Box::pin(async move {
                    tenants::insert(conn, id, &slug, &name).await?;
                    roles::create_builtins(conn, id).await.map(|_| ())
                })
            })
            .await
            .map_err(|e| e.to_string())?;
            id
        }
    };
    let mut credentials = Vec::new();
    for role in BuiltinRole::ALL {
        let email = Email::parse(&format!("{}@demo.gatehouse.test", role.name()))
            .map_err(|e| e.to_string())?;
        let password = format!("Demo {} passphrase for Gatehouse!", role.name());
        credentials.push((email.to_string(), password.clone(), role.name()));
        let lookup = email.clone();
        let exists = persistence::global(&db, move |conn| {
            Box::pin(async move { users::find_by_email(conn, &lookup).await })
        })
        .await
        .map_err(|e| e.to_string())?
        .is_some();
        if exists {
            continue;
        }
        let display_name =
            DisplayName::parse(&format!("Demo {}", role.name())).map_err(|e| e.to_string())?;
        let checked = NewPassword::parse(&password, &[]).map_err(|e| e.to_string())?;
        let hash = hasher
            .hash(SecretString::from(checked.expose().to_owned()))
            .await
            .map_err(|e| e.to_string())?;
        persistence::in_tenant(&db, tenant, move |conn| {
            Box::pin(async move {
                let user = UserId::new();
                users::insert(conn, user, &email, &display_name, &hash, false).await?;
                let role = roles::find_by_name(conn, tenant, role.name())
                    .await?
                    .ok_or(persistence::PersistenceError::NotFound)?;
                memberships::insert(conn, tenant, user, &[domain::RoleId(role.id)]).await
            })
        })
        .await
        .map_err(|e| e.to_string())?;
    }
    Ok(credentials)
}

/// The mean wall time of one hash with the configured parameters, on one thread.
pub async fn hash_cost(config: &Config, rounds: u32) -> Result<std::time::Duration, String> {
    let pool = hasher(config)?;
    // One warm-up, then the measured rounds, one at a time.
    pool.hash(SecretString::from("warm-up".to_owned()))
        .await
        .map_err(|e| e.to_string())?;
    let started = std::time::Instant::now();
    for _ in 0..rounds.max(1) {
        pool.hash(SecretString::from("calibration password".to_owned()))
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(started.elapsed() / rounds.max(1))
}

/// Disables (or re-enables) a user everywhere: a disabled user cannot log in, refresh, or
/// use any token already issued (their sessions are revoked and a "not before" mark set).
pub async fn set_user_disabled(
    config: &Config,
    email: &str,
    disabled: bool,
) -> Result<String, String> {
    let email = Email::parse(email).map_err(|e| e.to_string())?;
    let db = pool(config)?;
    let lookup = email.clone();
    let user = persistence::global(&db, move |conn| {
        Box::pin(async move { users::find_by_email(conn, &lookup).await })
    })
    .await
    .map_err(|e| e.to_string())?
    .ok_or_else(|| format!("no user {email}"))?;
    let id = UserId(user.id);
    let status = if disabled {
        domain::UserStatus::Disabled
    } else {
        domain::UserStatus::Active
    };
    // Disabling: the user's tokens are marked before the change and again after it (SPEC
    // §8), so no crash in between leaves a disabled user's tokens standing.
    let revocations = if disabled {
        use secrecy::ExposeSecret;
        let redis = auth::RedisStore::connect(
            config.redis_url.expose_secret(),
            &config.redis_prefix,
            config.dependency_timeout,
        )
        .map_err(|e| e.to_string())?;
        // The revocations below wait for every serving instance to apply them.
        let revocations = config.revocation_writer(redis.clone());
        revocations
            .before_commit(&[Affected::User(id)])
            .await
            .map_err(|e| e.to_string())?;
        Some((redis, revocations))
    } else {
        None
    };
    persistence::global(&db, move |conn| {
        Box::pin(users::set_status(conn, id, status))
    })
    .await
    .map_err(|e| e.to_string())?;
    if let Some((redis, revocations)) = revocations {
        let sessions = auth::sessions::SessionStore::new(
            redis,
            config.session_settings(),
            revocations.clone(),
        );
        sessions
            .revoke_all(id, None)
            .await
            .map_err(|e| e.to_string())?;
        revocations
            .mark(&[Affected::User(id)])
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(format!(
        "{email} {}",
        if disabled {
            "disabled; every session and token revoked"
        } else {
            "enabled"
        }
    ))
}
