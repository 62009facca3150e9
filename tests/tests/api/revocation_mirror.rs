//! The local mirror of the revocation lists: it answers checks without a Redis round trip
//! once live, learns revocations made anywhere (before it started or since), and a
//! revocation call returns only once every instance enforces it.

use gatehouse_tests::TestApp;
use reqwest::Method;

#[tokio::test]
async fn once_live_the_mirror_answers_checks_and_sees_revocations_at_once() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let tokens = app.login(&ada, &[]).await;
    app.mirror_live().await;
    let (mirror_before, redis_before, _) = app.revocation_checks().await;

    assert_eq!(
        app.get_with("/api/v1/me", &tokens.access).await.status(),
        200
    );
    assert_eq!(
        app.send_with(Method::POST, "/api/v1/auth/logout", &tokens.access, None)
            .await
            .status(),
        204
    );
    assert_eq!(
        app.get_with("/api/v1/me", &tokens.access).await.status(),
        401
    );

    let (mirror_after, redis_after, live) = app.revocation_checks().await;
    assert!(live);
    assert_eq!(mirror_after - mirror_before, 3, "me, logout and me again");
    assert_eq!(redis_after, redis_before, "no check went to Redis");
}

#[tokio::test]
async fn an_instance_started_after_revocations_loads_them() {
    let one = TestApp::spawn().await;
    let ada = one.sign_up("ada@example.com", "acme").await;
    let logged_out = one.login(&ada, &[]).await;
    let revoked = one.login(&ada, &[]).await;
    let untouched = one.login(&ada, &[]).await;
    assert_eq!(
        one.send_with(
            Method::POST,
            "/api/v1/auth/logout",
            &logged_out.access,
            None
        )
        .await
        .status(),
        204
    );
    assert_eq!(
        one.post_form("/oauth/revoke", &[("token", &revoked.access)])
            .await
            .status(),
        200
    );

    let two = TestApp::builder().sharing_with(&one).spawn().await;
    two.mirror_live().await;
    assert_eq!(
        two.get_with("/api/v1/me", &logged_out.access)
            .await
            .status(),
        401
    );
    assert_eq!(
        two.get_with("/api/v1/me", &revoked.access).await.status(),
        401
    );
    assert_eq!(
        two.get_with("/api/v1/me", &untouched.access).await.status(),
        200
    );
    let (by_mirror, by_redis, _) = two.revocation_checks().await;
    assert_eq!(
        (by_mirror, by_redis),
        (3, 0),
        "all answered by the loaded mirror"
    );
}

#[tokio::test]
async fn a_membership_change_on_one_instance_is_enforced_by_the_others_mirror_on_return() {
    let one = TestApp::spawn().await;
    let two = TestApp::builder().sharing_with(&one).spawn().await;
    let owner = one.sign_up("owner@example.com", "acme").await;
    let owner_tokens = one.login(&owner, &[]).await;
    let bob = one
        .add_member(&owner_tokens, &owner, "bob@example.com", &["viewer"])
        .await;
    let bob_tokens = one.login(&bob, &[]).await;
    one.mirror_live().await;
    two.mirror_live().await;
    // Both stamp themselves into the registry every writer waits on.
    let client = redis::Client::open(gatehouse_tests::db::redis_url()).unwrap();
    let mut redis = client.get_multiplexed_async_connection().await.unwrap();
    let mirrors: usize = redis::cmd("ZCARD")
        .arg(format!("{}revocation:mirrors", one.redis_prefix))
        .query_async(&mut redis)
        .await
        .unwrap();
    assert_eq!(mirrors, 2);
    let tenant = format!("/api/v1/tenants/{}", owner.tenant_id);
    assert_eq!(
        two.get_with(&tenant, &bob_tokens.access).await.status(),
        200
    );

    let member = format!("{tenant}/members/{}", bob.user_id);
    assert_eq!(
        one.send_with(Method::DELETE, &member, &owner_tokens.access, None)
            .await
            .status(),
        204
    );
    // No waiting: the removal returned once instance two had applied it.
    assert_eq!(
        two.get_with(&tenant, &bob_tokens.access).await.status(),
        401
    );
    let (_, by_redis, _) = two.revocation_checks().await;
    assert_eq!(by_redis, 0, "instance two answered from its mirror");
}

#[tokio::test]
async fn with_no_mirror_every_check_asks_redis() {
    let app = TestApp::builder()
        .env("GATEHOUSE_REVOCATION_MAX_LAG_MS", "0")
        .spawn()
        .await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let tokens = app.login(&ada, &[]).await;
    assert_eq!(
        app.get_with("/api/v1/me", &tokens.access).await.status(),
        200
    );
    assert_eq!(
        app.post_form("/oauth/revoke", &[("token", &tokens.access)])
            .await
            .status(),
        200
    );
    assert_eq!(
        app.get_with("/api/v1/me", &tokens.access).await.status(),
        401
    );
    let (by_mirror, by_redis, live) = app.revocation_checks().await;
    assert_eq!((by_mirror, by_redis, live), (0, 2, false));
}
