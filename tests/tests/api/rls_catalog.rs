//! Row-level security, for every tenant table the database has rather than a list: the
//! tables come from `pg_catalog` (any table with a `tenant_id` column, in any schema but
//! the system ones), so a migration that adds one without forced row-level security and a
//! policy fails here. Raw SQL as the application role, and data made through the API.

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Bool, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use gatehouse_tests::db::TestDb;
use gatehouse_tests::resources::Resolver;
use gatehouse_tests::{Account, TestApp, Tokens};
use serde_json::Value;

/// Tables that carry `tenant_id` yet are global by design, each with the only columns it
/// may have (a column added to one of them fails the test: review it first).
/// - `api_key_index`: maps a presented key's id to its tenant before any tenant is known
///   (the key itself is then read in that tenant's context, under row-level security); it
///   holds no secret and nothing of the tenant but the mapping (migration
///   2026-11-22-000003_api_keys).
const GLOBAL_BY_DESIGN: &[(&str, &[&str])] = &[("api_key_index", &["key_id", "tenant_id"])];

#[derive(QueryableByName, Debug)]
struct TenantTable {
    #[diesel(sql_type = Text)]
    schema: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Bool)]
    rls: bool,
    #[diesel(sql_type = Bool)]
    forced: bool,
    #[diesel(sql_type = BigInt)]
    policies: i64,
    /// Comma-separated, in column order.
    #[diesel(sql_type = Text)]
    columns: String,
}

impl TenantTable {
    fn qualified(&self) -> String {
        format!("\"{}\".\"{}\"", self.schema, self.name)
    }

    fn global_by_design(&self) -> Option<&'static [&'static str]> {
        GLOBAL_BY_DESIGN
            .iter()
            .find(|(name, _)| self.schema == "public" && *name == self.name)
            .map(|(_, columns)| *columns)
    }
}

/// Every table (plain, partitioned, materialized view, foreign) with a `tenant_id` column,
/// outside the system schemas.
async fn tenant_tables(conn: &mut AsyncPgConnection) -> Vec<TenantTable> {
    diesel::sql_query(
        "SELECT n.nspname::text AS schema, c.relname::text AS name,
                c.relrowsecurity AS rls, c.relforcerowsecurity AS forced,
                (SELECT count(*) FROM pg_policies p
                  WHERE p.schemaname = n.nspname AND p.tablename = c.relname) AS policies,
                (SELECT string_agg(a.attname::text, ',' ORDER BY a.attnum) FROM pg_attribute a
                  WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns
           FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('r', 'p', 'm', 'f')
            AND n.nspname NOT IN ('pg_catalog', 'information_schema')
            AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
            AND EXISTS (SELECT 1 FROM pg_attribute a
                         WHERE a.attrelid = c.oid AND a.attname = 'tenant_id'
                           AND a.attnum > 0 AND NOT a.attisdropped)
          ORDER BY 1, 2",
    )
    .load(conn)
    .await
    .unwrap()
}

/// What the catalog says is wrong: a tenant table without row-level security enabled and
/// forced, or without a policy; a global-by-design table whose columns changed.
fn catalog_violations(tables: &[TenantTable]) -> Vec<String> {
    let mut out = Vec::new();
    for table in tables {
        let name = table.qualified();
        if let Some(columns) = table.global_by_design() {
            if table.columns != columns.join(",") {
                out.push(format!(
                    "{name} is global by design with columns {columns:?}, now has {}",
                    table.columns
                ));
            }
            continue;
        }
        if !table.rls {
            out.push(format!("{name}: row-level security is not enabled"));
        }
        if !table.forced {
            out.push(format!("{name}: row-level security is not forced"));
        }
        if table.policies == 0 {
            out.push(format!("{name}: no policy"));
        }
    }
    out
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

async fn count(conn: &mut AsyncPgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<Count>(conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .n
}

/// A connection as `url`'s role, inside `tenant`'s context (as the app sets it) or none.
async fn connect(url: &str, tenant: Option<&str>) -> AsyncPgConnection {
    let mut conn = AsyncPgConnection::establish(url).await.unwrap();
    if let Some(tenant) = tenant {
        diesel::sql_query("SELECT set_config('app.tenant_id', $1, false)")
            .bind::<Text, _>(tenant)
            .execute(&mut conn)
            .await
            .unwrap();
    }
    conn
}

/// What the application role sees that it must not, for each tenant table: with no tenant
/// context, any row; in an unrelated tenant's context, any row; in `tenant`'s context, a
/// row of another tenant. And a table `tenant` has no row in (nothing proven there).
async fn visibility_violations(url: &str, tables: &[TenantTable], tenant: &str) -> Vec<String> {
    let mut none = connect(url, None).await;
    let unrelated = uuid::Uuid::new_v4().to_string();
    let mut stranger = connect(url, Some(&unrelated)).await;
    let mut own = connect(url, Some(tenant)).await;
    let mut out = Vec::new();
    for table in tables.iter().filter(|t| t.global_by_design().is_none()) {
        let name = table.qualified();
        let all = format!("SELECT count(*) AS n FROM {name}");
        let n = count(&mut none, &all).await;
        if n != 0 {
            out.push(format!("{name}: {n} row(s) visible without a tenant"));
        }
        let n = count(&mut stranger, &all).await;
        if n != 0 {
            out.push(format!("{name}: {n} row(s) visible to an unrelated tenant"));
        }
        let others =
            format!("SELECT count(*) AS n FROM {name} WHERE tenant_id IS DISTINCT FROM '{tenant}'");
        let n = count(&mut own, &others).await;
        if n != 0 {
            out.push(format!("{name}: {n} row(s) of other tenants visible"));
        }
        if count(&mut own, &all).await == 0 {
            out.push(format!(
                "{name}: the tenant has no row here, so nothing is proven (can the API make one? see Resolver::populate)"
            ));
        }
    }
    out
}

/// A signed-up owner, logged in with every scope in their tenant.
async fn owner(app: &TestApp, email: &str, slug: &str) -> (Account, Tokens) {
    let account = app.sign_up(email, slug).await;
    let tokens = app.login(&account, &[("tenant", &account.tenant_id)]).await;
    (account, tokens)
}

/// One of everything the API makes in a tenant, from the OpenAPI document's examples.
async fn populate(app: &TestApp, doc: &Value, account: &Account, tokens: &Tokens) {
    Resolver {
        app,
        doc,
        tenant: &account.tenant_id,
        owner: tokens,
        owner_account: account,
    }
    .populate("/api/v1/tenants/{tenant_id}")
    .await;
}

#[tokio::test]
async fn every_tenant_table_has_forced_row_level_security_and_a_policy() {
    let db = TestDb::create().await;
    let mut conn = AsyncPgConnection::establish(&db.url).await.unwrap();
    let tables = tenant_tables(&mut conn).await;
    let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    // The query finds what the migrations made (it is not vacuous).
    for known in ["roles", "memberships", "projects", "tasks", "api_key_index"] {
        assert!(names.contains(&known), "{known} not found in {names:?}");
    }
    for (global, _) in GLOBAL_BY_DESIGN {
        assert!(
            names.contains(global),
            "{global} is no longer a table: drop its exception"
        );
    }
    assert_eq!(catalog_violations(&tables), Vec::<String>::new());
}

#[tokio::test]
async fn the_application_role_sees_no_row_of_another_tenant_in_any_tenant_table() {
    let app = TestApp::spawn().await;
    let doc: Value = app.get("/openapi.json").await.json().await.unwrap();
    let (ada, ada_tokens) = owner(&app, "ada@example.com", "acme").await;
    let (eve, eve_tokens) = owner(&app, "eve@example.com", "evil").await;
    populate(&app, &doc, &ada, &ada_tokens).await;
    populate(&app, &doc, &eve, &eve_tokens).await;

    // As the application role (what the server connects as), which RLS binds.
    let mut conn = connect(&app.db.url, None).await;
    #[derive(QueryableByName)]
    struct Role {
        #[diesel(sql_type = Bool)]
        binds: bool,
    }
    let role = diesel::sql_query(
        "SELECT NOT (rolsuper OR rolbypassrls) AS binds FROM pg_roles WHERE rolname = current_user",
    )
    .get_result::<Role>(&mut conn)
    .await
    .unwrap();
    assert!(
        role.binds,
        "the application role bypasses row-level security"
    );

    let tables = tenant_tables(&mut conn).await;
    assert!(tables.len() >= 7, "{tables:?}");
    for tenant in [&ada.tenant_id, &eve.tenant_id] {
        assert_eq!(
            visibility_violations(&app.db.url, &tables, tenant).await,
            Vec::<String>::new(),
            "in the context of {tenant}"
        );
    }
}

/// The two checks above can fail: a migration's mistakes, made on a database of its own,
/// are each reported.
#[tokio::test]
async fn a_tenant_table_without_isolation_is_reported() {
    let db = TestDb::create().await;
    let mut owner = AsyncPgConnection::establish(&db.owner_url).await.unwrap();
    let tenant = uuid::Uuid::new_v4();
    owner
        .batch_execute(&format!(
            "CREATE TABLE unguarded (id int, tenant_id uuid);
             INSERT INTO unguarded VALUES (1, '{tenant}');
             CREATE TABLE unforced (tenant_id uuid);
             ALTER TABLE unforced ENABLE ROW LEVEL SECURITY;
             CREATE POLICY tenant_isolation ON unforced USING (tenant_id = app_tenant_id());
             CREATE SCHEMA elsewhere;
             GRANT USAGE ON SCHEMA elsewhere TO gatehouse_app;
             CREATE TABLE elsewhere.no_policy (tenant_id uuid);
             GRANT SELECT ON elsewhere.no_policy TO gatehouse_app;
             ALTER TABLE elsewhere.no_policy ENABLE ROW LEVEL SECURITY;
             ALTER TABLE elsewhere.no_policy FORCE ROW LEVEL SECURITY;
             CREATE TABLE leaky (tenant_id uuid);
             ALTER TABLE leaky ENABLE ROW LEVEL SECURITY;
             ALTER TABLE leaky FORCE ROW LEVEL SECURITY;
             CREATE POLICY everyone ON leaky USING (true);
             INSERT INTO leaky VALUES ('{tenant}');
             ALTER TABLE api_key_index ADD COLUMN secret text;"
        ))
        .await
        .unwrap();

    let mut conn = AsyncPgConnection::establish(&db.url).await.unwrap();
    let tables = tenant_tables(&mut conn).await;
    let violations = catalog_violations(&tables);
    for expected in [
        "\"public\".\"unguarded\": row-level security is not enabled",
        "\"public\".\"unguarded\": row-level security is not forced",
        "\"public\".\"unguarded\": no policy",
        "\"public\".\"unforced\": row-level security is not forced",
        "\"elsewhere\".\"no_policy\": no policy",
        "\"public\".\"api_key_index\" is global by design with columns [\"key_id\", \"tenant_id\"], now has key_id,tenant_id,secret",
    ] {
        assert!(
            violations.iter().any(|v| v == expected),
            "{expected} not in {violations:#?}"
        );
    }
    assert!(
        !violations.iter().any(|v| v.contains("leaky")),
        "{violations:#?}"
    );

    // A policy that lets everything through passes the catalog; the rows give it away.
    let visible = visibility_violations(&db.url, &tables, &tenant.to_string()).await;
    for expected in [
        "\"public\".\"leaky\": 1 row(s) visible without a tenant",
        "\"public\".\"leaky\": 1 row(s) visible to an unrelated tenant",
        "\"public\".\"unguarded\": 1 row(s) visible without a tenant",
        "\"public\".\"roles\": the tenant has no row here, so nothing is proven (can the API make one? see Resolver::populate)",
    ] {
        assert!(
            visible.iter().any(|v| v == expected),
            "{expected} not in {visible:#?}"
        );
    }
}
