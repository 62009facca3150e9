use gatehouse_tests::{TestApp, Tokens};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

async fn create_key(app: &TestApp, owner: &Tokens, tenant: &str, body: Value) -> (u16, Value) {
    let response = app
        .send_with(
            Method::POST,
            &format!("/api/v1/tenants/{tenant}/api-keys"),
            &owner.access,
            Some(body),
        )
        .await;
    let status = response.status().as_u16();
    if status == 201 {
        assert_eq!(response.headers()["cache-control"], "no-store");
    }
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn with_key(app: &TestApp, method: Method, path: &str, key: &str) -> reqwest::Response {
    let mut request = app
        .client
        .request(method.clone(), app.url(path))
        .header("x-api-key", key);
    if method == Method::POST {
        request = request.json(&json!({"name": "From a key"}));
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn a_key_acts_in_its_tenant_within_its_scopes() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let owner = app.login(&ada, &[]).await;
    let t = ada.tenant_id.clone();
    let (status, created) = create_key(
        &app,
        &owner,
        &t,
        json!({"name": "ci", "scopes": ["projects:read", "projects:write"]}),
    )
    .await;
    assert_eq!(status, 201);
    let key = created["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with(created["prefix"].as_str().unwrap()));
    assert_eq!(key.len(), "gk_".len() + 8 + 1 + 64 + 1 + 12);

    let listed: Value = app
        .get_with(&format!("/api/v1/tenants/{t}/api-keys"), &owner.access)
        .await
        .json()
        .await
        .unwrap();
    assert!(listed["items"][0].get("key").is_none());
    assert!(
        !listed.to_string().contains(&key[12..]),
        "the secret is never listed"
    );

    let projects = format!("/api/v1/tenants/{t}/projects");
    assert_eq!(
        with_key(&app, Method::GET, &projects, &key).await.status(),
        200
    );
    let created_project = with_key(&app, Method::POST, &projects, &key).await;
    assert_eq!(created_project.status(), 201);
    let project: Value = created_project.json().await.unwrap();
    assert_eq!(
        project["created_by"],
        ada.user_id.as_str(),
        "a key acts for its creator"
    );
    assert_eq!(
        with_key(
            &app,
            Method::GET,
            &format!("/api/v1/tenants/{t}/members"),
            &key
        )
        .await
        .status(),
        403
    );

    let me = with_key(&app, Method::GET, "/api/v1/me", &key).await;
    assert_eq!(me.status(), 200);
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["api_key"]["id"], created["id"]);
    assert_eq!(me["tenant"]["slug"], "acme");
    assert_eq!(me["scopes"], json!(["projects:read", "projects:write"]));
    // Not a user: no sessions, no tenants of its own.
    assert_eq!(
        with_key(&app, Method::GET, "/api/v1/me/sessions", &key)
            .await
            .status(),
        401
    );

    // The audit log names the key as the actor.
    let log: Value = app
        .get_with(
            &format!("/api/v1/tenants/{t}/audit-events?action=project.created"),
            &owner.access,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(log["items"][0]["actor_id"], created["id"], "{log}");
}

#[tokio::test]
async fn a_key_cannot_reach_another_tenant() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let eve = app.sign_up("eve@example.com", "evil").await;
    let owner = app.login(&ada, &[]).await;
    let (_, created) = create_key(
        &app,
        &owner,
        &ada.tenant_id,
        json!({"name": "ci", "scopes": ["projects:read"]}),
    )
    .await;
    let key = created["key"].as_str().unwrap();
    assert_eq!(
        with_key(
            &app,
            Method::GET,
            &format!("/api/v1/tenants/{}/projects", eve.tenant_id),
            key
        )
        .await
        .status(),
        403
    );
}

#[tokio::test]
async fn key_scopes_are_a_subset_of_the_creators_and_validated() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let t = ada.tenant_id.clone();
    let narrow = app
        .login(&ada, &[("scope", "api-keys:write projects:read")])
        .await;
    assert_eq!(
        create_key(
            &app,
            &narrow,
            &t,
            json!({"name": "x", "scopes": ["projects:write"]})
        )
        .await
        .0,
        403
    );
    assert_eq!(
        create_key(
            &app,
            &narrow,
            &t,
            json!({"name": "x", "scopes": ["projects:read"]})
        )
        .await
        .0,
        201
    );
    assert_eq!(
        create_key(&app, &narrow, &t, json!({"name": "x", "scopes": ["nope"]}))
            .await
            .0,
        422
    );
    assert_eq!(
        create_key(
            &app,
            &narrow,
            &t,
            json!({"name": "x", "scopes": [], "expires_at": "2001-01-01T00:00:00Z"})
        )
        .await
        .0,
        422
    );
    assert_eq!(
        create_key(&app, &narrow, &t, json!({"name": "", "scopes": []}))
            .await
            .0,
        422
    );
}

#[tokio::test]
async fn unknown_malformed_revoked_and_expired_keys_all_get_the_same_401() {
    let one = TestApp::spawn().await;
    let two = TestApp::builder().sharing_with(&one).spawn().await;
    let ada = one.sign_up("ada@example.com", "acme").await;
    let owner = one.login(&ada, &[]).await;
    let t = ada.tenant_id.clone();
    let path = format!("/api/v1/tenants/{t}/projects");
    let (_, created) = create_key(
        &one,
        &owner,
        &t,
        json!({"name": "ci", "scopes": ["projects:read"]}),
    )
    .await;
    let key = created["key"].as_str().unwrap().to_owned();
    // Instance two caches the key.
    assert_eq!(with_key(&two, Method::GET, &path, &key).await.status(), 200);

    let id = created["id"].as_str().unwrap();
    assert_eq!(
        one.send_with(
            Method::DELETE,
            &format!("/api/v1/tenants/{t}/api-keys/{id}"),
            &owner.access,
            None
        )
        .await
        .status(),
        204
    );

    let mut descriptions = Vec::new();
    let wrong_secret = format!("{}{}", &key[..12], "0".repeat(64));
    for (app, presented) in [
        (&two, key.as_str()),
        (&one, key.as_str()),
        (&one, "gk_zzzzzzzz_0000"),
        (&one, "garbage"),
        (&one, wrong_secret.as_str()),
    ] {
        let response = with_key(app, Method::GET, &path, presented).await;
        assert_eq!(response.status(), 401, "{presented}");
        descriptions.push(
            response.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert!(
        descriptions.windows(2).all(|w| w[0] == w[1]),
        "{descriptions:?}"
    );

    let soon = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    let (_, expiring) = create_key(
        &one,
        &owner,
        &t,
        json!({"name": "short", "scopes": ["projects:read"], "expires_at": soon}),
    )
    .await;
    let expiring = expiring["key"].as_str().unwrap();
    assert_eq!(
        with_key(&one, Method::GET, &path, expiring).await.status(),
        200
    );
    tokio::time::sleep(Duration::from_millis(2200)).await;
    assert_eq!(
        with_key(&one, Method::GET, &path, expiring).await.status(),
        401
    );
}

#[tokio::test]
async fn a_suspended_tenants_keys_stop_at_once() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let owner = app.login(&ada, &[]).await;
    let (_, created) = create_key(
        &app,
        &owner,
        &ada.tenant_id,
        json!({"name": "ci", "scopes": ["projects:read"]}),
    )
    .await;
    let key = created["key"].as_str().unwrap();
    let path = format!("/api/v1/tenants/{}/projects", ada.tenant_id);
    assert_eq!(with_key(&app, Method::GET, &path, key).await.status(), 200);
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
    let suspend = format!("/api/v1/platform/tenants/{}/suspend", ada.tenant_id);
    assert_eq!(
        app.send_with(
            Method::POST,
            &suspend,
            root["access_token"].as_str().unwrap(),
            None
        )
        .await
        .status(),
        200
    );
    assert_eq!(with_key(&app, Method::GET, &path, key).await.status(), 401);
}

#[tokio::test]
async fn last_used_at_is_recorded_in_batches() {
    let app = TestApp::builder()
        .env("GATEHOUSE_API_KEY_TOUCH_SECS", "1")
        .spawn()
        .await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let owner = app.login(&ada, &[]).await;
    let t = ada.tenant_id.clone();
    let (_, created) = create_key(
        &app,
        &owner,
        &t,
        json!({"name": "ci", "scopes": ["projects:read"]}),
    )
    .await;
    assert!(created["last_used_at"].is_null());
    with_key(
        &app,
        Method::GET,
        &format!("/api/v1/tenants/{t}/projects"),
        created["key"].as_str().unwrap(),
    )
    .await;
    let mut seen = Value::Null;
    for _ in 0..30 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let listed: Value = app
            .get_with(&format!("/api/v1/tenants/{t}/api-keys"), &owner.access)
            .await
            .json()
            .await
            .unwrap();
        seen = listed["items"][0]["last_used_at"].clone();
        if !seen.is_null() {
            break;
        }
    }
    assert!(seen.is_string(), "last_used_at never recorded");
}

/// One header for every credential: a key also works as `Authorization: Bearer gk_…`
/// (what a generated client sends), and is still refused where keys are not accepted.
#[tokio::test]
async fn a_key_works_as_a_bearer_credential_where_keys_are_accepted() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up("bearer-key@example.com", "bearer-key").await;
    let tokens = app.login(&owner, &[]).await;
    let key = app
        .new_api_key(&tokens.access, &owner.tenant_id, &["projects:read"])
        .await;
    let projects = format!("/api/v1/tenants/{}/projects", owner.tenant_id);
    assert_eq!(app.get_with(&projects, &key).await.status(), 200);
    let me = app.get_with("/api/v1/me", &key).await;
    assert_eq!(me.status(), 200);
    let me: serde_json::Value = me.json().await.unwrap();
    assert!(me["api_key"]["id"].is_string(), "{me}");
    // User-only: refused, and named as such.
    let sessions = app.get_with("/api/v1/me/sessions", &key).await;
    assert_eq!(sessions.status(), 401);
    let body: serde_json::Value = sessions.json().await.unwrap();
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("API keys are not accepted"),
        "{body}"
    );
    // A forged key in the bearer header is a 401 like any forged credential.
    let forged = format!("{}x", &key[..key.len() - 1]);
    assert_eq!(app.get_with(&projects, &forged).await.status(), 401);
}
