//! `POST /oauth/token` with `grant_type=authorization_code` (RFC 6749 §4.1.3, RFC 7636,
//! SPEC §11), probed as an attacker would: replayed, stolen for another client, redirected
//! elsewhere, without the verifier, with a wrong secret. Codes are issued through the
//! code store the authorization endpoint uses.

use auth::authorization_code::{CodeGrant, CodeStore};
use base64::Engine;
use gatehouse_tests::browser::{REDIRECT, VERIFIER, client_spec};
use gatehouse_tests::db::redis_url;
use gatehouse_tests::{Account, TestApp, claims_of};
use serde_json::Value;
use std::time::Duration;

async fn register(app: &TestApp, client_id: &str, confidential: bool) -> Option<String> {
    let mut spec = client_spec(client_id);
    if confidential {
        spec.client_type = domain::ClientType::Confidential;
    }
    app.register_client(&spec).await
}

async fn code_for(app: &TestApp, account: &Account, client_id: &str) -> String {
    let redis =
        auth::RedisStore::connect(&redis_url(), &app.redis_prefix, Duration::from_secs(2)).unwrap();
    CodeStore::new(redis)
        .issue(&CodeGrant {
            client_id: client_id.into(),
            redirect_uri: REDIRECT.into(),
            code_challenge: auth::pkce::challenge_of(VERIFIER),
            nonce: None,
            user: account.user_id.parse().unwrap(),
            tenant: Some(account.tenant_id.parse().unwrap()),
            scope: "projects:read tenant:read".into(),
            oidc: Default::default(),
            auth: domain::Authentication {
                time: chrono::Utc::now().timestamp(),
                methods: domain::AuthMethods::PASSWORD,
            },
        })
        .await
        .unwrap()
}

async fn redeem(app: &TestApp, form: &[(&str, &str)]) -> (u16, Value, Option<String>) {
    let response = app.post_form("/oauth/token", form).await;
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, response.json().await.unwrap(), challenge)
}

fn form<'a>(code: &'a str, client_id: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("client_id", client_id),
        ("code_verifier", VERIFIER),
    ]
}

#[tokio::test]
async fn a_code_buys_one_session_and_its_replay_ends_it() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    register(&app, "spa", false).await;
    let code = code_for(&app, &ada, "spa").await;
    let (status, tokens, _) = redeem(&app, &form(&code, "spa")).await;
    assert_eq!(status, 200, "{tokens}");
    let claims = claims_of(tokens["access_token"].as_str().unwrap());
    assert_eq!(claims["sub"], ada.user_id);
    assert_eq!(claims["tid"], ada.tenant_id);
    assert_eq!(tokens["scope"], "tenant:read projects:read");
    let refresh = tokens["refresh_token"].as_str().unwrap();

    let (status, error, _) = redeem(&app, &form(&code, "spa")).await;
    assert_eq!(status, 400);
    assert_eq!(error["error"], "invalid_grant");
    // The session the code started is gone with the replay.
    let refreshed = app.refresh(refresh, &[]).await;
    assert_eq!(refreshed.status(), 400);
}

#[tokio::test]
async fn a_code_is_bound_to_its_client_redirect_uri_and_verifier() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    register(&app, "spa", false).await;
    register(&app, "other-spa", false).await;
    let wrong_verifier = "x".repeat(43);
    let elsewhere = "https://app.example.com/elsewhere";
    for (name, field, value) in [
        ("another client", "client_id", "other-spa"),
        ("another redirect", "redirect_uri", elsewhere),
        ("another verifier", "code_verifier", wrong_verifier.as_str()),
        (
            "the challenge as verifier (plain)",
            "code_verifier",
            &auth::pkce::challenge_of(VERIFIER),
        ),
    ] {
        let code = code_for(&app, &ada, "spa").await;
        let mut attempt = form(&code, "spa");
        attempt.retain(|(k, _)| *k != field);
        attempt.push((field, value));
        let (status, error, _) = redeem(&app, &attempt).await;
        assert_eq!(
            (status, error["error"].as_str()),
            (400, Some("invalid_grant")),
            "{name}: {error}"
        );
        // Spent by the failed attempt: the right request cannot use it afterwards.
        let (status, _, _) = redeem(&app, &form(&code, "spa")).await;
        assert_eq!(status, 400, "{name}: the code survived a failed redemption");
    }
    let (status, error, _) = redeem(&app, &form("never-issued", "spa")).await;
    assert_eq!(
        (status, error["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn a_confidential_client_must_prove_itself_once() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let secret = register(&app, "backend", true).await.unwrap();

    let code = code_for(&app, &ada, "backend").await;
    let (status, error, challenge) = redeem(&app, &form(&code, "backend")).await;
    assert_eq!(
        (status, error["error"].as_str()),
        (401, Some("invalid_client"))
    );
    assert_eq!(challenge.as_deref(), Some(r#"Basic realm="gatehouse""#));

    let code = code_for(&app, &ada, "backend").await;
    let mut wrong = form(&code, "backend");
    wrong.push(("client_secret", "not-the-secret"));
    assert_eq!(redeem(&app, &wrong).await.0, 401);

    let code = code_for(&app, &ada, "backend").await;
    let mut post = form(&code, "backend");
    post.push(("client_secret", &secret));
    assert_eq!(redeem(&app, &post).await.0, 200);

    let code = code_for(&app, &ada, "backend").await;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("backend:{secret}"));
    let response = app
        .client
        .post(app.url("/oauth/token"))
        .header("authorization", format!("Basic {basic}"))
        .form(&form(&code, "backend"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let code = code_for(&app, &ada, "backend").await;
    let mut both = form(&code, "backend");
    both.push(("client_secret", &secret));
    let response = app
        .client
        .post(app.url("/oauth/token"))
        .header("authorization", format!("Basic {basic}"))
        .form(&both)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400, "the secret twice");

    let code = code_for(&app, &ada, "backend").await;
    assert_eq!(redeem(&app, &form(&code, "no-such-client")).await.0, 401);
}
