//! Row-level security, proven on the database itself: a query with no `WHERE tenant_id`
//! sees only the current tenant's rows, and the application role cannot bypass it. Also the
//! unit of work's own promises: rollback on drop, no context left behind, read-only reads.

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Bool};
use diesel_async::RunQueryDsl;
use domain::{
    ApiKeyName, Description, DisplayName, Email, ProjectName, ScopeSet, Slug, TaskTitle, TenantId,
    TenantName, UserId,
};
use gatehouse_tests::db::TestDb;
use persistence::{Mode, PersistenceError, PgPool, PoolSettings, TenantTx, Tx, build_pool, repo};

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

async fn count_in(tx: &Tx, table: &str) -> Result<i64, PersistenceError> {
    Ok(
        diesel::sql_query(format!("SELECT count(*) AS n FROM {table}"))
            .get_result::<Count>(&mut tx.conn())
            .await?
            .n,
    )
}

async fn count(pool: &PgPool, tenant: Option<TenantId>, table: &str) -> i64 {
    match tenant {
        Some(tenant) => {
            let tx = TenantTx::begin(pool, tenant, Mode::ReadOnly).await.unwrap();
            count_in(&tx, table).await.unwrap()
        }
        None => {
            let tx = Tx::global(pool, Mode::ReadOnly).await.unwrap();
            count_in(&tx, table).await.unwrap()
        }
    }
}

/// A tenant with one row in every tenant-owned table.
async fn create_tenant(pool: &PgPool, slug: &str) -> TenantId {
    let id = TenantId::new();
    let slug = Slug::parse(slug).unwrap();
    let tx = TenantTx::begin(pool, id, Mode::ReadWrite).await.unwrap();
    let owner = UserId::new();
    let email = Email::parse(&format!("owner@{}.example", slug.as_str())).unwrap();
    let name = DisplayName::parse("Owner").unwrap();
    repo::users::insert(&tx, owner, &email, &name, "x", false)
        .await
        .unwrap();
    repo::tenants::create_with_owner(&tx, &slug, &TenantName::parse("Tenant").unwrap(), owner)
        .await
        .unwrap();
    let record = repo::audit::AuditRecord {
        actor_id: None,
        action: domain::Action::TenantCreated,
        target: domain::Target::Tenant(id),
        ip: None,
        user_agent: None,
        details: serde_json::Value::Null,
    };
    repo::audit::record(&tx, record).await.unwrap();
    let invitee = Email::parse("invitee@example.com").unwrap();
    let expires = chrono::Utc::now() + chrono::Duration::days(1);
    repo::invitations::insert(&tx, &invitee, &[], format!("hash-{id}"), expires, owner)
        .await
        .unwrap();
    let project = repo::projects::insert(
        &tx,
        &ProjectName::parse("P").unwrap(),
        &Description::default(),
        owner,
    )
    .await
    .unwrap();
    let title = TaskTitle::parse("T").unwrap();
    repo::projects::insert_task(&tx, project.id, &title, owner)
        .await
        .unwrap();
    let generated = auth::api_key::ApiKeyCodec::new(&[7; 32]).generate();
    let key_name = ApiKeyName::parse("k").unwrap();
    let spec = repo::api_keys::KeySpec {
        key_id: &generated.key_id,
        secret_hash: "h",
        name: &key_name,
        scopes: ScopeSet::EMPTY,
        created_by: owner,
        expires_at: None,
    };
    repo::api_keys::insert(&tx, spec).await.unwrap();
    tx.commit().await.unwrap();
    id
}

fn expected(table: &str) -> i64 {
    if table == "roles" { 4 } else { 1 }
}

#[tokio::test]
async fn rows_of_other_tenants_are_invisible_without_a_where_clause() {
    let db = TestDb::create().await;
    let pool = build_pool(&db.url, &PoolSettings::default()).unwrap();
    let acme = create_tenant(&pool, "acme").await;
    let globex = create_tenant(&pool, "globex").await;

    for table in [
        "roles",
        "memberships",
        "membership_roles",
        "audit_events",
        "invitations",
        "projects",
        "tasks",
    ] {
        assert_eq!(
            count(&pool, Some(acme), table).await,
            expected(table),
            "{table} in acme"
        );
        assert_eq!(
            count(&pool, Some(globex), table).await,
            expected(table),
            "{table} in globex"
        );
        assert_eq!(
            count(&pool, None, table).await,
            0,
            "{table} without a tenant"
        );
    }
    // Global tables are not tenant-owned.
    assert_eq!(count(&pool, None, "tenants").await, 2);
    assert_eq!(count(&pool, None, "users").await, 2);
}

#[tokio::test]
async fn a_tenant_cannot_write_rows_into_another_tenant() {
    let db = TestDb::create().await;
    let pool = build_pool(&db.url, &PoolSettings::default()).unwrap();
    let acme = create_tenant(&pool, "acme").await;
    let globex = create_tenant(&pool, "globex").await;
    let tx = TenantTx::begin(&pool, acme, Mode::ReadWrite).await.unwrap();
    let sql = format!(
        "INSERT INTO roles (id, tenant_id, name, description, permissions, builtin) \
         VALUES ('{}', '{}', 'smuggled', '', '{{}}', false)",
        uuid::Uuid::now_v7(),
        globex
    );
    let result = diesel::sql_query(sql).execute(&mut tx.conn()).await;
    assert!(
        result.is_err(),
        "WITH CHECK must refuse a row of another tenant"
    );
    assert!(
        matches!(tx.commit().await, Err(PersistenceError::Aborted)),
        "a transaction with a failed statement cannot commit"
    );
    assert_eq!(count(&pool, Some(globex), "roles").await, 4);
}

#[derive(QueryableByName)]
struct RoleFlags {
    #[diesel(sql_type = Bool)]
    rolsuper: bool,
    #[diesel(sql_type = Bool)]
    rolbypassrls: bool,
}

#[tokio::test]
async fn the_application_role_cannot_bypass_row_level_security() {
    let db = TestDb::create().await;
    let pool = build_pool(&db.url, &PoolSettings::default()).unwrap();
    let tx = Tx::global(&pool, Mode::ReadOnly).await.unwrap();
    let flags = diesel::sql_query(
        "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user",
    )
    .get_result::<RoleFlags>(&mut tx.conn())
    .await
    .unwrap();
    assert!(!flags.rolsuper && !flags.rolbypassrls);
}

#[tokio::test]
async fn units_of_work_see_only_their_tenant_roll_back_on_drop_and_leave_no_context_behind() {
    let db = TestDb::create().await;
    // One connection: every unit of work below reuses it.
    let pool = build_pool(
        &db.url,
        &PoolSettings {
            max_size: 1,
            ..PoolSettings::default()
        },
    )
    .unwrap();
    let acme = create_tenant(&pool, "acme").await;
    let globex = create_tenant(&pool, "globex").await;
    for table in ["projects", "tasks", "roles", "audit_events"] {
        // The first statement goes out with BEGIN and the context: still inside.
        assert_eq!(
            count(&pool, Some(acme), table).await,
            expected(table),
            "{table} in acme"
        );
        assert_eq!(
            count(&pool, Some(globex), table).await,
            expected(table),
            "{table} in globex"
        );
        assert_eq!(count(&pool, None, table).await, 0, "{table} afterwards");
    }
    // Two statements pipelined in one transaction both run inside it.
    let tx = TenantTx::begin(&pool, acme, Mode::ReadOnly).await.unwrap();
    let (projects, roles) =
        futures_util::future::try_join(count_in(&tx, "projects"), count_in(&tx, "roles"))
            .await
            .unwrap();
    assert_eq!((projects, roles), (1, 4));
    drop(tx);
    // A failing statement: the transaction is dropped, rolled back, and the (only)
    // connection serves the next unit of work.
    let tx = TenantTx::begin(&pool, acme, Mode::ReadOnly).await.unwrap();
    assert!(count_in(&tx, "no_such_table").await.is_err());
    drop(tx);
    assert_eq!(count(&pool, Some(acme), "projects").await, 1);
    // A write dropped without commit is rolled back.
    let tx = TenantTx::begin(&pool, acme, Mode::ReadWrite).await.unwrap();
    diesel::sql_query("DELETE FROM projects")
        .execute(&mut tx.conn())
        .await
        .unwrap();
    drop(tx);
    assert_eq!(count(&pool, Some(acme), "projects").await, 1);
    // A read-only transaction refuses writes.
    let tx = TenantTx::begin(&pool, acme, Mode::ReadOnly).await.unwrap();
    let write = diesel::sql_query("DELETE FROM projects")
        .execute(&mut tx.conn())
        .await;
    assert!(write.is_err());
    drop(tx);
    assert_eq!(count(&pool, Some(acme), "projects").await, 1);
}
