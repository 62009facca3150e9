//! The refresh cookie of a `refresh_delivery=cookie` client (SPEC §11): the refresh token
//! never in a body; the cookie spent only from the client's registered origins (a page
//! elsewhere cannot make the browser refresh or revoke), rotated with reuse detection,
//! and cleared by revocation.

use gatehouse_tests::TestApp;
use gatehouse_tests::browser::{Browser, Page, REDIRECT, VERIFIER, client_spec};
use serde_json::Value;

const ORIGIN: &str = "http://127.0.0.1:5173";

async fn app() -> TestApp {
    let app = TestApp::builder()
        .env("GATEHOUSE_REFRESH_REUSE_GRACE", "0")
        .spawn()
        .await;
    let mut spec = client_spec("demo-spa");
    spec.refresh_delivery = domain::RefreshDelivery::Cookie;
    spec.allowed_origins = vec![ORIGIN.into()];
    app.register_client(&spec).await;
    app.register_client(&client_spec("body-spa")).await;
    app
}

/// Signs in through the login page and redeems the code from the SPA's origin.
async fn signed_in(app: &TestApp, browser: &mut Browser<'_>) -> Page {
    let ada = app.sign_up("ada@example.com", "acme").await;
    let page = browser.authorize("demo-spa", &[]).await;
    let done = browser
        .submit_password(&page, &ada.email, &ada.password)
        .await;
    let code = done.redirect_params()["code"].clone();
    browser
        .fetch_form(
            "/oauth/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("client_id", "demo-spa"),
                ("code_verifier", VERIFIER),
            ],
            Some(ORIGIN),
        )
        .await
}

fn refresh_form() -> Vec<(&'static str, &'static str)> {
    vec![("grant_type", "refresh_token"), ("client_id", "demo-spa")]
}

fn json(page: &Page) -> Value {
    serde_json::from_str(&page.body).unwrap()
}

#[tokio::test]
async fn the_refresh_token_travels_only_in_an_http_only_cookie() {
    let app = app().await;
    let mut browser = Browser::new(&app);
    let tokens = signed_in(&app, &mut browser).await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    let body = json(&tokens);
    assert!(body.get("refresh_token").is_none(), "{body}");
    assert!(body["access_token"].is_string());
    let cookie = tokens.set_cookie("gh_refresh").expect("refresh cookie");
    for attribute in ["HttpOnly", "Path=/oauth", "SameSite=Strict"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    // Plain http on loopback: no Secure, no prefix (SPEC §11).
    assert!(!cookie.contains("Secure"), "{cookie}");

    let first = browser.jar["gh_refresh"].clone();
    let refreshed = browser
        .fetch_form("/oauth/token", &refresh_form(), Some(ORIGIN))
        .await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    assert!(json(&refreshed).get("refresh_token").is_none());
    assert_ne!(browser.jar["gh_refresh"], first, "the cookie rotated");
}

#[tokio::test]
async fn the_cookie_counts_only_from_the_clients_origins() {
    let app = app().await;
    let mut browser = Browser::new(&app);
    signed_in(&app, &mut browser).await;
    for (what, origin) in [
        ("no Origin", None),
        ("a foreign origin", Some("https://evil.example")),
        ("a look-alike port", Some("http://127.0.0.1:5174")),
    ] {
        let refused = browser
            .fetch_form("/oauth/token", &refresh_form(), origin)
            .await;
        assert_eq!(refused.status, 400, "{what}");
        assert_eq!(json(&refused)["error"], "invalid_request", "{what}");
        let revoke = browser
            .fetch_form("/oauth/revoke", &[("client_id", "demo-spa")], origin)
            .await;
        assert_eq!(revoke.status, 400, "{what}: revoked from elsewhere");
    }
    // A client without cookie delivery cannot borrow the cookie.
    let other = browser
        .fetch_form(
            "/oauth/token",
            &[("grant_type", "refresh_token"), ("client_id", "body-spa")],
            Some(ORIGIN),
        )
        .await;
    assert_eq!(json(&other)["error"], "invalid_request");
    // None of that spent or ended the session.
    let refreshed = browser
        .fetch_form("/oauth/token", &refresh_form(), Some(ORIGIN))
        .await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
}

#[tokio::test]
async fn a_reused_cookie_ends_the_session() {
    let app = app().await;
    let mut browser = Browser::new(&app);
    signed_in(&app, &mut browser).await;
    let stolen = browser.jar["gh_refresh"].clone();
    let refreshed = browser
        .fetch_form("/oauth/token", &refresh_form(), Some(ORIGIN))
        .await;
    assert_eq!(refreshed.status, 200);
    // The spent cookie comes back (a copy an attacker kept): reuse, the session ends.
    let current = browser.jar["gh_refresh"].clone();
    browser.jar.insert("gh_refresh".into(), stolen);
    let reused = browser
        .fetch_form("/oauth/token", &refresh_form(), Some(ORIGIN))
        .await;
    assert_eq!(json(&reused)["error"], "invalid_grant");
    browser.jar.insert("gh_refresh".into(), current);
    let after = browser
        .fetch_form("/oauth/token", &refresh_form(), Some(ORIGIN))
        .await;
    assert_eq!(after.status, 400, "the rightful cookie outlived the reuse");
}

#[tokio::test]
async fn revoking_with_the_cookie_ends_the_session_and_clears_it() {
    let app = app().await;
    let mut browser = Browser::new(&app);
    let tokens = signed_in(&app, &mut browser).await;
    let access = json(&tokens)["access_token"].as_str().unwrap().to_owned();
    let kept = browser.jar["gh_refresh"].clone();
    let revoked = browser
        .fetch_form("/oauth/revoke", &[("client_id", "demo-spa")], Some(ORIGIN))
        .await;
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    let cleared = revoked.set_cookie("gh_refresh").expect("cleared");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    assert!(!browser.jar.contains_key("gh_refresh"));
    // The session and its access token are gone.
    assert_eq!(app.get_with("/api/v1/me", &access).await.status(), 401);
    browser.jar.insert("gh_refresh".into(), kept);
    let refreshed = browser
        .fetch_form("/oauth/token", &refresh_form(), Some(ORIGIN))
        .await;
    assert_eq!(refreshed.status, 400);
}
