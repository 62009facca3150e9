//! Nothing secret reaches a log line: passwords, tokens, keys, hashes (SPEC §6).

use gatehouse_tests::{PASSWORD, TestApp};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn no_secret_appears_in_the_logs() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let recognisable = "Hunter2-recognisable-wrong-password";
    let failed = app
        .password_grant("ada@example.com", recognisable, &[])
        .await;
    assert_eq!(failed.status(), 400);
    let tokens = app.login(&ada, &[]).await;
    let refreshed: Value = app
        .refresh(&tokens.refresh, &[])
        .await
        .json()
        .await
        .unwrap();
    let key: Value = app
        .send_with(
            Method::POST,
            &format!("/api/v1/tenants/{}/api-keys", ada.tenant_id),
            &tokens.access,
            Some(json!({"name": "ci", "scopes": []})),
        )
        .await
        .json()
        .await
        .unwrap();
    let key = key["key"].as_str().unwrap();
    let used = app
        .client
        .get(app.url("/api/v1/me"))
        .header("x-api-key", key)
        .send()
        .await
        .unwrap();
    assert_eq!(used.status(), 200);
    // SPEC §12: a mailed link's token never reaches a request log line (here on an error
    // path, whose event carries the request span).
    let link_token = format!("linktoken{}", "x".repeat(150));
    let page = app
        .get(&format!("/account/reset-password?token={link_token}"))
        .await;
    assert_eq!(page.status(), 400);
    // An error path too: a forged token.
    assert_eq!(
        app.get_with("/api/v1/me", &format!("{}x", tokens.access))
            .await
            .status(),
        401
    );
    let hash = gatehouse_tests::db::password_hash_of(&app.db.url, &ada.email).await;

    let logs = gatehouse_tests::logs::captured();
    // The capture works: the requests above were logged.
    assert!(
        logs.contains("/oauth/token") && logs.contains("/api/v1/me"),
        "no request logs captured"
    );
    let secrets = [
        ("the password", PASSWORD.to_owned()),
        ("the failed password", recognisable.to_owned()),
        ("an access token", tokens.access.clone()),
        (
            "an access token's signature",
            tokens.access.rsplit('.').next().unwrap().to_owned(),
        ),
        ("a refresh token", tokens.refresh.clone()),
        (
            "a rotated refresh token",
            refreshed["refresh_token"].as_str().unwrap().to_owned(),
        ),
        ("an API key", key.to_owned()),
        ("an API key's secret", key[12..].to_owned()),
        ("a password hash", hash.clone()),
        (
            "a password hash's digest",
            hash.rsplit('$').next().unwrap().to_owned(),
        ),
        (
            "the signing secret",
            app.env["GATEHOUSE_JWT_SECRET"].clone(),
        ),
        ("the data key", app.env["GATEHOUSE_DATA_KEY"].clone()),
        ("an emailed link's token", link_token.clone()),
    ];
    assert!(
        logs.contains("/account/reset-password?token=[redacted]"),
        "the redacted request was not logged"
    );
    for (what, secret) in secrets {
        assert!(!logs.contains(&secret), "{what} appears in the logs");
    }
}
