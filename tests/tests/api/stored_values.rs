//! A stored value outside the domain's catalog is corrupt data: loading it is an error (a
//! 500 whose cause is logged), never a silent default such as "no permissions" or "not
//! active" that would change what someone may do. (Statuses are also held to their values
//! by CHECK constraints, so only permissions can be tried here.)

use gatehouse_tests::TestApp;
use gatehouse_tests::db::execute_in_tenant;

#[tokio::test]
async fn a_role_holding_an_unknown_permission_is_an_error_not_an_empty_set() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let tokens = app.login(&ada, &[]).await;
    let roles = format!("/api/v1/tenants/{}/roles", ada.tenant_id);
    assert_eq!(app.get_with(&roles, &tokens.access).await.status(), 200);
    execute_in_tenant(
        &app.db.url,
        &ada.tenant_id,
        "UPDATE roles SET permissions = '{tenant:read,no:such-scope}' WHERE name = 'viewer'",
    )
    .await;
    let response = app.get_with(&roles, &tokens.access).await;
    assert_eq!(response.status(), 500);
    let problem: serde_json::Value = response.json().await.unwrap();
    assert_eq!(problem["detail"], "an internal error occurred");
}
