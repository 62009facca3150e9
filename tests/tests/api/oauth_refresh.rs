use gatehouse_tests::{TestApp, Tokens, claims_of};
use serde_json::Value;
use std::time::Duration;

async fn pair(response: reqwest::Response) -> (u16, String) {
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn refresh_rotates_the_token_and_keeps_the_session() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let first = app.login(&ada, &[]).await;
    let response = app.refresh(&first.refresh, &[]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let second = Tokens::from(response.json::<Value>().await.unwrap());
    assert_ne!(second.refresh, first.refresh);
    assert_ne!(second.access, first.access);
    assert_eq!(
        claims_of(&second.access)["sid"],
        claims_of(&first.access)["sid"]
    );
    assert_eq!(second.scope, first.scope);
    assert_eq!(
        app.get_with("/api/v1/me", &second.access).await.status(),
        200
    );
    // And the new one rotates in turn.
    assert_eq!(app.refresh(&second.refresh, &[]).await.status(), 200);
}

#[tokio::test]
async fn a_retry_within_the_grace_period_gets_the_same_pair_byte_for_byte() {
    let app = TestApp::builder()
        .env("GATEHOUSE_REFRESH_REUSE_GRACE", "5")
        .spawn()
        .await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let first = app.login(&ada, &[]).await;
    let (status_a, body_a) = pair(app.refresh(&first.refresh, &[]).await).await;
    let (status_b, body_b) = pair(app.refresh(&first.refresh, &[]).await).await;
    assert_eq!((status_a, status_b), (200, 200));
    assert_eq!(body_a, body_b);
    // The live pair works.
    let live = Tokens::from(serde_json::from_str::<Value>(&body_a).unwrap());
    assert_eq!(app.get_with("/api/v1/me", &live.access).await.status(), 200);
    assert_eq!(app.refresh(&live.refresh, &[]).await.status(), 200);
}

#[tokio::test]
async fn twenty_concurrent_refreshes_rotate_once_and_all_get_the_same_pair() {
    let app = TestApp::builder()
        .env("GATEHOUSE_REFRESH_REUSE_GRACE", "10")
        .env("GATEHOUSE_HTTP_WORKERS", "2")
        .spawn()
        .await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let first = app.login(&ada, &[]).await;
    let attempts = (0..20).map(|_| app.refresh(&first.refresh, &[]));
    let responses = futures_util::future::join_all(attempts).await;
    let mut bodies = Vec::new();
    for response in responses {
        assert_eq!(response.status(), 200);
        bodies.push(response.text().await.unwrap());
    }
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "every caller holds the same pair"
    );
    // Exactly one rotation: the pair they hold is the live one and rotates normally.
    let live = Tokens::from(serde_json::from_str::<Value>(&bodies[0]).unwrap());
    assert_eq!(app.refresh(&live.refresh, &[]).await.status(), 200);
}

#[tokio::test]
async fn a_spent_token_after_the_grace_period_revokes_the_whole_session() {
    let app = TestApp::builder()
        .env("GATEHOUSE_REFRESH_REUSE_GRACE", "1")
        .spawn()
        .await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let first = app.login(&ada, &[]).await;
    let second = Tokens::from(
        app.refresh(&first.refresh, &[])
            .await
            .json::<Value>()
            .await
            .unwrap(),
    );
    tokio::time::sleep(Duration::from_millis(1300)).await;

    let reuse = app.refresh(&first.refresh, &[]).await;
    assert_eq!(reuse.status(), 400);
    let body: Value = reuse.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    // The thief's replay killed the family: the legitimate pair is dead too.
    assert_eq!(app.refresh(&second.refresh, &[]).await.status(), 400);
    assert_eq!(
        app.get_with("/api/v1/me", &second.access).await.status(),
        401
    );
    assert_eq!(
        app.get_with("/api/v1/me", &first.access).await.status(),
        401
    );
    // Other sessions of the user are untouched.
    let other = app.login(&ada, &[]).await;
    assert_eq!(
        app.get_with("/api/v1/me", &other.access).await.status(),
        200
    );
}

#[tokio::test]
async fn with_no_grace_a_replay_is_reuse_at_once() {
    let app = TestApp::builder()
        .env("GATEHOUSE_REFRESH_REUSE_GRACE", "0")
        .spawn()
        .await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let first = app.login(&ada, &[]).await;
    let second = Tokens::from(
        app.refresh(&first.refresh, &[])
            .await
            .json::<Value>()
            .await
            .unwrap(),
    );
    assert_eq!(app.refresh(&first.refresh, &[]).await.status(), 400);
    assert_eq!(app.refresh(&second.refresh, &[]).await.status(), 400);
}

#[tokio::test]
async fn a_made_up_token_naming_a_real_session_revokes_nothing() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let tokens = app.login(&ada, &[]).await;
    // Same session id prefix, random rest: the attacker knows the sid, not the secret.
    use base64::Engine;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut bytes = engine.decode(&tokens.refresh).unwrap();
    bytes[20] ^= 0xff;
    let made_up = engine.encode(bytes);
    assert_eq!(app.refresh(&made_up, &[]).await.status(), 400);
    assert_eq!(
        app.post_form("/oauth/revoke", &[("token", &made_up)])
            .await
            .status(),
        200
    );
    assert_eq!(
        app.refresh(&tokens.refresh, &[]).await.status(),
        200,
        "the real session survives"
    );
}

#[tokio::test]
async fn refresh_may_narrow_the_scope_but_never_widen_it() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let narrow = app
        .login(&ada, &[("scope", "tenant:read members:read")])
        .await;
    let response = app
        .refresh(&narrow.refresh, &[("scope", "tenant:read")])
        .await;
    assert_eq!(response.status(), 200);
    let narrowed = Tokens::from(response.json::<Value>().await.unwrap());
    assert_eq!(narrowed.scope, "tenant:read");
    // The session keeps its original grant: the next refresh may ask for it again.
    let response = app
        .refresh(&narrowed.refresh, &[("scope", "tenant:read members:read")])
        .await;
    assert_eq!(response.status(), 200);
    let wider = Tokens::from(response.json::<Value>().await.unwrap());
    let response = app
        .refresh(&wider.refresh, &[("scope", "tenant:read roles:write")])
        .await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"],
        "invalid_scope"
    );
}

#[tokio::test]
async fn switching_to_a_tenant_the_user_is_not_in_is_refused() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    app.sign_up("eve@example.com", "evil").await;
    let tokens = app.login(&ada, &[]).await;
    let response = app.refresh(&tokens.refresh, &[("tenant", "evil")]).await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
}

#[tokio::test]
async fn garbage_refresh_tokens_are_invalid_grant() {
    let app = TestApp::spawn().await;
    for token in ["x", "eyJhbGciOiJIUzI1NiJ9.e30.abc", &"A".repeat(64)] {
        let response = app.refresh(token, &[]).await;
        assert_eq!(response.status(), 400);
        assert_eq!(
            response.json::<Value>().await.unwrap()["error"],
            "invalid_grant"
        );
    }
}
