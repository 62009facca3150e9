use gatehouse_tests::{PASSWORD, TestApp};
use serde_json::{Value, json};

fn body(email: &str, password: &str, slug: &str) -> Value {
    json!({"email": email, "password": password, "display_name": "Ada Lovelace", "tenant": {"name": "Acme", "slug": slug}})
}

#[tokio::test]
async fn signup_creates_the_user_the_tenant_and_its_owner() {
    let app = TestApp::spawn().await;
    let response = app
        .post_json("/api/v1/signup", &body("Ada@Example.com", PASSWORD, "acme"))
        .await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["user"]["email"], "ada@example.com");
    assert_eq!(created["tenant"]["slug"], "acme");
    assert_eq!(created["tenant"]["status"], "active");
    assert!(created["user"].get("password_hash").is_none());

    let response = app.password_grant("ada@example.com", PASSWORD, &[]).await;
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.unwrap();
    let scopes: Vec<&str> = tokens["scope"].as_str().unwrap().split(' ').collect();
    assert!(scopes.contains(&"roles:write") && scopes.contains(&"audit:read"));
    assert!(!scopes.contains(&"platform:admin"));

    let mine: Value = app
        .get_with(
            "/api/v1/me/tenants",
            tokens["access_token"].as_str().unwrap(),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["items"][0]["tenant"]["slug"], "acme");
    assert_eq!(mine["items"][0]["roles"][0]["name"], "owner");
}

#[tokio::test]
async fn duplicate_email_in_any_case_is_a_conflict() {
    let app = TestApp::spawn().await;
    app.sign_up("ada@example.com", "acme").await;
    let response = app
        .post_json(
            "/api/v1/signup",
            &body("ADA@example.com", PASSWORD, "other"),
        )
        .await;
    assert_eq!(response.status(), 409);
    let problem: Value = response.json().await.unwrap();
    assert!(problem["detail"].as_str().unwrap().contains("email"));
    // Nothing of the failed signup remains: the slug is still free.
    app.sign_up("grace@example.com", "other").await;
}

#[tokio::test]
async fn duplicate_slug_is_a_conflict() {
    let app = TestApp::spawn().await;
    app.sign_up("ada@example.com", "acme").await;
    let response = app
        .post_json(
            "/api/v1/signup",
            &body("grace@example.com", PASSWORD, "acme"),
        )
        .await;
    assert_eq!(response.status(), 409);
    // The user of the failed signup was rolled back with it.
    app.sign_up("grace@example.com", "grace").await;
}

#[tokio::test]
async fn invalid_fields_are_all_reported_with_422() {
    let app = TestApp::spawn().await;
    let response = app
        .post_json(
            "/api/v1/signup",
            &body("not-an-email", "password123", "-Bad-"),
        )
        .await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = response.json().await.unwrap();
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"email")
            && fields.contains(&"password")
            && fields.contains(&"tenant.slug"),
        "{fields:?}"
    );
}

#[tokio::test]
async fn weak_passwords_are_refused_with_a_helpful_message() {
    let app = TestApp::spawn().await;
    for weak in [
        "short",
        "passwordpassword",
        "ada@example.com1",
        &"x".repeat(1025),
    ] {
        let response = app
            .post_json("/api/v1/signup", &body("ada@example.com", weak, "acme"))
            .await;
        assert_eq!(response.status(), 422, "{weak}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], "password");
        assert!(!problem["errors"][0]["message"].as_str().unwrap().is_empty());
    }
}

#[tokio::test]
async fn signup_can_be_closed() {
    let app = TestApp::builder()
        .env("GATEHOUSE_SIGNUP", "closed")
        .spawn()
        .await;
    let response = app
        .post_json("/api/v1/signup", &body("ada@example.com", PASSWORD, "acme"))
        .await;
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn a_logged_in_user_creates_another_tenant_and_owns_it() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let tokens = app.login(&ada, &[]).await;
    let response = app
        .send_with(
            reqwest::Method::POST,
            "/api/v1/tenants",
            &tokens.access,
            Some(json!({"name": "Globex", "slug": "globex"})),
        )
        .await;
    assert_eq!(response.status(), 201);
    let conflict = app
        .send_with(
            reqwest::Method::POST,
            "/api/v1/tenants",
            &tokens.access,
            Some(json!({"name": "Globex", "slug": "globex"})),
        )
        .await;
    assert_eq!(conflict.status(), 409);
    let invalid = app
        .send_with(
            reqwest::Method::POST,
            "/api/v1/tenants",
            &tokens.access,
            Some(json!({"name": "", "slug": "x"})),
        )
        .await;
    assert_eq!(invalid.status(), 422);
    // Switch the session to the new tenant: owner scopes there.
    let switched = app.refresh(&tokens.refresh, &[("tenant", "globex")]).await;
    assert_eq!(switched.status(), 200);
    let switched: Value = switched.json().await.unwrap();
    let me: Value = app
        .get_with("/api/v1/me", switched["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["tenant"]["slug"], "globex");
}
