//! The hosted login page (SPEC §11), as a browser and as an attacker use it: the password
//! step with the password grant's identical errors and lockout, CSRF bound to the
//! login-state cookie, the sign-in session that lets a second authorization skip the
//! password (listed and revocable in `/me/sessions`), the tenant and consent steps, and
//! the code that comes out redeemed by the token endpoint.

use gatehouse_tests::browser::{Browser, Page, REDIRECT, VERIFIER, client_spec, oidc_app};
use gatehouse_tests::{Account, TestApp, claims_of};
use serde_json::Value;

async fn app_with(clients: &[api::cli::ClientSpec]) -> TestApp {
    let app = TestApp::spawn().await;
    for spec in clients {
        app.register_client(spec).await;
    }
    app
}

/// Redeems the code of a redirect back to the client.
async fn redeem(app: &TestApp, redirect: &Page, client_id: &str) -> (u16, Value) {
    let params = redirect.redirect_params();
    let code = params
        .get("code")
        .unwrap_or_else(|| panic!("no code: {params:?}"));
    let response = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", REDIRECT),
                ("client_id", client_id),
                ("code_verifier", VERIFIER),
            ],
        )
        .await;
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn sign_in(browser: &mut Browser<'_>, account: &Account, extra: &[(&str, &str)]) -> Page {
    let page = browser.authorize("spa", extra).await;
    assert_eq!(page.status, 200, "{}", page.body);
    browser
        .submit_password(&page, &account.email, &account.password)
        .await
}

#[tokio::test]
async fn a_password_sign_in_ends_in_a_code_that_buys_tokens() {
    let app = oidc_app(&[client_spec("spa")]).await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let mut browser = Browser::new(&app);
    let done = sign_in(&mut browser, &ada, &[("scope", "projects:read openid")]).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let location = done.location.clone().unwrap();
    assert!(location.starts_with(&format!("{REDIRECT}?")), "{location}");
    let params = done.redirect_params();
    assert_eq!(params["state"], "xyz");
    assert!(params["iss"].starts_with("http"));
    // The sign-in session cookie: HttpOnly, Lax, the whole site.
    let cookie = done
        .set_cookie("gh_session")
        .expect("sign-in session cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }

    let (status, tokens) = redeem(&app, &done, "spa").await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["scope"], "projects:read openid");
    let claims = claims_of(tokens["access_token"].as_str().unwrap());
    assert_eq!(claims["sub"], ada.user_id);
    assert_eq!(claims["tid"], ada.tenant_id);
    assert_eq!(claims["amr"], serde_json::json!(["pwd"]));
    let now = chrono::Utc::now().timestamp();
    let auth_time = claims["auth_time"].as_i64().unwrap();
    assert!((now - 60..=now).contains(&auth_time), "{auth_time}");
    // The access token works; `openid` is no permission but travels beside them.
    let me = app
        .get_with("/api/v1/me", tokens["access_token"].as_str().unwrap())
        .await;
    assert_eq!(me.status(), 200);
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["scopes"], serde_json::json!(["projects:read"]));
}

#[tokio::test]
async fn wrong_passwords_and_unknown_emails_read_alike_and_lock_out() {
    let app = app_with(&[client_spec("spa")]).await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let mut browser = Browser::new(&app);
    let page = browser.authorize("spa", &[]).await;
    let wrong = browser
        .submit_password(&page, &ada.email, "not the password at all")
        .await;
    let unknown = browser
        .submit_password(&page, "nobody@example.com", "not the password at all")
        .await;
    for (what, answer) in [("wrong password", &wrong), ("unknown email", &unknown)] {
        assert_eq!(answer.status, 400, "{what}");
        assert!(
            answer.body.contains("The email or password is incorrect."),
            "{what}: {}",
            answer.body
        );
        assert!(answer.body.contains(r#"role="alert""#), "{what}: announced");
        assert!(answer.set_cookie("gh_session").is_none(), "{what}");
        assert_eq!(answer.location, None, "{what}");
    }
    // The same lockout as the password grant: counted per email across both.
    let mut last = wrong;
    for _ in 0..10 {
        last = browser
            .submit_password(&page, &ada.email, "not the password at all")
            .await;
        if last.status == 429 {
            break;
        }
    }
    assert_eq!(last.status, 429, "never locked: {}", last.body);
    assert!(last.headers.contains_key("retry-after"));
    let grant = app.password_grant(&ada.email, &ada.password, &[]).await;
    assert_eq!(grant.status(), 429, "the token endpoint shares the lockout");
}

#[tokio::test]
async fn a_form_counts_only_with_its_csrf_token_and_its_browsers_cookie() {
    let app = app_with(&[client_spec("spa")]).await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let mut victim = Browser::new(&app);
    let page = victim.authorize("spa", &[]).await;
    let csrf = page.csrf();
    let form = |csrf: &str| {
        vec![
            ("csrf".to_owned(), csrf.to_owned()),
            ("email".to_owned(), ada.email.clone()),
            ("password".to_owned(), ada.password.clone()),
        ]
    };
    let post = async |browser: &mut Browser<'_>, fields: Vec<(String, String)>| {
        let fields: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        browser.post("/login/password", &fields).await
    };
    // Another browser (a cross-site form, a stolen token) has the token but not the cookie.
    let mut attacker = Browser::new(&app);
    let stolen = post(&mut attacker, form(&csrf)).await;
    assert_eq!(stolen.status, 400, "{}", stolen.body);
    assert!(stolen.set_cookie("gh_session").is_none());
    // Its own login cookie does not help either.
    attacker.authorize("spa", &[]).await;
    let stolen = post(&mut attacker, form(&csrf)).await;
    assert_eq!(stolen.status, 400);
    // The victim's cookie without the token, or with a made-up one.
    assert_eq!(post(&mut victim, form("")).await.status, 400);
    assert_eq!(post(&mut victim, form(&"A".repeat(43))).await.status, 400);
    // The real pair works, once.
    let done = post(&mut victim, form(&csrf)).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let replay = post(&mut victim, form(&csrf)).await;
    assert_eq!(
        replay.status, 400,
        "a finished sign-in took a second submission"
    );
}

#[tokio::test]
async fn the_sign_in_session_skips_the_password_until_revoked() {
    let app = app_with(&[client_spec("spa")]).await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let mut browser = Browser::new(&app);
    let first = sign_in(&mut browser, &ada, &[]).await;
    assert_eq!(first.status, 303);

    // A second authorization goes straight back with a code; so does prompt=none.
    for extra in [vec![], vec![("prompt", "none")]] {
        let again = browser.authorize("spa", &extra).await;
        assert_eq!(again.status, 303, "{extra:?}: {}", again.body);
        let (status, _) = redeem(&app, &again, "spa").await;
        assert_eq!(status, 200, "{extra:?}");
    }
    // prompt=login asks for the password again.
    let asked = browser.authorize("spa", &[("prompt", "login")]).await;
    assert_eq!(asked.status, 200);
    assert!(asked.body.contains(r#"action="/login/password""#));

    // The session is in /me/sessions, as a sign-in beside the token sessions.
    let tokens = app.login(&ada, &[]).await;
    let sessions: Value = app
        .get_with("/api/v1/me/sessions", &tokens.access)
        .await
        .json()
        .await
        .unwrap();
    let sign_ins: Vec<&Value> = sessions["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["kind"] == "sign_in")
        .collect();
    assert_eq!(sign_ins.len(), 1, "{sessions}");
    let code_sessions = sessions["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["client_id"] == "spa")
        .count();
    assert_eq!(code_sessions, 2, "one per redeemed code: {sessions}");

    // Its cookie is no refresh token.
    let cookie = browser.jar["gh_session"].clone();
    let refreshed = app.refresh(&cookie, &[]).await;
    assert_eq!(refreshed.status(), 400);

    // Revoked there, the browser must sign in again.
    let id = sign_ins[0]["id"].as_str().unwrap();
    let revoked = app
        .send_with(
            reqwest::Method::DELETE,
            &format!("/api/v1/me/sessions/{id}"),
            &tokens.access,
            None,
        )
        .await;
    assert_eq!(revoked.status(), 204);
    let after = browser.authorize("spa", &[]).await;
    assert_eq!(
        after.status, 200,
        "the revoked sign-in still skipped the password"
    );
    let none = browser.authorize("spa", &[("prompt", "none")]).await;
    assert_eq!(none.redirect_params()["error"], "login_required");
}

#[tokio::test]
async fn several_tenants_are_chosen_on_a_page_and_a_hint_must_be_usable() {
    let app = app_with(&[client_spec("spa")]).await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let bob = app.sign_up("bob@example.com", "bobco").await;
    let tokens = app.login(&ada, &[]).await;
    let created = app
        .send_with(
            reqwest::Method::POST,
            "/api/v1/tenants",
            &tokens.access,
            Some(serde_json::json!({"name": "Second", "slug": "second"})),
        )
        .await;
    assert_eq!(created.status(), 201);

    let mut browser = Browser::new(&app);
    let page = sign_in(&mut browser, &ada, &[]).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(r#"action="/login/tenant""#));
    assert!(page.body.contains(r#"value="acme""#) && page.body.contains(r#"value="second""#));
    // Bob's tenant cannot be slipped into the form.
    let forged = browser
        .post(
            "/login/tenant",
            &[("csrf", &page.csrf()), ("tenant", "bobco")],
        )
        .await;
    assert_eq!(forged.redirect_params()["error"], "access_denied");

    let page = browser.authorize("spa", &[]).await;
    assert_eq!(page.status, 200, "the tenant page again");
    let chosen = browser
        .post(
            "/login/tenant",
            &[("csrf", &page.csrf()), ("tenant", "second")],
        )
        .await;
    assert_eq!(chosen.status, 303, "{}", chosen.body);
    let (_, tokens) = redeem(&app, &chosen, "spa").await;
    let claims = claims_of(tokens["access_token"].as_str().unwrap());
    assert_ne!(claims["tid"], ada.tenant_id);

    // A `tenant` hint skips the page; one the user cannot use is refused.
    let hinted = browser.authorize("spa", &[("tenant", "acme")]).await;
    assert_eq!(hinted.status, 303);
    let (_, tokens) = redeem(&app, &hinted, "spa").await;
    assert_eq!(
        claims_of(tokens["access_token"].as_str().unwrap())["tid"],
        ada.tenant_id
    );
    let refused = browser.authorize("spa", &[("tenant", &bob.slug)]).await;
    assert_eq!(refused.redirect_params()["error"], "access_denied");
    let silent = browser.authorize("spa", &[("prompt", "none")]).await;
    assert_eq!(silent.redirect_params()["error"], "interaction_required");
}

#[tokio::test]
async fn a_third_party_client_needs_consent() {
    let mut spec = client_spec("partner");
    spec.first_party = false;
    let app = app_with(&[client_spec("spa"), spec]).await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let mut browser = Browser::new(&app);
    let page = browser
        .authorize("partner", &[("scope", "projects:read")])
        .await;
    let consent = browser
        .submit_password(&page, &ada.email, &ada.password)
        .await;
    assert_eq!(consent.status, 200, "{}", consent.body);
    assert!(consent.body.contains("The partner app"));
    assert!(consent.body.contains(r#"value="allow""#) && consent.body.contains(r#"value="deny""#));
    let denied = browser
        .post(
            "/login/consent",
            &[("csrf", &consent.csrf()), ("decision", "deny")],
        )
        .await;
    assert_eq!(denied.redirect_params()["error"], "access_denied");
    assert_eq!(denied.redirect_params()["state"], "xyz");

    let silent = browser.authorize("partner", &[("prompt", "none")]).await;
    assert_eq!(silent.redirect_params()["error"], "consent_required");
    let consent = browser.authorize("partner", &[]).await;
    let allowed = browser
        .post(
            "/login/consent",
            &[("csrf", &consent.csrf()), ("decision", "allow")],
        )
        .await;
    assert_eq!(allowed.status, 303, "{}", allowed.body);
    let (status, tokens) = redeem(&app, &allowed, "partner").await;
    assert_eq!(status, 200, "{tokens}");
}

#[tokio::test]
async fn a_code_flow_session_refreshes_only_for_its_client() {
    let app = app_with(&[client_spec("spa"), client_spec("other")]).await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let mut browser = Browser::new(&app);
    let done = sign_in(&mut browser, &ada, &[]).await;
    let (_, tokens) = redeem(&app, &done, "spa").await;
    let refresh = tokens["refresh_token"].as_str().unwrap();
    for (what, extra) in [
        ("another client", vec![("client_id", "other")]),
        ("no client", vec![]),
    ] {
        let response = app.refresh(refresh, &extra).await;
        assert_eq!(response.status(), 400, "{what}");
        let body: Value = response.json().await.unwrap();
        assert!(
            ["invalid_grant", "invalid_request"].contains(&body["error"].as_str().unwrap()),
            "{what}: {body}"
        );
    }
    let response = app.refresh(refresh, &[("client_id", "spa")]).await;
    assert_eq!(response.status(), 200, "the right client");
    let body: Value = response.json().await.unwrap();
    let claims = claims_of(body["access_token"].as_str().unwrap());
    assert_eq!(
        claims["amr"],
        serde_json::json!(["pwd"]),
        "amr survives a refresh"
    );
}
