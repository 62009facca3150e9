use gatehouse_tests::{TestApp, claims_of};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn me_describes_the_caller_and_the_token() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let tokens = app
        .login(&ada, &[("scope", "tenant:read members:read")])
        .await;
    let me: Value = app
        .get_with("/api/v1/me", &tokens.access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["id"], ada.user_id.as_str());
    assert_eq!(me["email"], "ada@example.com");
    assert_eq!(me["display_name"], "Test User");
    assert_eq!(me["tenant"]["slug"], "acme");
    assert_eq!(me["tenant"]["id"], ada.tenant_id.as_str());
    assert_eq!(me["scopes"], json!(["tenant:read", "members:read"]));
    assert_eq!(me["session_id"], claims_of(&tokens.access)["sid"]);
}

#[tokio::test]
async fn the_display_name_can_be_changed_and_is_validated() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let tokens = app.login(&ada, &[]).await;
    let response = app
        .send_with(
            Method::PATCH,
            "/api/v1/me",
            &tokens.access,
            Some(json!({"display_name": "  Ada King  "})),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap()["display_name"],
        "Ada King"
    );
    let response = app
        .send_with(
            Method::PATCH,
            "/api/v1/me",
            &tokens.access,
            Some(json!({"display_name": ""})),
        )
        .await;
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "display_name");
}

#[tokio::test]
async fn the_permission_catalog_is_listed() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let tokens = app.login(&ada, &[]).await;
    let catalog: Value = app
        .get_with("/api/v1/permissions", &tokens.access)
        .await
        .json()
        .await
        .unwrap();
    let catalog = catalog.as_array().unwrap();
    assert_eq!(catalog.len(), 14);
    assert!(catalog.iter().any(|p| p["scope"] == "platform:admin"
        && p["description"].as_str().unwrap().contains("Platform")));
}

#[tokio::test]
async fn a_platform_admin_created_by_the_cli_gets_the_platform_scope() {
    let app = TestApp::spawn().await;
    let env = app.env.clone();
    let config = api::Config::from_lookup(|name| env.get(name).cloned()).unwrap();
    let message = api::cli::create_platform_admin(
        &config,
        "root@example.com",
        "an operator's long passphrase",
        "Root",
    )
    .await
    .unwrap();
    assert!(message.contains("created"));
    let response = app
        .password_grant("root@example.com", "an operator's long passphrase", &[])
        .await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["scope"], "platform:admin");
    // Nobody else gets it, whatever they ask for.
    let ada = app.sign_up("ada@example.com", "acme").await;
    assert!(
        !app.login(&ada, &[("scope", "platform:admin tenant:read")])
            .await
            .scope
            .contains("platform")
    );
}

#[tokio::test]
async fn the_demo_seed_is_idempotent_and_its_users_log_in() {
    let app = TestApp::spawn().await;
    let env = app.env.clone();
    let config = api::Config::from_lookup(|name| env.get(name).cloned()).unwrap();
    let first = api::cli::seed_demo(&config).await.unwrap();
    let again = api::cli::seed_demo(&config).await.unwrap();
    assert_eq!(first, again);
    assert_eq!(first.len(), 4);
    for (email, password, role) in first {
        let response = app.password_grant(&email, &password, &[]).await;
        assert_eq!(response.status(), 200, "{role}");
        let body: Value = response.json().await.unwrap();
        if role == "viewer" {
            assert_eq!(
                body["scope"],
                "tenant:read members:read projects:read tasks:read"
            );
        }
    }
}
