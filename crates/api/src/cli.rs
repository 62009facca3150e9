//! Operator commands of the `gatehouse` binary beyond `serve`.

pub use crate::client_registration::ClientSpec;
use crate::client_registration::Registration;
use crate::config::Config;
use auth::password::{HashParams, PasswordHasherPool};
use auth::revocation::Affected;
use domain::{BuiltinRole, DisplayName, Email, NewPassword, Slug, TenantId, TenantName, UserId};
use domain::{ClientType, RefreshDelivery};
use persistence::repo::oauth_clients;
use persistence::repo::{memberships, roles, tenants, users};
use persistence::{Mode, PersistenceError, TenantTx, Tx};
use persistence::{PgPool, PoolSettings};
use secrecy::SecretString;

/// Why an operator command failed; the causes are kept for the message.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("database: {0}")]
    Database(#[from] PersistenceError),
    #[error("redis or password hashing: {0}")]
    Auth(#[from] auth::AuthError),
    #[error("{0}")]
    Invalid(#[from] domain::ValidationError),
    #[error("{0}")]
    Refused(String),
}

fn pool(config: &Config) -> Result<PgPool, CliError> {
    persistence::build_pool(
        config.database_url(),
        &PoolSettings {
            max_size: 2,
            timeout: config.dependency_timeout,
        },
    )
    .map_err(CliError::from)
}

fn hasher(config: &Config) -> Result<PasswordHasherPool, CliError> {
    PasswordHasherPool::new(
        HashParams {
            memory_kib: config.argon2.memory_kib,
            iterations: config.argon2.iterations,
            parallelism: config.argon2.parallelism,
        },
        1,
        4,
    )
    .map_err(CliError::from)
}

/// Creates a user with `is_platform_admin` (or promotes an existing one).
pub async fn create_platform_admin(
    config: &Config,
    email: &str,
    password: &str,
    display_name: &str,
) -> Result<String, CliError> {
    let email = Email::parse(email)?;
    let display_name = DisplayName::parse(display_name)?;
    let db = pool(config)?;
    let lookup = email.clone();
    let tx = Tx::global(&db, Mode::ReadWrite).await?;
    if let Some(user) = users::find_by_email(&tx, &lookup).await? {
        users::set_platform_admin(&tx, user.id, true).await?;
        tx.commit().await?;
        return Ok(format!(
            "{email} already existed: now a platform admin (password unchanged)"
        ));
    }
    let password = NewPassword::parse(password, &[email.as_str(), display_name.as_str()])?;
    let hash = hasher(config)?
        .hash(SecretString::from(password.expose().to_owned()))
        .await?;
    users::insert(&tx, UserId::new(), &email, &display_name, &hash, true).await?;
    tx.commit().await?;
    Ok("platform admin created".into())
}

/// The demo tenant `demo` with one user per built-in role. Idempotent.
pub async fn seed_demo(config: &Config) -> Result<Vec<(String, String, &'static str)>, CliError> {
    let db = pool(config)?;
    seed_clients(config, &db).await?;
    let hasher = hasher(config)?;
    let slug = Slug::parse("demo")?;
    let found = tenants::find_by_slug(&Tx::global(&db, Mode::ReadOnly).await?, "demo").await?;
    let tenant = match found {
        Some(t) => t.id,
        None => {
            let id = TenantId::new();
            let name = TenantName::parse("Demo Inc")?;
            let tx = TenantTx::begin(&db, id, Mode::ReadWrite).await?;
            tenants::insert(&tx, id, &slug, &name).await?;
            roles::create_builtins(&tx).await?;
            tx.commit().await?;
            id
        }
    };
    let mut credentials = Vec::new();
    for role in BuiltinRole::ALL {
        let email = Email::parse(&format!("{}@demo.gatehouse.test", role.name()))?;
        let password = format!("Demo {} passphrase for Gatehouse!", role.name());
        credentials.push((email.to_string(), password.clone(), role.name()));
        let lookup = email.clone();
        let exists = users::find_by_email(&Tx::global(&db, Mode::ReadOnly).await?, &lookup)
            .await?
            .is_some();
        if exists {
            continue;
        }
        let display_name = DisplayName::parse(&format!("Demo {}", role.name()))?;
        let checked = NewPassword::parse(&password, &[])?;
        let hash = hasher
            .hash(SecretString::from(checked.expose().to_owned()))
            .await?;
        let tx = TenantTx::begin(&db, tenant, Mode::ReadWrite).await?;
        let user = UserId::new();
        users::insert(&tx, user, &email, &display_name, &hash, false).await?;
        let role = roles::find_by_name(&tx, role.name())
            .await?
            .ok_or(PersistenceError::NotFound)?;
        memberships::insert(&tx, user, &[role.id]).await?;
        tx.commit().await?;
    }
    Ok(credentials)
}

/// The mean wall time of one hash with the configured parameters, on one thread.
pub async fn hash_cost(config: &Config, rounds: u32) -> Result<std::time::Duration, CliError> {
    let pool = hasher(config)?;
    // One warm-up, then the measured rounds, one at a time.
    pool.hash(SecretString::from("warm-up".to_owned())).await?;
    let started = std::time::Instant::now();
    for _ in 0..rounds.max(1) {
        pool.hash(SecretString::from("calibration password".to_owned()))
            .await?;
    }
    Ok(started.elapsed() / rounds.max(1))
}

/// Disables (or re-enables) a user everywhere: a disabled user cannot log in, refresh, or
/// use any token already issued (their sessions are revoked and a "not before" mark set).
pub async fn set_user_disabled(
    config: &Config,
    email: &str,
    disabled: bool,
) -> Result<String, CliError> {
    let email = Email::parse(email)?;
    let db = pool(config)?;
    let lookup = email.clone();
    let user = users::find_by_email(&Tx::global(&db, Mode::ReadOnly).await?, &lookup)
        .await?
        .ok_or_else(|| CliError::Refused(format!("no user {email}")))?;
    let id = user.id;
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
        )?;
        // The revocations below wait for every serving instance to apply them.
        let revocations = config.revocation_writer(redis.clone());
        revocations.before_commit(&[Affected::User(id)]).await?;
        Some((redis, revocations))
    } else {
        None
    };
    let tx = Tx::global(&db, Mode::ReadWrite).await?;
    users::set_status(&tx, id, status).await?;
    tx.commit().await?;
    if let Some((redis, revocations)) = revocations {
        let sessions = auth::sessions::SessionStore::new(
            redis,
            config.session_settings(),
            revocations.clone(),
        );
        sessions.revoke_all(id, None).await?;
        revocations.mark(&[Affected::User(id)]).await?;
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

/// Queues a password reset request for `email`, exactly as `POST /api/v1/password/forgot`
/// does: the mail senders resolve it (a link for an active account, nothing otherwise).
pub async fn request_password_reset(config: &Config, email: &str) -> Result<(), CliError> {
    let email = Email::parse(email)?;
    let mailer = crate::mail::Mailer::new(config).map_err(|e| CliError::Refused(e.to_string()))?;
    let db = pool(config)?;
    let tx = Tx::global(&db, Mode::ReadWrite).await?;
    let mail = crate::mail::Mail::PasswordResetRequest {
        email: email.as_str().to_owned(),
    };
    mailer
        .enqueue(&tx, email.as_str(), &mail)
        .await
        .map_err(|e| CliError::Refused(e.to_string()))?;
    Ok(tx.commit().await?)
}

/// Registers an OAuth client; returns a confidential client's secret (shown once).
pub async fn create_client(config: &Config, spec: &ClientSpec) -> Result<Option<String>, CliError> {
    let registration = Registration::parse(spec)?;
    let db = pool(config)?;
    let tx = Tx::global(&db, Mode::ReadWrite).await?;
    match oauth_clients::insert(&tx, &registration.new_client()).await {
        Err(PersistenceError::Conflict(_)) => Err(CliError::Refused(format!(
            "a client `{}` exists already",
            spec.client_id
        ))),
        other => {
            other?;
            tx.commit().await?;
            Ok(registration.into_secret())
        }
    }
}

/// The two clients of a development set-up (SPEC §11): Swagger UI's, and the demo SPA's.
/// Registered unless present.
async fn seed_clients(config: &Config, db: &PgPool) -> Result<(), CliError> {
    let public_url = config.issuer();
    let demo_spa = "http://127.0.0.1:5173";
    let specs = [
        ClientSpec {
            client_id: "swagger".into(),
            name: "Swagger UI".into(),
            client_type: ClientType::Public,
            redirect_uris: vec![format!("{public_url}/docs/oauth2-redirect.html")],
            allowed_origins: vec![public_url.clone()],
            refresh_delivery: RefreshDelivery::Body,
            first_party: true,
            post_logout_redirect_uris: vec![],
        },
        ClientSpec {
            client_id: "demo-spa".into(),
            name: "Demo SPA".into(),
            client_type: ClientType::Public,
            redirect_uris: vec![format!("{demo_spa}/callback")],
            allowed_origins: vec![demo_spa.into()],
            refresh_delivery: RefreshDelivery::Cookie,
            first_party: true,
            post_logout_redirect_uris: vec![format!("{demo_spa}/")],
        },
    ];
    let tx = Tx::global(db, Mode::ReadWrite).await?;
    for spec in &specs {
        let registration = Registration::parse(spec)?;
        oauth_clients::insert_if_absent(&tx, &registration.new_client()).await?;
    }
    Ok(tx.commit().await?)
}
