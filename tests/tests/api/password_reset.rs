//! Password reset (SPEC §12), with mail read from a real SMTP listener: the same answer
//! for known and unknown addresses, a link that works once and is voided by a newer one,
//! every session ended, the notice mail, the policy, and the page whose GET spends nothing.

use gatehouse_tests::smtp::SmtpListener;
use gatehouse_tests::{PASSWORD, TestApp};
use serde_json::{Value, json};

const NEW_PASSWORD: &str = "an entirely different passphrase 77";

async fn app_with_smtp() -> (TestApp, SmtpListener) {
    let smtp = SmtpListener::start().await;
    let app = TestApp::builder()
        .env("GATEHOUSE_SMTP_URL", &smtp.url())
        .spawn()
        .await;
    (app, smtp)
}

async fn forgot(app: &TestApp, email: &str) -> (u16, String) {
    let response = app
        .post_json("/api/v1/password/forgot", &json!({"email": email}))
        .await;
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn reset(app: &TestApp, token: &str, password: &str) -> (u16, Value) {
    let response = app
        .post_json(
            "/api/v1/password/reset",
            &json!({"token": token, "new_password": password}),
        )
        .await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The token of the `n`-th reset link mailed to `email` (other mails are skipped).
async fn reset_token(smtp: &SmtpListener, email: &str, n: usize) -> String {
    for count in 1.. {
        let mails = smtp.wait_for(email, count).await;
        let resets: Vec<_> = mails
            .iter()
            .filter(|m| m.text().contains("/account/reset-password?token="))
            .collect();
        if let Some(mail) = resets.get(n) {
            return mail.token("reset-password");
        }
    }
    unreachable!()
}

#[tokio::test]
async fn known_and_unknown_addresses_get_the_same_answer_and_only_accounts_get_mail() {
    let (app, smtp) = app_with_smtp().await;
    app.sign_up("ada@example.com", "acme").await;
    smtp.wait_for("ada@example.com", 1).await; // the verification mail
    let known = forgot(&app, "ada@example.com").await;
    let unknown = forgot(&app, "nobody@example.com").await;
    assert_eq!(known, (202, String::new()));
    assert_eq!(unknown, known, "the answer tells nothing");
    reset_token(&smtp, "ada@example.com", 0).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert!(
        smtp.received()
            .iter()
            .all(|m| !m.to.contains(&"nobody@example.com".to_owned())),
        "mail to an address without an account"
    );
    assert_eq!(forgot(&app, "not an email").await.0, 422);
}

#[tokio::test]
async fn a_reset_ends_every_session_and_mails_a_notice() {
    let (app, smtp) = app_with_smtp().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let tokens = app.login(&ada, &[]).await;
    forgot(&app, &ada.email).await;
    let token = reset_token(&smtp, &ada.email, 0).await;

    let (status, problem) = reset(&app, &token, "short").await;
    assert_eq!(status, 422, "the policy applies: {problem}");
    assert_eq!(
        reset(&app, &token, NEW_PASSWORD).await.0,
        204,
        "a weak try spent nothing"
    );

    assert_eq!(
        app.get_with("/api/v1/me", &tokens.access).await.status(),
        401
    );
    assert_eq!(app.refresh(&tokens.refresh, &[]).await.status(), 400);
    assert_eq!(
        app.password_grant(&ada.email, PASSWORD, &[]).await.status(),
        400
    );
    let new: Value = app
        .password_grant(&ada.email, NEW_PASSWORD, &[])
        .await
        .json()
        .await
        .unwrap();
    let me: Value = app
        .get_with("/api/v1/me", new["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["email_verified"], true, "the link proved the address");
    let mails = smtp.wait_for(&ada.email, 3).await;
    assert!(
        mails[2]
            .header("Subject")
            .unwrap()
            .contains("password was changed")
    );
    let (status, problem) = reset(&app, &token, "yet another long passphrase 12").await;
    assert_eq!(status, 400, "a token works once");
    assert!(
        problem["type"]
            .as_str()
            .unwrap()
            .ends_with("/problems/token-invalid")
    );
}

#[tokio::test]
async fn a_newer_link_voids_the_older_one() {
    let (app, smtp) = app_with_smtp().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    forgot(&app, &ada.email).await;
    let first = reset_token(&smtp, &ada.email, 0).await;
    forgot(&app, &ada.email).await;
    let second = reset_token(&smtp, &ada.email, 1).await;
    assert_eq!(reset(&app, &first, NEW_PASSWORD).await.0, 400);
    assert_eq!(reset(&app, &second, NEW_PASSWORD).await.0, 204);
}

#[tokio::test]
async fn the_links_page_spends_nothing_until_posted() {
    let (app, smtp) = app_with_smtp().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    forgot(&app, &ada.email).await;
    let token = reset_token(&smtp, &ada.email, 0).await;
    let page = app
        .get(&format!("/account/reset-password?token={token}"))
        .await;
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains(r#"autocomplete="new-password""#)
    );
    let weak = app
        .post_form(
            "/account/reset-password",
            &[("token", &token), ("new_password", "short")],
        )
        .await;
    assert_eq!(weak.status(), 422);
    assert!(weak.text().await.unwrap().contains(r#"role="alert""#));
    let done = app
        .post_form(
            "/account/reset-password",
            &[("token", &token), ("new_password", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(done.status(), 200);
    assert_eq!(
        app.password_grant(&ada.email, NEW_PASSWORD, &[])
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn an_operator_can_mail_a_reset_link() {
    let (app, smtp) = app_with_smtp().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let env = app.env.clone();
    let config = api::Config::from_lookup(|name| env.get(name).cloned()).unwrap();
    api::cli::request_password_reset(&config, &ada.email)
        .await
        .unwrap();
    // The server's sender polls the outbox: the operator's request needs no wake-up.
    let token = reset_token(&smtp, &ada.email, 0).await;
    assert_eq!(reset(&app, &token, NEW_PASSWORD).await.0, 204);
}
