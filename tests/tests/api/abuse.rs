//! SPEC §8: rate limits per client IP, lockout per submitted username, CORS, headers, body
//! limits.

use gatehouse_tests::{PASSWORD, TestApp};
use serde_json::{Value, json};
use std::time::Duration;

async fn token_attempt(
    app: &TestApp,
    username: &str,
    password: &str,
    forwarded_for: Option<&str>,
) -> reqwest::Response {
    let mut request = app.client.post(app.url("/oauth/token")).form(&[
        ("grant_type", "password"),
        ("username", username),
        ("password", password),
    ]);
    if let Some(ip) = forwarded_for {
        request = request.header("x-forwarded-for", ip);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn the_token_endpoint_is_rate_limited_per_client_ip() {
    let app = TestApp::builder()
        .env("GATEHOUSE_LOGIN_RATE", "3")
        .spawn()
        .await;
    for _ in 0..3 {
        assert_eq!(
            token_attempt(&app, "a@example.com", "x", None)
                .await
                .status(),
            400
        );
    }
    let limited = token_attempt(&app, "b@example.com", "x", None).await;
    assert_eq!(limited.status(), 429);
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after));
    assert_eq!(limited.headers()["cache-control"], "no-store");
    // A spoofed X-Forwarded-For from an untrusted peer changes nothing.
    assert_eq!(
        token_attempt(&app, "c@example.com", "x", Some("198.51.100.7"))
            .await
            .status(),
        429
    );
}

#[tokio::test]
async fn forwarded_for_is_believed_only_from_trusted_proxies() {
    let app = TestApp::builder()
        .env("GATEHOUSE_LOGIN_RATE", "2")
        .env("GATEHOUSE_TRUSTED_PROXIES", "127.0.0.1/32")
        .spawn()
        .await;
    for _ in 0..2 {
        assert_eq!(
            token_attempt(&app, "a@example.com", "x", Some("203.0.113.1"))
                .await
                .status(),
            400
        );
    }
    assert_eq!(
        token_attempt(&app, "a@example.com", "x", Some("203.0.113.1"))
            .await
            .status(),
        429
    );
    // Another client behind the same proxy has its own allowance; a client-supplied left
    // part does not help the limited one.
    assert_eq!(
        token_attempt(&app, "a@example.com", "x", Some("203.0.113.2"))
            .await
            .status(),
        400
    );
    assert_eq!(
        token_attempt(&app, "a@example.com", "x", Some("10.9.9.9, 203.0.113.1"))
            .await
            .status(),
        429
    );
}

#[tokio::test]
async fn signup_and_invitation_accept_are_rate_limited_too() {
    let app = TestApp::builder()
        .env("GATEHOUSE_LOGIN_RATE", "1")
        .spawn()
        .await;
    let body = json!({"email": "x", "password": "x", "display_name": "x", "tenant": {"name": "x", "slug": "x"}});
    assert_eq!(app.post_json("/api/v1/signup", &body).await.status(), 422);
    let limited = app.post_json("/api/v1/signup", &body).await;
    assert_eq!(limited.status(), 429);
    assert_eq!(
        limited.headers()["content-type"],
        "application/problem+json"
    );
    assert!(limited.headers().contains_key("retry-after"));
    assert_eq!(
        app.post_json("/api/v1/invitations/accept", &json!({"token": "x"}))
            .await
            .status(),
        404
    );
    assert_eq!(
        app.post_json("/api/v1/invitations/accept", &json!({"token": "x"}))
            .await
            .status(),
        429
    );
}

#[tokio::test]
async fn repeated_failures_lock_the_username_with_growing_backoff() {
    let app = TestApp::builder()
        .env("GATEHOUSE_LOCKOUT_THRESHOLD", "3")
        .env("GATEHOUSE_LOCKOUT_BASE_SECS", "1")
        .spawn()
        .await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    for _ in 0..3 {
        assert_eq!(
            token_attempt(&app, "ada@example.com", "wrong password here", None)
                .await
                .status(),
            400
        );
    }
    // Locked: even the right password is refused, before it is checked.
    let locked = token_attempt(&app, "ada@example.com", PASSWORD, None).await;
    assert_eq!(locked.status(), 429);
    let body: Value = locked.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable");
    // Other usernames are not affected, and the spelling does not matter.
    assert_eq!(
        token_attempt(&app, " ADA@example.com", PASSWORD, None)
            .await
            .status(),
        429
    );

    tokio::time::sleep(Duration::from_millis(1100)).await;
    // One more failure: locked again, for twice as long.
    assert_eq!(
        token_attempt(&app, "ada@example.com", "wrong password here", None)
            .await
            .status(),
        400
    );
    let relocked = token_attempt(&app, "ada@example.com", PASSWORD, None).await;
    assert_eq!(relocked.status(), 429);
    assert_eq!(relocked.headers()["retry-after"], "2");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    // Success clears the record: the next failure does not lock.
    app.login(&ada, &[]).await;
    assert_eq!(
        token_attempt(&app, "ada@example.com", "wrong password here", None)
            .await
            .status(),
        400
    );
    assert_eq!(
        token_attempt(&app, "ada@example.com", PASSWORD, None)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn unknown_usernames_lock_like_real_ones() {
    let app = TestApp::builder()
        .env("GATEHOUSE_LOCKOUT_THRESHOLD", "2")
        .spawn()
        .await;
    for _ in 0..2 {
        assert_eq!(
            token_attempt(&app, "ghost@example.com", "whatever", None)
                .await
                .status(),
            400
        );
    }
    assert_eq!(
        token_attempt(&app, "ghost@example.com", "whatever", None)
            .await
            .status(),
        429
    );
}

#[tokio::test]
async fn cors_allows_only_the_listed_origins() {
    let app = TestApp::builder()
        .env("GATEHOUSE_CORS_ORIGINS", "https://app.example.com")
        .spawn()
        .await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/api/v1/me"))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .send()
    };
    let allowed = preflight("https://app.example.com").await.unwrap();
    assert!(allowed.status().is_success());
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    assert_eq!(
        allowed.headers()["access-control-allow-credentials"],
        "true"
    );
    let refused = preflight("https://evil.example").await.unwrap();
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    let simple = app
        .client
        .get(app.url("/healthz"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(
        simple
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn oversized_form_bodies_are_refused_with_413() {
    let app = TestApp::spawn().await;
    let big = format!(
        "grant_type=password&username=a&password={}",
        "x".repeat(100 * 1024)
    );
    let response = app
        .client
        .post(app.url("/oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
}

#[tokio::test]
async fn a_very_high_rate_limit_still_works() {
    // 60 000 / rate rounds to a zero-millisecond interval: the script must cope.
    let app = TestApp::builder()
        .env("GATEHOUSE_LOGIN_RATE", "1000000000")
        .spawn()
        .await;
    for _ in 0..3 {
        assert_eq!(
            token_attempt(&app, "a@example.com", "x", None)
                .await
                .status(),
            400
        );
    }
}
