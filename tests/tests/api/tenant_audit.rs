use gatehouse_tests::{PASSWORD, TestApp};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn changes_and_logins_are_in_the_audit_log_with_filters() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let owner = app.login(&ada, &[]).await;
    let t = ada.tenant_id.clone();
    app.password_grant(
        "ada@example.com",
        "wrong password entirely",
        &[("tenant", "acme")],
    )
    .await;
    app.send_with(
        Method::POST,
        &format!("/api/v1/tenants/{t}/roles"),
        &owner.access,
        Some(json!({"name": "billing", "permissions": []})),
    )
    .await;
    app.add_member(&owner, &ada, "grace@example.com", &["viewer"])
        .await;
    let _ = PASSWORD;

    let log = format!("/api/v1/tenants/{t}/audit-events");
    let all: Value = app
        .get_with(&format!("{log}?limit=100"), &owner.access)
        .await
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for expected in [
        "user.signed_up",
        "tenant.created",
        "login.succeeded",
        "login.failed",
        "role.created",
        "member.invited",
        "member.joined",
    ] {
        assert!(
            actions.contains(&expected),
            "{expected} missing from {actions:?}"
        );
    }
    assert_eq!(actions[0], "member.joined", "newest first");

    let failed: Value = app
        .get_with(&format!("{log}?action=login.failed"), &owner.access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(failed["items"].as_array().unwrap().len(), 1);
    assert_eq!(failed["items"][0]["ip"], "127.0.0.1");
    let by_ada: Value = app
        .get_with(
            &format!("{log}?actor_id={}&limit=100", ada.user_id),
            &owner.access,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(
        by_ada["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["actor_id"] == ada.user_id.as_str())
    );
    let future: Value = app
        .get_with(&format!("{log}?since=2999-01-01T00:00:00Z"), &owner.access)
        .await
        .json()
        .await
        .unwrap();
    assert!(future["items"].as_array().unwrap().is_empty());
    assert_eq!(
        app.get_with(&format!("{log}?since=yesterday"), &owner.access)
            .await
            .status(),
        400
    );

    let first: Value = app
        .get_with(&format!("{log}?limit=2"), &owner.access)
        .await
        .json()
        .await
        .unwrap();
    let second: Value = app
        .get_with(
            &format!(
                "{log}?limit=2&cursor={}",
                first["next_cursor"].as_str().unwrap()
            ),
            &owner.access,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(second["items"][0]["id"], all["items"][2]["id"]);
}

#[tokio::test]
async fn another_tenants_audit_log_is_invisible() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let eve = app.sign_up("eve@example.com", "evil").await;
    let a = app.login(&ada, &[]).await;
    let all: Value = app
        .get_with(
            &format!("/api/v1/tenants/{}/audit-events?limit=100", ada.tenant_id),
            &a.access,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(
        all["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["actor_id"] != eve.user_id.as_str())
    );
}

#[tokio::test]
async fn session_revocations_are_audited() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let owner = app.login(&ada, &[]).await;
    let other = app.login(&ada, &[]).await;
    let sid = gatehouse_tests::claims_of(&other.access)["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.send_with(
            Method::DELETE,
            &format!("/api/v1/me/sessions/{sid}"),
            &owner.access,
            None
        )
        .await
        .status(),
        204
    );
    let third = app.login(&ada, &[]).await;
    assert_eq!(
        app.send_with(Method::POST, "/api/v1/auth/logout", &third.access, None)
            .await
            .status(),
        204
    );
    let log: Value = app
        .get_with(
            &format!(
                "/api/v1/tenants/{}/audit-events?action=session.revoked",
                ada.tenant_id
            ),
            &owner.access,
        )
        .await
        .json()
        .await
        .unwrap();
    let reasons: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["details"]["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["logout", "revoked by its user"]);
    assert_eq!(log["items"][1]["details"]["sessions"][0], sid.as_str());
    // Logging out everywhere (which ends this token too) is recorded once for the tenant.
    assert_eq!(
        app.send_with(Method::POST, "/api/v1/auth/logout-all", &owner.access, None)
            .await
            .status(),
        204
    );
    let fresh = app.login(&ada, &[]).await;
    let log: Value = app
        .get_with(
            &format!(
                "/api/v1/tenants/{}/audit-events?action=session.revoked",
                ada.tenant_id
            ),
            &fresh.access,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(log["items"][0]["details"]["reason"], "logout everywhere");
}
