use gatehouse_tests::{PASSWORD, TestApp};
use reqwest::Method;
use serde_json::Value;

#[tokio::test]
async fn a_suspended_tenant_stops_at_once_and_comes_back_when_activated() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let a = app.login(&ada, &[]).await;
    let env = app.env.clone();
    let config = api::Config::from_lookup(|name| env.get(name).cloned()).unwrap();
    api::cli::create_platform_admin(
        &config,
        "root@example.com",
        "an operator's long passphrase",
        "Root",
    )
    .await
    .unwrap();
    let root: Value = app
        .password_grant("root@example.com", "an operator's long passphrase", &[])
        .await
        .json()
        .await
        .unwrap();
    let root = root["access_token"].as_str().unwrap().to_owned();

    let list: Value = app
        .get_with("/api/v1/platform/tenants", &root)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"][0]["slug"], "acme");
    assert_eq!(
        app.get_with("/api/v1/platform/tenants", &a.access)
            .await
            .status(),
        403
    );

    let suspend = format!("/api/v1/platform/tenants/{}/suspend", ada.tenant_id);
    let response = app.send_with(Method::POST, &suspend, &root, None).await;
    assert_eq!(
        response.json::<Value>().await.unwrap()["status"],
        "suspended"
    );
    assert_eq!(
        app.get_with(&format!("/api/v1/tenants/{}", ada.tenant_id), &a.access)
            .await
            .status(),
        401
    );
    assert_eq!(app.refresh(&a.refresh, &[]).await.status(), 400);
    assert_eq!(
        app.password_grant(&ada.email, PASSWORD, &[("tenant", "acme")])
            .await
            .status(),
        400
    );

    let activate = format!("/api/v1/platform/tenants/{}/activate", ada.tenant_id);
    assert_eq!(
        app.send_with(Method::POST, &activate, &root, None)
            .await
            .status(),
        200
    );
    let again = app.login(&ada, &[]).await;
    assert_eq!(
        app.get_with(&format!("/api/v1/tenants/{}", ada.tenant_id), &again.access)
            .await
            .status(),
        200
    );
    let unknown = format!("/api/v1/platform/tenants/{}/suspend", uuid::Uuid::now_v7());
    assert_eq!(
        app.send_with(Method::POST, &unknown, &root, None)
            .await
            .status(),
        404
    );
}
