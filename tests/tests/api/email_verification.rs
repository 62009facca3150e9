//! Email verification through the outbox (SPEC §12), with mail read from a real SMTP
//! listener: the signup mail and its link, the link's page whose GET spends nothing, a
//! token that works once, resending, the outbox wiping what it sent, and an SMTP outage
//! that loses no mail.

use gatehouse_tests::smtp::SmtpListener;
use gatehouse_tests::{TestApp, db};
use serde_json::{Value, json};

async fn app_with_smtp() -> (TestApp, SmtpListener) {
    let smtp = SmtpListener::start().await;
    let app = TestApp::builder()
        .env("GATEHOUSE_SMTP_URL", &smtp.url())
        .env("GATEHOUSE_MAIL_FROM", "Gatehouse <no-reply@gatehouse.test>")
        .spawn()
        .await;
    (app, smtp)
}

async fn verified(app: &TestApp, token: &str) -> bool {
    let me: Value = app
        .get_with("/api/v1/me", token)
        .await
        .json()
        .await
        .unwrap();
    me["email_verified"].as_bool().unwrap()
}

async fn verify(app: &TestApp, token: &str) -> (u16, Value) {
    let response = app
        .post_json("/api/v1/email/verify", &json!({"token": token}))
        .await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn signup_mails_a_link_that_verifies_the_address_once() {
    let (app, smtp) = app_with_smtp().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let tokens = app.login(&ada, &[]).await;
    assert!(!verified(&app, &tokens.access).await);

    let mail = smtp.wait_for("ada@example.com", 1).await.remove(0);
    assert_eq!(mail.from, "no-reply@gatehouse.test");
    assert!(
        mail.header("Subject")
            .unwrap()
            .contains("Confirm your email address")
    );
    assert!(mail.header("Message-ID").unwrap().starts_with('<'));
    let text = mail.text();
    assert!(
        text.contains("text/plain") && text.contains("text/html"),
        "both parts"
    );
    let link = mail.link("verify-email");
    assert!(
        link.starts_with("http://127.0.0.1:8080/account/verify-email?token="),
        "{link}"
    );
    let token = mail.token("verify-email");
    assert!(token.len() >= 43, "256 bits");

    // Sent: the outbox kept nothing of the token.
    let kept = db::query_text(
        &app.db.url,
        "SELECT string_agg(status || ':' || (payload IS NULL)::text, ',') FROM outbox",
    )
    .await;
    assert_eq!(kept, "sent:true");

    assert_eq!(verify(&app, &token).await.0, 204);
    assert!(verified(&app, &tokens.access).await);
    let (status, problem) = verify(&app, &token).await;
    assert_eq!(status, 400, "a token works once");
    assert!(
        problem["type"]
            .as_str()
            .unwrap()
            .ends_with("/problems/token-invalid")
    );
    let (status, _) = verify(&app, "forged-token-forged-token-forged-token-forged").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn opening_the_link_spends_nothing_until_the_form_is_posted() {
    let (app, smtp) = app_with_smtp().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let token = smtp.wait_for("ada@example.com", 1).await[0].token("verify-email");
    // A mail scanner opens the link, twice.
    for _ in 0..2 {
        let page = app
            .get(&format!("/account/verify-email?token={token}"))
            .await;
        assert_eq!(page.status(), 200);
        let body = page.text().await.unwrap();
        assert!(body.contains(r#"action="/account/verify-email""#));
        assert!(body.contains(&token));
    }
    let tokens = app.login(&ada, &[]).await;
    assert!(!verified(&app, &tokens.access).await);
    let confirmed = app
        .post_form("/account/verify-email", &[("token", &token)])
        .await;
    assert_eq!(confirmed.status(), 200);
    assert!(
        confirmed
            .text()
            .await
            .unwrap()
            .contains("Address confirmed")
    );
    assert!(verified(&app, &tokens.access).await);
    let again = app
        .post_form("/account/verify-email", &[("token", &token)])
        .await;
    assert_eq!(again.status(), 400);
}

#[tokio::test]
async fn a_new_link_can_be_asked_for_until_the_address_is_verified() {
    let (app, smtp) = app_with_smtp().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    smtp.wait_for("ada@example.com", 1).await;
    let tokens = app.login(&ada, &[]).await;
    let resent = app
        .send_with(
            reqwest::Method::POST,
            "/api/v1/me/email/verify",
            &tokens.access,
            None,
        )
        .await;
    assert_eq!(resent.status(), 202);
    let mails = smtp.wait_for("ada@example.com", 2).await;
    let second = mails[1].token("verify-email");
    assert_ne!(second, mails[0].token("verify-email"));
    assert_ne!(mails[0].header("Message-ID"), mails[1].header("Message-ID"));
    assert_eq!(verify(&app, &second).await.0, 204);
    // Verified: nothing more is sent.
    let resent = app
        .send_with(
            reqwest::Method::POST,
            "/api/v1/me/email/verify",
            &tokens.access,
            None,
        )
        .await;
    assert_eq!(resent.status(), 202);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(smtp.received().len(), 2);
}

#[tokio::test]
async fn an_smtp_outage_loses_no_mail() {
    let (app, mut smtp) = app_with_smtp().await;
    smtp.stop();
    for (email, slug) in [("ada@example.com", "acme"), ("bob@example.com", "bobco")] {
        app.sign_up(email, slug).await;
    }
    // The sender tried and failed: the mail waits in the outbox for its retry.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let waiting = db::query_text(
        &app.db.url,
        "SELECT (count(*) FILTER (WHERE status = 'queued' AND attempts >= 1))::text FROM outbox",
    )
    .await;
    assert_eq!(waiting, "2", "not retried or not kept");
    smtp.resume().await;
    for email in ["ada@example.com", "bob@example.com"] {
        let mails = smtp.wait_for(email, 1).await;
        assert_eq!(mails.len(), 1, "{email}: sent once");
    }
    let token = smtp.received()[0].token("verify-email");
    assert_eq!(verify(&app, &token).await.0, 204);
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("gatehouse_outbox_mails{status=\"sent\"} 2"),
        "{metrics}"
    );
    assert!(metrics.contains("gatehouse_outbox_mails{status=\"queued\"} 0"));
    assert!(metrics.contains("gatehouse_outbox_oldest_due_seconds 0"));
}
