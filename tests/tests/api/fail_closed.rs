//! Dependencies going away and coming back: requests fail closed with 503 (never let a
//! possibly revoked token through, never hang) and recover without a restart.

use gatehouse_tests::services::{PrivateRedis, TcpProxy};
use gatehouse_tests::{TestApp, Tokens};
use serde_json::Value;
use std::time::{Duration, Instant};

async fn eventually(app: &TestApp, path: &str, token: &str, expected: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let status = app.get_with(path, token).await.status().as_u16();
        if status == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{path} still {status}, expected {expected}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn with_redis_down_authenticated_requests_get_503_and_recover_when_it_returns() {
    let mut redis = PrivateRedis::start().await;
    // No mirror: every request asks Redis, so the very next one fails.
    let app = TestApp::builder()
        .env("REDIS_URL", &redis.url())
        .env("GATEHOUSE_DEPENDENCY_TIMEOUT_MS", "500")
        .env("GATEHOUSE_REVOCATION_MAX_LAG_MS", "0")
        .spawn()
        .await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let tokens = app.login(&ada, &[]).await;
    assert_eq!(
        app.get_with("/api/v1/me", &tokens.access).await.status(),
        200
    );

    redis.stop();
    let started = Instant::now();
    let response = app.get_with("/api/v1/me", &tokens.access).await;
    assert_eq!(
        response.status(),
        503,
        "a token that cannot be checked must not pass"
    );
    assert!(started.elapsed() < Duration::from_secs(5), "no hang");
    assert!(response.headers().contains_key("retry-after"));
    let ready: Value = app.get("/readyz").await.json().await.unwrap();
    assert_eq!(ready["checks"]["redis"], "unavailable");
    assert_eq!(app.refresh(&tokens.refresh, &[]).await.status(), 503);

    redis.restart().await;
    eventually(&app, "/readyz", "", 200).await;
    // The restarted Redis is empty: what it held is lost, so every earlier token is refused
    // (SPEC §14; see redis_loss.rs).
    eventually(&app, "/api/v1/me", &tokens.access, 401).await;
    // A fresh Redis has lost the sessions: log in again and carry on.
    let again = app.login(&ada, &[]).await;
    assert_eq!(
        app.get_with("/api/v1/me", &again.access).await.status(),
        200
    );
}

#[tokio::test]
async fn with_postgres_unreachable_requests_get_503_and_recover_when_it_returns() {
    let direct = TestApp::spawn().await;
    let target = url::Url::parse(&direct.db.url).unwrap();
    let mut proxy = TcpProxy::start(&format!(
        "{}:{}",
        target.host_str().unwrap(),
        target.port().unwrap_or(5432)
    ))
    .await;
    let mut through_proxy = target.clone();
    through_proxy.set_port(Some(proxy.port)).unwrap();
    let app = TestApp::builder()
        .sharing_with(&direct)
        .env("DATABASE_URL", through_proxy.as_str())
        .env("GATEHOUSE_DEPENDENCY_TIMEOUT_MS", "1000")
        .spawn()
        .await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let tokens: Tokens = app.login(&ada, &[]).await;
    let tenant = format!("/api/v1/tenants/{}", ada.tenant_id);
    assert_eq!(app.get_with(&tenant, &tokens.access).await.status(), 200);
    let key = app
        .new_api_key(&tokens.access, &ada.tenant_id, &["tenant:read"])
        .await;

    proxy.stop();
    let started = Instant::now();
    assert_eq!(app.get_with(&tenant, &tokens.access).await.status(), 503);
    assert!(started.elapsed() < Duration::from_secs(5), "no hang");
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 503);
    assert_eq!(
        ready.json::<Value>().await.unwrap()["checks"]["postgres"],
        "unavailable"
    );
    // Authentication itself reads no database: the token still authenticates.
    assert_eq!(
        app.get_with("/api/v1/permissions", &tokens.access)
            .await
            .status(),
        200
    );
    // A forged API key (its checksum wrong) is refused with no database work (SPEC §8):
    // 401, not the 503 a lookup would meet.
    let forged = format!("{}000000000000", &key[..key.len() - 12]);
    let refused = app
        .send_with_key(reqwest::Method::GET, &tenant, &forged, None)
        .await;
    assert_eq!(refused.status(), 401);

    proxy.restart().await;
    eventually(&app, &tenant, &tokens.access, 200).await;
}

#[tokio::test]
async fn with_redis_down_the_mirror_stops_answering_within_its_lag_and_resyncs_after() {
    let mut redis = PrivateRedis::start().await;
    let app = TestApp::builder()
        .env("REDIS_URL", &redis.url())
        .env("GATEHOUSE_DEPENDENCY_TIMEOUT_MS", "500")
        .env("GATEHOUSE_REVOCATION_MAX_LAG_MS", "400")
        .spawn()
        .await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let tokens = app.login(&ada, &[]).await;
    app.mirror_live().await;
    assert_eq!(
        app.get_with("/api/v1/me", &tokens.access).await.status(),
        200
    );

    redis.stop();
    let stopped = Instant::now();
    loop {
        let started = Instant::now();
        let status = app.get_with("/api/v1/me", &tokens.access).await.status();
        assert!(started.elapsed() < Duration::from_secs(5), "no hang");
        if status == 503 {
            break;
        }
        assert_eq!(status, 200);
        // The lag bounds how long the mirror may answer alone (plus scheduling slack).
        assert!(
            stopped.elapsed() < Duration::from_millis(1500),
            "the mirror still answered {:?} after Redis went away",
            stopped.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!app.revocation_checks().await.2, "the mirror is not live");

    redis.restart().await;
    eventually(&app, "/readyz", "", 200).await;
    app.mirror_live().await;
    // The restarted Redis is empty: the old token is refused as issued before the reset
    // (SPEC §14), and a revocation made now is enforced by the resynced mirror.
    eventually(&app, "/api/v1/me", &tokens.access, 401).await;
    let again = app.login(&ada, &[]).await;
    assert_eq!(
        app.post_form("/oauth/revoke", &[("token", &again.access)])
            .await
            .status(),
        200
    );
    assert_eq!(
        app.get_with("/api/v1/me", &again.access).await.status(),
        401
    );
}
