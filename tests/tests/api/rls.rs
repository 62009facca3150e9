//! Row-level security, proven on the database itself: a query with no `WHERE tenant_id`
//! sees only the current tenant's rows, and the application role cannot bypass it.

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Bool};
use diesel_async::RunQueryDsl;
use domain::{Slug, TenantId, TenantName};
use gatehouse_tests::db::TestDb;
use persistence::{PoolSettings, build_pool, global, in_tenant, read_in_tenant, repo};

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count_rows(table: &'static str) -> impl persistence::tenant_tx::Work<i64> {
    move |conn: &mut persistence::AsyncPgConnection| -> futures_util::future::BoxFuture<'_, Result<i64, persistence::PersistenceError>> {
        Box::pin(async move {
            Ok(diesel::sql_query(format!("SELECT count(*) AS n FROM {table}")).get_result::<Count>(conn).await?.n)
        })
    }
}

async fn count(pool: &persistence::PgPool, tenant: Option<TenantId>, table: &'static str) -> i64 {
    match tenant {
        Some(tenant) => in_tenant(pool, tenant, count_rows(table)).await.unwrap(),
        None => global(pool, count_rows(table)).await.unwrap(),
    }
}

/// A tenant with one row in every tenant-owned table.
async fn create_tenant(pool: &persistence::PgPool, slug: &str) -> TenantId {
    use persistence::models::{NewInvitation, NewProject, NewTask};
    let id = TenantId::new();
    let slug = Slug::parse(slug).unwrap();
    in_tenant(pool, id, move |conn| {
        Box::pin(async move {
            let owner = domain::UserId::new();
            let email = domain::Email::parse(&format!("owner@{}.example", slug.as_str())).unwrap();
            repo::users::insert(
                conn,
                owner,
                &email,
                &domain::DisplayName::parse("Owner").unwrap(),
                "x",
                false,
            )
            .await?;
            repo::tenants::create_with_owner(
                conn,
                id,
                &slug,
                &TenantName::parse("Tenant").unwrap(),
                owner,
            )
            .await?;
            repo::audit::record(
                conn,
                id,
                repo::audit::AuditRecord {
                    action: "test.row",
                    ..Default::default()
                },
            )
            .await?;
            repo::invitations::insert(
                conn,
                NewInvitation {
                    id: uuid::Uuid::now_v7(),
                    tenant_id: id.0,
                    email: "invitee@example.com",
                    role_ids: vec![],
                    token_hash: format!("hash-{}", id),
                    expires_at: chrono::Utc::now() + chrono::Duration::days(1),
                    created_by: Some(owner.0),
                },
            )
            .await?;
            let project = repo::projects::insert(
                conn,
                NewProject {
                    id: uuid::Uuid::now_v7(),
                    tenant_id: id.0,
                    name: "P",
                    description: "",
                    created_by: None,
                },
            )
            .await?;
            repo::projects::insert_task(
                conn,
                NewTask {
                    id: uuid::Uuid::now_v7(),
                    tenant_id: id.0,
                    project_id: project.id,
                    title: "T",
                    created_by: None,
                },
            )
            .await?;
            repo::api_keys::insert(
                conn,
                persistence::models::NewApiKey {
                    id: uuid::Uuid::now_v7(),
                    tenant_id: id.0,
                    key_id: &auth::api_key::ApiKeyCodec::new(&[7; 32]).generate().key_id,
                    name: "k",
                    secret_hash: "h",
                    scopes: vec![],
                    created_by: None,
                    expires_at: None,
                },
            )
            .await?;
            Ok(())
        })
    })
    .await
    .unwrap();
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
    let result = in_tenant(&pool, acme, move |conn| {
        Box::pin(async move { repo::roles::create_builtins(conn, globex).await.map(|_| ()) })
    })
    .await;
    assert!(
        result.is_err(),
        "WITH CHECK must refuse a row of another tenant"
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
    let flags = global(&pool, |conn| {
        Box::pin(async move {
            Ok(diesel::sql_query(
                "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user",
            )
            .get_result::<RoleFlags>(conn)
            .await?)
        })
    })
    .await
    .unwrap();
    assert!(!flags.rolsuper && !flags.rolbypassrls);
}

fn pipelined_count(table: &'static str) -> impl persistence::tenant_tx::ReadWork<i64> {
    move |mut conn: &persistence::AsyncPgConnection| -> futures_util::future::BoxFuture<'_, Result<i64, persistence::PersistenceError>> {
        Box::pin(async move {
            Ok(diesel::sql_query(format!("SELECT count(*) AS n FROM {table}")).get_result::<Count>(&mut conn).await?.n)
        })
    }
}

#[tokio::test]
async fn pipelined_reads_see_only_their_tenant_and_leave_no_context_behind() {
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
        // The statement is prepared on first use, after BEGIN was sent: still inside.
        assert_eq!(
            read_in_tenant(&pool, acme, pipelined_count(table))
                .await
                .unwrap(),
            expected(table),
            "{table} in acme"
        );
        assert_eq!(
            read_in_tenant(&pool, globex, pipelined_count(table))
                .await
                .unwrap(),
            expected(table),
            "{table} in globex"
        );
        assert_eq!(count(&pool, None, table).await, 0, "{table} afterwards");
    }
    // A failing read rolls back; the connection serves the next unit of work.
    let failed = read_in_tenant(&pool, acme, pipelined_count("no_such_table")).await;
    assert!(failed.is_err());
    assert_eq!(count(&pool, Some(acme), "projects").await, 1);
    // A read-only transaction refuses writes.
    let write =
        read_in_tenant(
            &pool,
            acme,
            |mut conn: &persistence::AsyncPgConnection| -> futures_util::future::BoxFuture<
                '_,
                Result<usize, persistence::PersistenceError>,
            > {
                Box::pin(async move {
                    Ok(diesel::sql_query("DELETE FROM projects")
                        .execute(&mut conn)
                        .await?)
                })
            },
        )
        .await;
    assert!(write.is_err());
    assert_eq!(count(&pool, Some(acme), "projects").await, 1);
}
