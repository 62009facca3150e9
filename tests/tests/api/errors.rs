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
