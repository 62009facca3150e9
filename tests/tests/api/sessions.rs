use gatehouse_tests::{PASSWORD, TestApp, Tokens, claims_of};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn logout_revokes_the_session_and_its_access_tokens() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let tokens = app.login(&ada, &[]).await;
    let other = app.login(&ada, &[]).await;
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
    assert_eq!(app.refresh(&tokens.refresh, &[]).await.status(), 400);
    assert_eq!(
        app.get_with("/api/v1/me", &other.access).await.status(),
        200,
        "other sessions live on"
    );
}

#[tokio::test]
async fn logout_everywhere_revokes_every_session() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let a = app.login(&ada, &[]).await;
    let b = app.login(&ada, &[]).await;
    assert_eq!(
        app.send_with(Method::POST, "/api/v1/auth/logout-all", &a.access, None)
            .await
            .status(),
        204
    );
    for tokens in [&a, &b] {
        assert_eq!(
            app.get_with("/api/v1/me", &tokens.access).await.status(),
            401
        );
        assert_eq!(app.refresh(&tokens.refresh, &[]).await.status(), 400);
    }
    let fresh = app.login(&ada, &[]).await;
    assert_eq!(
        app.get_with("/api/v1/me", &fresh.access).await.status(),
        200
    );
}

#[tokio::test]
async fn sessions_are_listed_with_the_current_one_marked_and_can_be_revoked() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let mine = app.login(&ada, &[]).await;
    let laptop = app.login(&ada, &[]).await;
    let list: Value = app
        .get_with("/api/v1/me/sessions", &mine.access)
        .await
        .json()
        .await
        .unwrap();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let current: Vec<_> = items.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["id"], claims_of(&mine.access)["sid"]);
    assert_eq!(current[0]["tenant_id"], ada.tenant_id.as_str());
    assert!(current[0]["created_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(current[0]["ip"], "127.0.0.1");

    let paged: Value = app
        .get_with("/api/v1/me/sessions?limit=1", &mine.access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(paged["items"].as_array().unwrap().len(), 1);
    let cursor = paged["next_cursor"].as_str().unwrap();
    let rest: Value = app
        .get_with(
            &format!("/api/v1/me/sessions?limit=1&cursor={cursor}"),
            &mine.access,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert!(rest["next_cursor"].is_null());
    assert_ne!(rest["items"][0]["id"], paged["items"][0]["id"]);
    assert_eq!(
        app.get_with("/api/v1/me/sessions?limit=0", &mine.access)
            .await
            .status(),
        422
    );

    let laptop_sid = claims_of(&laptop.access)["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = app
        .send_with(
            Method::DELETE,
            &format!("/api/v1/me/sessions/{laptop_sid}"),
            &mine.access,
            None,
        )
        .await;
    assert_eq!(response.status(), 204);
    assert_eq!(
        app.get_with("/api/v1/me", &laptop.access).await.status(),
        401
    );
    assert_eq!(app.get_with("/api/v1/me", &mine.access).await.status(), 200);
}

#[tokio::test]
async fn another_users_session_cannot_be_seen_or_revoked() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let eve = app.sign_up("eve@example.com", "evil").await;
    let ada_tokens = app.login(&ada, &[]).await;
    let eve_tokens = app.login(&eve, &[]).await;
    let ada_sid = claims_of(&ada_tokens.access)["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = app
        .send_with(
            Method::DELETE,
            &format!("/api/v1/me/sessions/{ada_sid}"),
            &eve_tokens.access,
            None,
        )
        .await;
    assert_eq!(response.status(), 404);
    assert_eq!(
        app.get_with("/api/v1/me", &ada_tokens.access)
            .await
            .status(),
        200
    );
    let eve_list: Value = app
        .get_with("/api/v1/me/sessions", &eve_tokens.access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(eve_list["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn oauth_revoke_kills_access_tokens_and_refresh_sessions_and_always_answers_200() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let a = app.login(&ada, &[]).await;
    assert_eq!(
        app.post_form("/oauth/revoke", &[("token", &a.access)])
            .await
            .status(),
        200
    );
    assert_eq!(app.get_with("/api/v1/me", &a.access).await.status(), 401);
    // Revoking one access token leaves its session able to refresh.
    assert_eq!(app.refresh(&a.refresh, &[]).await.status(), 200);

    let b = app.login(&ada, &[]).await;
    assert_eq!(
        app.post_form(
            "/oauth/revoke",
            &[("token", &b.refresh), ("token_type_hint", "refresh_token")]
        )
        .await
        .status(),
        200
    );
    assert_eq!(app.refresh(&b.refresh, &[]).await.status(), 400);
    assert_eq!(app.get_with("/api/v1/me", &b.access).await.status(), 401);

    assert_eq!(
        app.post_form("/oauth/revoke", &[("token", "garbage")])
            .await
            .status(),
        200
    );
    assert_eq!(
        app.post_form("/oauth/revoke", &[("nothing", "x")])
            .await
            .status(),
        400
    );
}

#[tokio::test]
async fn a_revocation_through_one_instance_is_enforced_by_another() {
    let one = TestApp::spawn().await;
    let two = TestApp::builder().sharing_with(&one).spawn().await;
    let ada = one.sign_up("ada@example.com", "acme").await;
    let tokens = one.login(&ada, &[]).await;
    assert_eq!(
        two.get_with("/api/v1/me", &tokens.access).await.status(),
        200
    );
    assert_eq!(
        one.send_with(Method::POST, "/api/v1/auth/logout", &tokens.access, None)
            .await
            .status(),
        204
    );
    assert_eq!(
        two.get_with("/api/v1/me", &tokens.access).await.status(),
        401
    );
    assert_eq!(two.refresh(&tokens.refresh, &[]).await.status(), 400);
}

#[tokio::test]
async fn changing_the_password_revokes_every_other_session_and_keeps_this_one() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let here = app.login(&ada, &[]).await;
    let elsewhere = app.login(&ada, &[]).await;
    let new_password = "an entirely different passphrase 7";

    let wrong = json!({"current_password": "not my password at all", "new_password": new_password});
    assert_eq!(
        app.send_with(
            Method::POST,
            "/api/v1/me/password",
            &here.access,
            Some(wrong)
        )
        .await
        .status(),
        403
    );
    let weak = json!({"current_password": PASSWORD, "new_password": "password"});
    assert_eq!(
        app.send_with(
            Method::POST,
            "/api/v1/me/password",
            &here.access,
            Some(weak)
        )
        .await
        .status(),
        422
    );

    let change = json!({"current_password": PASSWORD, "new_password": new_password});
    assert_eq!(
        app.send_with(
            Method::POST,
            "/api/v1/me/password",
            &here.access,
            Some(change)
        )
        .await
        .status(),
        204
    );
    assert_eq!(app.get_with("/api/v1/me", &here.access).await.status(), 200);
    assert_eq!(
        app.get_with("/api/v1/me", &elsewhere.access).await.status(),
        401
    );
    assert_eq!(app.refresh(&elsewhere.refresh, &[]).await.status(), 400);
    assert_eq!(app.refresh(&here.refresh, &[]).await.status(), 200);

    assert_eq!(
        app.password_grant(&ada.email, PASSWORD, &[]).await.status(),
        400
    );
    let response = app.password_grant(&ada.email, new_password, &[]).await;
    assert_eq!(response.status(), 200);
    let _ = Tokens::from(response.json::<Value>().await.unwrap());
}

#[tokio::test]
async fn a_disabled_users_tokens_stop_at_the_next_request() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let tokens = app.login(&ada, &[]).await;
    let env = app.env.clone();
    let config = api::Config::from_lookup(|name| env.get(name).cloned()).unwrap();
    api::cli::set_user_disabled(&config, "ada@example.com", true)
        .await
        .unwrap();
    assert_eq!(
        app.get_with("/api/v1/me", &tokens.access).await.status(),
        401
    );
    assert_eq!(app.refresh(&tokens.refresh, &[]).await.status(), 400);
    let login = app.password_grant(&ada.email, PASSWORD, &[]).await;
    assert_eq!(login.status(), 400);
    api::cli::set_user_disabled(&config, "ada@example.com", false)
        .await
        .unwrap();
    app.login(&ada, &[]).await;
}
