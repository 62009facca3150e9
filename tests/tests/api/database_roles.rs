//! Two database roles (SPEC §8): the owner migrates, the application role serves and can
//! change rows but not the schema, and `serve` refuses a role row-level security does not
//! bind. Every other test already runs the app as the application role.

use api::startup::{StartupError, check_database_role, judge_database_role};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use gatehouse_tests::app::TestApp;
use persistence::database_role::DatabaseRole;

const ROLES_UP: &str = include_str!("../../../migrations/2026-12-03-000001_database_roles/up.sql");
const ROLES_DOWN: &str =
    include_str!("../../../migrations/2026-12-03-000001_database_roles/down.sql");

fn config_with(app: &TestApp, database_url: &str) -> api::Config {
    let mut env = app.env.clone();
    env.insert("DATABASE_URL".into(), database_url.into());
    api::Config::from_lookup(|name| env.get(name).cloned()).unwrap()
}

async fn connect(url: &str) -> AsyncPgConnection {
    AsyncPgConnection::establish(url).await.unwrap()
}

/// The error PostgreSQL answers `sql` with, as the connected role.
async fn refusal(conn: &mut AsyncPgConnection, sql: &str) -> String {
    match conn.batch_execute(sql).await {
        Ok(()) => panic!("`{sql}` was allowed"),
        Err(error) => error.to_string(),
    }
}

#[tokio::test]
async fn the_app_serves_as_a_role_that_owns_nothing() {
    let app = TestApp::spawn().await;
    let role = check_database_role(&config_with(&app, &app.db.url))
        .await
        .unwrap();
    assert!(!role.superuser && !role.bypass_rls);
    assert_eq!(role.owned_tables, Vec::<String>::new());
}

#[tokio::test]
async fn a_role_with_bypassrls_is_refused() {
    let app = TestApp::spawn().await;
    let mut url = url::Url::parse(
        &std::env::var("GATEHOUSE_TEST_BYPASSRLS_DATABASE_URL")
            .expect("GATEHOUSE_TEST_BYPASSRLS_DATABASE_URL: run the tests with scripts/test"),
    )
    .unwrap();
    url.set_path(&format!("/{}", app.db.name));
    let error = check_database_role(&config_with(&app, url.as_str()))
        .await
        .expect_err("a BYPASSRLS role is refused");
    assert!(
        matches!(error, StartupError::UnsafeDatabaseRole { .. }),
        "{error}"
    );
    let message = error.to_string();
    assert!(message.contains("BYPASSRLS"), "{message}");
    assert!(message.contains("gatehouse_probe_bypassrls"), "{message}");
}

/// Only a superuser can create a superuser, and the tests hold no superuser credentials:
/// the rule is proven on the facts the check reads.
#[test]
fn a_superuser_is_refused() {
    let role = DatabaseRole {
        name: "postgres".into(),
        superuser: true,
        bypass_rls: false,
        owned_tables: vec![],
    };
    let message = judge_database_role(&role).unwrap_err().to_string();
    assert!(message.contains("`postgres`"), "{message}");
    assert!(message.contains("superuser"), "{message}");
    assert!(message.contains("row-level security"), "{message}");
}

#[tokio::test]
async fn the_owner_role_is_served_with_a_warning() {
    let app = TestApp::spawn().await;
    let role = check_database_role(&config_with(&app, &app.db.owner_url))
        .await
        .unwrap();
    assert!(role.owned_tables.iter().any(|t| t == "tenants"));
    assert!(
        gatehouse_tests::logs::captured().contains("owns the tables it serves"),
        "no warning logged"
    );
}

#[tokio::test]
async fn the_app_role_cannot_alter_drop_or_unprotect_a_table() {
    let app = TestApp::spawn().await;
    let mut conn = connect(&app.db.url).await;
    for sql in [
        "ALTER TABLE projects ADD COLUMN smuggled text",
        "ALTER TABLE projects DISABLE ROW LEVEL SECURITY",
        "ALTER TABLE projects NO FORCE ROW LEVEL SECURITY",
        "DROP POLICY tenant_isolation ON projects",
        "DROP TABLE projects",
        "TRUNCATE audit_events",
        "CREATE TABLE smuggled (id int)",
        "DELETE FROM __diesel_schema_migrations",
    ] {
        let error = refusal(&mut conn, sql).await;
        assert!(
            error.contains("must be owner") || error.contains("permission denied"),
            "`{sql}`: {error}"
        );
    }
    // What it may do: read and write rows (RLS still decides which).
    conn.batch_execute("SELECT count(*) FROM projects; SELECT count(*) FROM users")
        .await
        .unwrap();
    // The owner may do what the app role may not.
    let mut owner = connect(&app.db.owner_url).await;
    owner
        .batch_execute("BEGIN; ALTER TABLE projects NO FORCE ROW LEVEL SECURITY; ROLLBACK;")
        .await
        .unwrap();
}

#[tokio::test]
async fn tables_a_later_migration_creates_are_granted_to_the_app_role() {
    let app = TestApp::spawn().await;
    let mut owner = connect(&app.db.owner_url).await;
    owner
        .batch_execute("CREATE TABLE later_feature (id bigserial PRIMARY KEY, note text)")
        .await
        .unwrap();
    let mut conn = connect(&app.db.url).await;
    let inserted = diesel::sql_query("INSERT INTO later_feature (note) VALUES ('granted')")
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(inserted, 1);
    let error = refusal(&mut conn, "DROP TABLE later_feature").await;
    assert!(error.contains("must be owner"), "{error}");
}

#[tokio::test]
async fn the_roles_migration_reverts_and_reapplies_as_the_owner() {
    let app = TestApp::spawn().await;
    // Migrating as the owner: the template was built so; a second run has nothing to do.
    assert_eq!(
        persistence::migrate::run_pending(&app.db.owner_url)
            .await
            .unwrap(),
        Vec::<String>::new()
    );
    let mut owner = connect(&app.db.owner_url).await;
    owner.batch_execute(ROLES_DOWN).await.unwrap();
    let mut conn = connect(&app.db.url).await;
    let error = refusal(&mut conn, "SELECT count(*) FROM users").await;
    assert!(error.contains("permission denied"), "{error}");
    drop(conn);

    owner.batch_execute(ROLES_UP).await.unwrap();
    let mut conn = connect(&app.db.url).await;
    conn.batch_execute("SELECT count(*) FROM users")
        .await
        .unwrap();
}
