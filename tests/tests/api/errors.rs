use gatehouse_tests::TestApp;

async fn assert_problem(response: reqwest::Response, status: u16) -> serde_json::Value {
    assert_eq!(response.status(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], status);
    assert!(
        body["type"].is_string() && body["title"].is_string() && body["detail"].is_string(),
        "{body}"
    );
    body
}

#[tokio::test]
async fn unknown_route_is_a_404_problem() {
    let app = TestApp::spawn().await;
    let response = app.get("/no/such/route").await;
    assert!(response.headers().contains_key("x-request-id"));
    assert_problem(response, 404).await;
}

#[tokio::test]
async fn malformed_json_is_a_400_problem() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .post(app.url("/api/v1/signup"))
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    assert_problem(response, 400).await;
}

#[tokio::test]
async fn json_of_the_wrong_shape_is_a_400_problem() {
    let app = TestApp::spawn().await;
    let response = app
        .post_json("/api/v1/signup", &serde_json::json!({"email": 42}))
        .await;
    assert_problem(response, 400).await;
}

#[tokio::test]
async fn oversized_json_is_a_413_problem() {
    let app = TestApp::spawn().await;
    let big = format!("{{\"email\": \"{}\"}}", "a".repeat(200 * 1024));
    let response = app
        .client
        .post(app.url("/api/v1/signup"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_problem(response, 413).await;
}

#[tokio::test]
async fn missing_credentials_get_a_bearer_challenge_without_an_error_code() {
    let app = TestApp::spawn().await;
    let response = app.get("/api/v1/me").await;
    assert_eq!(
        response.headers()["www-authenticate"],
        r#"Bearer realm="gatehouse""#
    );
    assert_problem(response, 401).await;
}

#[tokio::test]
async fn a_bad_token_gets_invalid_token() {
    let app = TestApp::spawn().await;
    let response = app.get_with("/api/v1/me", "not.a.jwt").await;
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        challenge.starts_with(r#"Bearer realm="gatehouse", error="invalid_token""#),
        "{challenge}"
    );
    assert_problem(response, 401).await;
}

/// SPEC §15: an optional field is documented as "may be left out", never as nullable, so
/// an explicit `null` breaks the document and is refused, not read as "absent".
#[tokio::test]
async fn an_explicit_null_for_an_optional_field_is_refused() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let tokens = app.login(&ada, &[]).await;
    let tenant = &ada.tenant_id;
    for (method, path, body) in [
        (
            reqwest::Method::POST,
            format!("/api/v1/tenants/{tenant}/api-keys"),
            serde_json::json!({"name": "ci", "scopes": [], "expires_at": null}),
        ),
        (
            reqwest::Method::POST,
            format!("/api/v1/tenants/{tenant}/projects"),
            serde_json::json!({"name": "Apollo", "description": null}),
        ),
    ] {
        let response = app
            .send_with(method, &path, &tokens.access, Some(body))
            .await;
        let status = response.status().as_u16();
        let problem: serde_json::Value = response.json().await.unwrap();
        assert!([400, 422].contains(&status), "{path}: {status} {problem}");
        assert!(
            problem["detail"].as_str().unwrap().contains("null"),
            "{problem}"
        );
    }
    // Left out, the same fields are fine.
    let created = app
        .send_with(
            reqwest::Method::POST,
            &format!("/api/v1/tenants/{tenant}/projects"),
            &tokens.access,
            Some(serde_json::json!({"name": "Apollo"})),
        )
        .await;
    assert_eq!(created.status(), 201);
}
