use gatehouse_tests::TestApp;

#[tokio::test]
async fn healthz_answers_ok() {
    let app = TestApp::spawn().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("x-request-id"));
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body, serde_json::json!({"status": "ok"}));
}

#[tokio::test]
async fn readyz_is_ok_when_postgres_and_redis_answer() {
    let app = TestApp::spawn().await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["checks"]["postgres"], "ok");
    assert_eq!(body["checks"]["redis"], "ok");
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn readyz_names_redis_when_redis_is_unreachable() {
    let app = TestApp::builder()
        .env("REDIS_URL", &format!("redis://127.0.0.1:{}", closed_port()))
        .env("GATEHOUSE_DEPENDENCY_TIMEOUT_MS", "500")
        .spawn()
        .await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["checks"]["redis"], "unavailable");
    assert_eq!(body["checks"]["postgres"], "ok");
}

#[tokio::test]
async fn readyz_names_postgres_when_postgres_is_unreachable() {
    let app = TestApp::builder()
        .env(
            "DATABASE_URL",
            &format!("postgres://gatehouse:x@127.0.0.1:{}/nope", closed_port()),
        )
        .env("GATEHOUSE_DEPENDENCY_TIMEOUT_MS", "500")
        .spawn()
        .await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["checks"]["postgres"], "unavailable");
    assert_eq!(body["checks"]["redis"], "ok");
}

#[tokio::test]
async fn responses_carry_security_headers() {
    let app = TestApp::builder()
        .env("GATEHOUSE_HSTS_SECS", "31536000")
        .spawn()
        .await;
    let response = app.get("/healthz").await;
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert_eq!(response.headers()["referrer-policy"], "no-referrer");
    assert!(
        response.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .contains("max-age=31536000")
    );
}

#[tokio::test]
async fn metrics_are_exposed_in_prometheus_text() {
    let app = TestApp::spawn().await;
    app.get("/healthz").await;
    app.get("/no/such/route").await;
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = response.text().await.unwrap();
    let value = |series: &str| -> u64 {
        text.lines()
            .find(|l| l.starts_with(series))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    assert!(value("gatehouse_http_responses_total{class=\"2xx\"}") >= 1);
    assert!(value("gatehouse_http_responses_total{class=\"4xx\"}") >= 1);
    assert!(text.contains("# TYPE gatehouse_http_request_duration_seconds histogram"));
}
