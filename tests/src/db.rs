//! Per-test databases, cloned from a template migrated once per migration set.
//!
//! Two roles, as in production (README, "Database roles"): the owner
//! (`GATEHOUSE_MIGRATION_DATABASE_URL`, default `DATABASE_URL`) migrates the template and
//! creates every database, so it owns them and their tables (a test-only member of it drops
//! them: `reaper_base_url`); the app and the helpers below connect as the application role
//! (`DATABASE_URL`), which owns nothing.

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use sha2::{Digest, Sha256};
use std::path::Path;
use url::Url;

pub fn base_url() -> String {
    std::env::var("DATABASE_URL")
        .expect("DATABASE_URL must be set: run the tests with scripts/test")
}

/// The owner role's URL (`GATEHOUSE_MIGRATION_DATABASE_URL`, default `DATABASE_URL`).
pub fn owner_base_url() -> String {
    std::env::var("GATEHOUSE_MIGRATION_DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(base_url)
}

/// The role that drops test databases: it owns them (member of the owner) and may end the
/// application role's connections to them (`pg_signal_backend`); scripts/test creates it.
/// Without it, the owner tries (and fails if the app is still connected).
fn reaper_base_url() -> String {
    std::env::var("GATEHOUSE_TEST_REAPER_DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(owner_base_url)
}

pub fn redis_url() -> String {
    std::env::var("REDIS_URL").expect("REDIS_URL must be set: run the tests with scripts/test")
}

/// `DATABASE_URL` (the application role) with another database name.
pub fn url_for(database: &str) -> String {
    with_database(&base_url(), database)
}

/// The owner role's URL with another database name.
pub fn owner_url_for(database: &str) -> String {
    with_database(&owner_base_url(), database)
}

fn with_database(base: &str, database: &str) -> String {
    let mut url = Url::parse(base).expect("database URLs are URLs");
    url.set_path(&format!("/{database}"));
    url.to_string()
}

/// The template's name changes whenever a migration does: a stale template is never used.
fn template_name() -> String {
    let mut hasher = Sha256::new();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
    let mut entries: Vec<_> = walk(&dir);
    entries.sort();
    for path in entries {
        hasher.update(
            path.strip_prefix(&dir)
                .unwrap()
                .to_string_lossy()
                .as_bytes(),
        );
        hasher.update(std::fs::read(&path).unwrap());
    }
    let digest = hasher.finalize();
    let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("gatehouse_tpl_{hex}")
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// The owner role: it creates, clones and drops the test databases.
async fn admin() -> AsyncPgConnection {
    AsyncPgConnection::establish(&owner_base_url())
        .await
        .expect("cannot connect as the owner role (GATEHOUSE_MIGRATION_DATABASE_URL)")
}

/// Creates (once, under an advisory lock shared by every test process) the migrated
/// template database, and returns its name.
async fn ensure_template() -> String {
    let name = template_name();
    let mut conn = admin().await;
    diesel::sql_query("SELECT pg_advisory_lock(727274)")
        .execute(&mut conn)
        .await
        .unwrap();
    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        #[allow(dead_code)]
        one: i32,
    }
    let exists = !diesel::sql_query(format!(
        "SELECT 1 AS one FROM pg_database WHERE datname = '{name}'"
    ))
    .load::<Found>(&mut conn)
    .await
    .unwrap()
    .is_empty();
    if !exists {
        // Build under a temporary name and rename: a half-migrated template never exists.
        let building = format!("{name}_building");
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
            .execute(&mut conn)
            .await
            .unwrap();
        diesel::sql_query(format!("CREATE DATABASE {building}"))
            .execute(&mut conn)
            .await
            .unwrap();
        persistence::migrate::run_pending(&owner_url_for(&building))
            .await
            .expect("migrations apply");
        diesel::sql_query(format!("ALTER DATABASE {building} RENAME TO {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    diesel::sql_query("SELECT pg_advisory_unlock(727274)")
        .execute(&mut conn)
        .await
        .unwrap();
    name
}

/// A database of one test; dropped (forcefully) when the value is.
pub struct TestDb {
    pub name: String,
    /// As the application role (what the app connects with).
    pub url: String,
    /// As the owner role (tests of what only the owner may do).
    pub owner_url: String,
}

impl TestDb {
    pub async fn create() -> Self {
        let template = ensure_template().await;
        let name = format!("gatehouse_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = admin().await;
        diesel::sql_query(format!("CREATE DATABASE {name} TEMPLATE {template}"))
            .execute(&mut conn)
            .await
            .unwrap();
        Self {
            url: url_for(&name),
            owner_url: owner_url_for(&name),
            name,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs inside the test's runtime: do the async work on a thread of its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                // A database left behind costs disk on every run after (thousands of them
                // once made PostgreSQL's crash recovery outlast its start timeout): say so.
                match AsyncPgConnection::establish(&reaper_base_url()).await {
                    Ok(mut conn) => {
                        let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                        if let Err(e) = diesel::sql_query(drop).execute(&mut conn).await {
                            eprintln!("warning: test database {name} not dropped: {e}");
                        }
                    }
                    Err(e) => eprintln!("warning: test database {name} not dropped: {e}"),
                }
            });
        })
        .join();
    }
}

/// The one text value `sql` selects (as `value`), read as the application role: tests
/// inspect what is stored of global rows.
pub async fn query_text(database_url: &str, sql: &str) -> String {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        value: String,
    }
    let mut conn = AsyncPgConnection::establish(database_url).await.unwrap();
    diesel::sql_query(format!("SELECT ({sql}) AS value"))
        .get_result::<Row>(&mut conn)
        .await
        .unwrap()
        .value
}

/// The stored password hash of `email` (tests inspect re-hashing).
pub async fn password_hash_of(database_url: &str, email: &str) -> String {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        password_hash: String,
    }
    let mut conn = AsyncPgConnection::establish(database_url).await.unwrap();
    diesel::sql_query("SELECT password_hash FROM users WHERE email = $1")
        .bind::<diesel::sql_types::Text, _>(email)
        .get_result::<Row>(&mut conn)
        .await
        .unwrap()
        .password_hash
}

/// Runs one statement as the application role inside `tenant`'s row-level-security
/// context (tests that need to age a row, e.g. expire an invitation).
pub async fn execute_in_tenant(database_url: &str, tenant: &str, sql: &str) {
    let mut conn = AsyncPgConnection::establish(database_url).await.unwrap();
    diesel::sql_query("SELECT set_config('app.tenant_id', $1, false)")
        .bind::<diesel::sql_types::Text, _>(tenant)
        .execute(&mut conn)
        .await
        .unwrap();
    let rows = diesel::sql_query(sql).execute(&mut conn).await.unwrap();
    assert!(rows > 0, "{sql} changed nothing");
}
