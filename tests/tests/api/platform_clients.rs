//! OAuth clients (SPEC §11): registered by platform admins over the API and the CLI.

use gatehouse_tests::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

fn spa(client_id: &str) -> Value {
    json!({
        "client_id": client_id, "name": "Demo SPA", "client_type": "public",
        "redirect_uris": ["http://127.0.0.1:5173/callback"],
        "allowed_origins": ["http://127.0.0.1:5173"],
        "refresh_delivery": "cookie", "first_party": true
    })
}

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let response = app.send_with(method, path, token, body).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_public_client_is_registered_read_changed_and_deleted() {
    let app = TestApp::spawn().await;
    let root = app.platform_admin().await;
    let (status, created) = send(
        &app,
        Method::POST,
        "/api/v1/platform/clients",
        &root.access,
        Some(spa("demo-spa")),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["client_secret"], Value::Null);
    assert_eq!(created["refresh_delivery"], "cookie");
    assert_eq!(created["allowed_origins"], json!(["http://127.0.0.1:5173"]));

    let one = "/api/v1/platform/clients/demo-spa";
    let (status, read) = send(&app, Method::GET, one, &root.access, None).await;
    assert_eq!(status, 200);
    assert!(read.get("client_secret").is_none(), "{read}");
    assert_eq!(
        read["redirect_uris"],
        json!(["http://127.0.0.1:5173/callback"])
    );

    let (status, listed) = send(
        &app,
        Method::GET,
        "/api/v1/platform/clients",
        &root.access,
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(listed["items"][0]["client_id"], "demo-spa");

    let change = json!({"name": "Demo app", "redirect_uris": ["https://app.example.com/cb", "https://app.example.com/cb"]});
    let (status, changed) = send(&app, Method::PATCH, one, &root.access, Some(change)).await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["name"], "Demo app");
    // Stored once, normalised: compared exactly later.
    assert_eq!(
        changed["redirect_uris"],
        json!(["https://app.example.com/cb"])
    );
    assert_eq!(changed["refresh_delivery"], "cookie");

    // Dropping the origins of a cookie client would leave its cookie uncheckable.
    let (status, body) = send(
        &app,
        Method::PATCH,
        one,
        &root.access,
        Some(json!({"allowed_origins": []})),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["field"], "allowed_origins");

    assert_eq!(
        send(&app, Method::DELETE, one, &root.access, None).await.0,
        204
    );
    assert_eq!(
        send(&app, Method::GET, one, &root.access, None).await.0,
        404
    );
    assert_eq!(
        send(&app, Method::DELETE, one, &root.access, None).await.0,
        404
    );
}

#[tokio::test]
async fn a_confidential_clients_secret_is_shown_once_and_stored_hashed() {
    let app = TestApp::spawn().await;
    let root = app.platform_admin().await;
    let mut body = spa("backend");
    body["client_type"] = json!("confidential");
    body["refresh_delivery"] = json!("body");
    let (status, created) = send(
        &app,
        Method::POST,
        "/api/v1/platform/clients",
        &root.access,
        Some(body),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let secret = created["client_secret"].as_str().unwrap().to_owned();
    assert!(secret.len() >= 43, "256 bits: {secret}");
    let (_, read) = send(
        &app,
        Method::GET,
        "/api/v1/platform/clients/backend",
        &root.access,
        None,
    )
    .await;
    assert!(!read.to_string().contains(&secret));
    let (_, listed) = send(
        &app,
        Method::GET,
        "/api/v1/platform/clients",
        &root.access,
        None,
    )
    .await;
    assert!(!listed.to_string().contains(&secret));
    // The database holds its SHA-256, never the secret.
    let stored = gatehouse_tests::db::query_text(
        &app.db.url,
        "SELECT secret_hash FROM oauth_clients WHERE client_id = 'backend'",
    )
    .await;
    assert_eq!(stored, auth::api_key::hash_secret(&secret));
    assert_ne!(stored, secret);
}

#[tokio::test]
async fn registrations_that_would_be_unsafe_are_refused() {
    let app = TestApp::spawn().await;
    let root = app.platform_admin().await;
    let cases = [
        ("client_id", json!({"client_id": "Bad_Id"})),
        (
            "redirect_uris",
            json!({"redirect_uris": ["http://app.example.com/cb"]}),
        ),
        (
            "redirect_uris",
            json!({"redirect_uris": ["https://app.example.com/cb#x"]}),
        ),
        (
            "redirect_uris",
            json!({"redirect_uris": ["javascript:alert(1)"]}),
        ),
        ("redirect_uris", json!({"redirect_uris": []})),
        (
            "allowed_origins",
            json!({"allowed_origins": ["https://app.example.com/path"]}),
        ),
        ("allowed_origins", json!({"allowed_origins": []})),
        (
            "post_logout_redirect_uris",
            json!({"post_logout_redirect_uris": ["http://evil.example/"]}),
        ),
    ];
    for (field, change) in cases {
        let mut body = spa("unsafe-client");
        for (key, value) in change.as_object().unwrap() {
            body[key] = value.clone();
        }
        let (status, problem) = send(
            &app,
            Method::POST,
            "/api/v1/platform/clients",
            &root.access,
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, 422, "{body}: {problem}");
        let fields: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert!(fields.contains(&field), "{body}: {problem}");
    }
    assert_eq!(
        send(
            &app,
            Method::POST,
            "/api/v1/platform/clients",
            &root.access,
            Some(spa("twice"))
        )
        .await
        .0,
        201
    );
    let (status, problem) = send(
        &app,
        Method::POST,
        "/api/v1/platform/clients",
        &root.access,
        Some(spa("twice")),
    )
    .await;
    assert_eq!(status, 409);
    assert!(
        problem["type"]
            .as_str()
            .unwrap()
            .ends_with("/problems/client-id-taken"),
        "{problem}"
    );
}

#[tokio::test]
async fn the_cli_registers_clients_and_the_seed_adds_swagger_and_the_demo_spa_once() {
    let app = TestApp::spawn().await;
    let env = app.env.clone();
    let config = api::Config::from_lookup(|name| env.get(name).cloned()).unwrap();
    let spec = api::cli::ClientSpec {
        client_id: "ci-backend".into(),
        name: "CI".into(),
        client_type: domain::ClientType::Confidential,
        redirect_uris: vec!["https://ci.example.com/cb".into()],
        allowed_origins: vec![],
        refresh_delivery: domain::RefreshDelivery::Body,
        first_party: false,
        post_logout_redirect_uris: vec![],
    };
    let secret = api::cli::create_client(&config, &spec).await.unwrap();
    assert!(secret.is_some());
    assert!(
        api::cli::create_client(&config, &spec).await.is_err(),
        "registered twice"
    );
    let unsafe_spec = api::cli::ClientSpec {
        client_id: "plain-http".into(),
        redirect_uris: vec!["http://ci.example.com/cb".into()],
        ..spec
    };
    assert!(
        api::cli::create_client(&config, &unsafe_spec)
            .await
            .is_err()
    );

    api::cli::seed_demo(&config).await.unwrap();
    api::cli::seed_demo(&config).await.unwrap();
    let root = app.platform_admin().await;
    let (_, listed) = send(
        &app,
        Method::GET,
        "/api/v1/platform/clients",
        &root.access,
        None,
    )
    .await;
    let ids: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["client_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["ci-backend", "swagger", "demo-spa"]);
    let (_, swagger) = send(
        &app,
        Method::GET,
        "/api/v1/platform/clients/swagger",
        &root.access,
        None,
    )
    .await;
    assert_eq!(swagger["refresh_delivery"], "body");
    assert!(
        swagger["redirect_uris"][0]
            .as_str()
            .unwrap()
            .ends_with("/docs/oauth2-redirect.html")
    );
    let (_, demo) = send(
        &app,
        Method::GET,
        "/api/v1/platform/clients/demo-spa",
        &root.access,
        None,
    )
    .await;
    assert_eq!(demo["refresh_delivery"], "cookie");
    assert_eq!(demo["client_type"], "public");
}
