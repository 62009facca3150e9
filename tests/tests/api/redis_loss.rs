//! SPEC §14, "Redis state loss fails closed": a Redis that restarts empty must not bring
//! revoked tokens back. Each test runs its own `redis-server` and really restarts it empty
//! (`--save '' --appendonly no`); the shared Redis is never touched.

use gatehouse_tests::services::{PrivateRedis, TcpProxy};
use gatehouse_tests::{Account, TestApp, Tokens};
use reqwest::Method;
use serde_json::json;
use std::time::{Duration, Instant};

const RESET: &str = "sessions were reset";

fn app_on(redis: &PrivateRedis, max_lag_ms: &str) -> gatehouse_tests::TestAppBuilder {
    TestApp::builder()
        .env("REDIS_URL", &redis.url())
        .env("GATEHOUSE_DEPENDENCY_TIMEOUT_MS", "500")
        .env("GATEHOUSE_REVOCATION_MAX_LAG_MS", max_lag_ms)
}

/// `<p>epoch` in the private Redis.
fn sentinel(redis: &PrivateRedis, app: &TestApp) -> Option<String> {
    let client = redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_connection().unwrap();
    redis::cmd("GET")
        .arg(format!("{}epoch", app.redis_prefix))
        .query(&mut conn)
        .unwrap()
}

/// The `WWW-Authenticate` challenge of a 401, or the status if it is not a 401.
async fn refusal(app: &TestApp, token: &str) -> Result<String, u16> {
    let response = app.get_with("/api/v1/me", token).await;
    match response.status().as_u16() {
        401 => Ok(response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_owned()),
        other => Err(other),
    }
}

/// Waits until `token` is refused as issued before a reset; it must never pass meanwhile
/// (503 is fine: the epoch is being re-established).
async fn refused_as_reset(app: &TestApp, token: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match refusal(app, token).await {
            Ok(challenge) if challenge.contains(RESET) => {
                assert!(challenge.contains("invalid_token"), "{challenge}");
                return;
            }
            Ok(challenge) => panic!("refused, but not as a reset: {challenge}"),
            Err(503) => {}
            Err(status) => panic!("a token issued before the loss answered {status}"),
        }
        assert!(Instant::now() < deadline, "the loss was never noticed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Signs in and checks the fresh token works (with a retry while the epoch settles).
async fn signs_in_again(app: &TestApp, account: &Account) -> Tokens {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let response = app
            .password_grant(&account.email, &account.password, &[])
            .await;
        if response.status() == 200 {
            let tokens = Tokens::from(response.json::<serde_json::Value>().await.unwrap());
            assert_eq!(
                app.get_with("/api/v1/me", &tokens.access).await.status(),
                200,
                "a token issued after the reset works"
            );
            return tokens;
        }
        assert!(
            Instant::now() < deadline,
            "login still {}",
            response.status()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn logout(app: &TestApp, tokens: &Tokens) {
    let status = app
        .send_with(Method::POST, "/api/v1/auth/logout", &tokens.access, None)
        .await
        .status();
    assert_eq!(status, 204);
    assert_eq!(
        app.get_with("/api/v1/me", &tokens.access).await.status(),
        401
    );
}

#[tokio::test]
async fn a_first_start_under_an_unseen_prefix_is_not_a_reset() {
    let redis = PrivateRedis::start().await;
    let app = app_on(&redis, "400").spawn().await;
    assert_eq!(
        sentinel(&redis, &app).as_deref(),
        Some("1"),
        "written at start"
    );
    let ada = app.sign_up("ada@example.com", "acme").await;
    let tokens = app.login(&ada, &[]).await;
    assert_eq!(
        app.get_with("/api/v1/me", &tokens.access).await.status(),
        200
    );
    app.mirror_live().await;
    assert_eq!(
        app.get_with("/api/v1/me", &tokens.access).await.status(),
        200
    );

    // A second instance of the deployment finds the same epoch: nothing is reset.
    let two = app_on(&redis, "0").sharing_with(&app).spawn().await;
    assert_eq!(
        two.get_with("/api/v1/me", &tokens.access).await.status(),
        200
    );
    assert_eq!(sentinel(&redis, &app).as_deref(), Some("1"));
}

#[tokio::test]
async fn after_redis_restarts_empty_a_restarted_api_refuses_every_earlier_token() {
    let mut redis = PrivateRedis::start().await;
    // The first process reaches Redis through a proxy: cutting it is that process gone.
    let mut proxy = TcpProxy::start(&format!("127.0.0.1:{}", redis.port)).await;
    let through = format!("redis://127.0.0.1:{}", proxy.port);
    let before = TestApp::builder()
        .env("REDIS_URL", &through)
        .env("GATEHOUSE_DEPENDENCY_TIMEOUT_MS", "500")
        .spawn()
        .await;
    let ada = before.sign_up("ada@example.com", "acme").await;
    let logged_out = before.login(&ada, &[]).await;
    logout(&before, &logged_out).await;
    let live = before.login(&ada, &[]).await;
    assert_eq!(
        before.get_with("/api/v1/me", &live.access).await.status(),
        200
    );

    proxy.stop();
    redis.stop();
    redis.restart().await;
    let after = app_on(&redis, "400").sharing_with(&before).spawn().await;
    assert_eq!(
        sentinel(&redis, &after).as_deref(),
        Some("2"),
        "the restarted instance found the loss at start and reset the epoch"
    );

    let challenge = refusal(&after, &logged_out.access).await.unwrap();
    assert!(challenge.contains("invalid_token"), "{challenge}");
    let challenge = refusal(&after, &live.access).await.unwrap();
    assert!(challenge.contains(RESET), "{challenge}");
    assert_eq!(
        after.refresh(&live.refresh, &[]).await.status(),
        400,
        "refresh tokens went with Redis"
    );
    signs_in_again(&after, &ada).await;
    // The mirror, once live, applies the reset as well.
    after.mirror_live().await;
    assert!(refusal(&after, &live.access).await.unwrap().contains(RESET));
    assert!(
        refusal(&after, &logged_out.access)
            .await
            .unwrap()
            .contains(RESET)
    );
}

#[tokio::test]
async fn a_running_instance_with_a_mirror_notices_the_loss_when_it_resubscribes() {
    let mut redis = PrivateRedis::start().await;
    let app = app_on(&redis, "400").spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let logged_out = app.login(&ada, &[]).await;
    logout(&app, &logged_out).await;
    let live = app.login(&ada, &[]).await;
    app.mirror_live().await;
    assert_eq!(app.get_with("/api/v1/me", &live.access).await.status(), 200);

    redis.stop();
    redis.restart().await;
    refused_as_reset(&app, &live.access).await;
    assert!(refusal(&app, &logged_out.access).await.is_ok());
    app.mirror_live().await;
    refused_as_reset(&app, &live.access).await;
    let again = signs_in_again(&app, &ada).await;
    logout(&app, &again).await;
    assert_eq!(sentinel(&redis, &app).as_deref(), Some("2"));
}

#[tokio::test]
async fn without_a_mirror_the_per_request_check_notices_the_loss() {
    let mut redis = PrivateRedis::start().await;
    let app = app_on(&redis, "0").spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let logged_out = app.login(&ada, &[]).await;
    logout(&app, &logged_out).await;
    let live = app.login(&ada, &[]).await;

    redis.stop();
    redis.restart().await;
    // Every check reads the sentinel with the lists: once Redis answers (the first call may
    // meet the broken connection: 503), the missing sentinel is found and the epoch reset.
    refused_as_reset(&app, &live.access).await;
    assert!(refusal(&app, &logged_out.access).await.is_ok());
    signs_in_again(&app, &ada).await;
    assert_eq!(sentinel(&redis, &app).as_deref(), Some("2"));
}

#[tokio::test]
async fn two_instances_noticing_one_loss_reset_once() {
    let mut redis = PrivateRedis::start().await;
    let one = app_on(&redis, "400").spawn().await;
    let two = app_on(&redis, "400").sharing_with(&one).spawn().await;
    let ada = one.sign_up("ada@example.com", "acme").await;
    let live = one.login(&ada, &[]).await;
    one.mirror_live().await;
    two.mirror_live().await;

    redis.stop();
    redis.restart().await;
    refused_as_reset(&one, &live.access).await;
    refused_as_reset(&two, &live.access).await;
    one.mirror_live().await;
    two.mirror_live().await;
    assert_eq!(
        sentinel(&redis, &one).as_deref(),
        Some("2"),
        "one reset (a second would have moved the epoch to 3)"
    );
    // Neither reset after the other: a token issued now works on both.
    let again = signs_in_again(&one, &ada).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        two.get_with("/api/v1/me", &again.access).await.status(),
        200
    );
    assert_eq!(
        one.get_with("/api/v1/me", &again.access).await.status(),
        200
    );
}

#[tokio::test]
async fn an_api_key_revoked_before_the_loss_is_not_served_from_a_cache() {
    let mut redis = PrivateRedis::start().await;
    let one = app_on(&redis, "400").spawn().await;
    let two = app_on(&redis, "400").sharing_with(&one).spawn().await;
    let ada = one.sign_up("ada@example.com", "acme").await;
    let owner = one.login(&ada, &[]).await;
    let t = ada.tenant_id.clone();
    let created: serde_json::Value = one
        .send_with(
            Method::POST,
            &format!("/api/v1/tenants/{t}/api-keys"),
            &owner.access,
            Some(json!({"name": "ci", "scopes": ["projects:read"]})),
        )
        .await
        .json()
        .await
        .unwrap();
    let key = created["key"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/tenants/{t}/projects");
    let with_key = |app: &TestApp| {
        app.client
            .get(app.url(&path))
            .header("x-api-key", key.clone())
            .send()
    };
    // Instance two caches the key, then it is revoked (through instance one).
    assert_eq!(with_key(&two).await.unwrap().status(), 200);
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
    assert_eq!(with_key(&two).await.unwrap().status(), 401);

    redis.stop();
    redis.restart().await;
    // The revocation marker is gone with Redis; the cached row is not trusted.
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        let status = with_key(&two).await.unwrap().status();
        assert!(status == 401 || status == 503, "{status}");
        // Few enough tries to stay under the per-address failure limit (then 429).
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    two.mirror_live().await;
    assert_eq!(with_key(&two).await.unwrap().status(), 401);
}
