//! SPEC §8 "Hardening": the findings of an attacker-minded review, each probed as the
//! attacker would.

use gatehouse_tests::{PASSWORD, TestApp, Tokens, assert_security_headers, claims_of};
use reqwest::Method;
use serde_json::{Value, json};

async fn with_key(app: &TestApp, method: Method, path: &str, key: &str) -> reqwest::Response {
    let body = (method == Method::POST)
        .then(|| json!({"name": "From a key", "scopes": ["projects:read"]}));
    app.send_with_key(method, path, key, body).await
}

/// An owner, and an admin (with a key of the admin's) in the owner's tenant.
async fn admin_with_key(app: &TestApp, scopes: &[&str]) -> (Tokens, String, String, String) {
    let ada = app.sign_up("ada@example.com", "acme").await;
    let owner = app.login(&ada, &[]).await;
    let bob = app
        .add_member(&owner, &ada, "bob@example.com", &["admin"])
        .await;
    let admin = app.login(&bob, &[]).await;
    let key = app.new_api_key(&admin.access, &ada.tenant_id, scopes).await;
    (owner, ada.tenant_id, bob.user_id, key)
}

#[tokio::test]
async fn an_api_key_stops_when_its_creator_is_removed() {
    let app = TestApp::spawn().await;
    let (owner, t, bob, key) = admin_with_key(&app, &["projects:read"]).await;
    let projects = format!("/api/v1/tenants/{t}/projects");
    assert_eq!(
        with_key(&app, Method::GET, &projects, &key).await.status(),
        200
    );
    let removed = app
        .send_with(
            Method::DELETE,
            &format!("/api/v1/tenants/{t}/members/{bob}"),
            &owner.access,
            None,
        )
        .await;
    assert_eq!(removed.status(), 204);
    assert_eq!(
        with_key(&app, Method::GET, &projects, &key).await.status(),
        401
    );
}

#[tokio::test]
async fn an_api_key_stops_when_its_creator_is_disabled_and_shrinks_when_demoted() {
    let app = TestApp::spawn().await;
    let (owner, t, bob, key) = admin_with_key(&app, &["projects:read", "members:write"]).await;
    let members = format!("/api/v1/tenants/{t}/members/{bob}");
    let projects = format!("/api/v1/tenants/{t}/projects");
    // Demoted to viewer: the key keeps only what both it and its creator hold.
    let viewer = app.role_id(&owner.access, &t, "viewer").await;
    let demoted = app
        .send_with(
            Method::PUT,
            &format!("{members}/roles"),
            &owner.access,
            Some(json!({"role_ids": [viewer]})),
        )
        .await;
    assert_eq!(demoted.status(), 200);
    assert_eq!(
        with_key(&app, Method::GET, &projects, &key).await.status(),
        200
    );
    let invite = app
        .send_with_key(
            Method::POST,
            &format!("/api/v1/tenants/{t}/invitations"),
            &key,
            Some(json!({"email": "eve@example.com", "role_ids": []})),
        )
        .await;
    assert_eq!(invite.status(), 403, "members:write left with the demotion");
    // Disabled: the key stops.
    let disabled = app
        .send_with(
            Method::PATCH,
            &members,
            &owner.access,
            Some(json!({"status": "disabled"})),
        )
        .await;
    assert_eq!(disabled.status(), 200);
    assert_eq!(
        with_key(&app, Method::GET, &projects, &key).await.status(),
        401
    );
}

#[tokio::test]
async fn an_api_key_cannot_create_api_keys() {
    let app = TestApp::spawn().await;
    let (_, t, _, key) = admin_with_key(&app, &["api-keys:write", "projects:read"]).await;
    let response = with_key(
        &app,
        Method::POST,
        &format!("/api/v1/tenants/{t}/api-keys"),
        &key,
    )
    .await;
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn invitations_die_with_their_creators_membership() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let owner = app.login(&ada, &[]).await;
    let bob = app
        .add_member(&owner, &ada, "bob@example.com", &["admin"])
        .await;
    let admin = app.login(&bob, &[]).await;
    let invitation = app
        .invite(&admin, &ada.tenant_id, "mallory@example.com", &["admin"])
        .await;
    let removed = app
        .send_with(
            Method::DELETE,
            &format!("/api/v1/tenants/{}/members/{}", ada.tenant_id, bob.user_id),
            &owner.access,
            None,
        )
        .await;
    assert_eq!(removed.status(), 204);
    let accepted = app
        .post_json(
            "/api/v1/invitations/accept",
            &json!({"token": invitation, "password": PASSWORD, "display_name": "M"}),
        )
        .await;
    assert_eq!(accepted.status(), 404);
}

#[tokio::test]
async fn forged_api_keys_are_refused_without_a_lookup_and_a_failing_client_is_slowed() {
    let app = TestApp::spawn().await;
    let (_, t, _, key) = admin_with_key(&app, &["projects:read"]).await;
    let projects = format!("/api/v1/tenants/{t}/projects");
    // Same id and shape, one character of the secret changed: the checksum fails.
    let mut forged = key.clone().into_bytes();
    forged[20] = if forged[20] == b'a' { b'b' } else { b'a' };
    let forged = String::from_utf8(forged).unwrap();
    let mut statuses = Vec::new();
    for _ in 0..40 {
        statuses.push(
            with_key(&app, Method::GET, &projects, &forged)
                .await
                .status()
                .as_u16(),
        );
    }
    assert!(statuses[..30].iter().all(|s| *s == 401), "{statuses:?}");
    assert_eq!(statuses[39], 429, "{statuses:?}");
}

#[tokio::test]
async fn parallel_guesses_cannot_exceed_the_lockout_threshold() {
    let app = TestApp::builder()
        .env("GATEHOUSE_LOGIN_RATE", "1000")
        .env("GATEHOUSE_LOCKOUT_THRESHOLD", "5")
        .spawn()
        .await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let guesses = (0..20).map(|i| {
        let app = &app;
        let email = ada.email.clone();
        async move {
            app.password_grant(&email, &format!("wrong guess number {i}"), &[])
                .await
                .status()
                .as_u16()
        }
    });
    let statuses = futures_util::future::join_all(guesses).await;
    let verified = statuses.iter().filter(|s| **s == 400).count();
    let locked = statuses.iter().filter(|s| **s == 429).count();
    assert!(
        verified <= 5,
        "{verified} guesses were verified: {statuses:?}"
    );
    assert_eq!(verified + locked, 20, "{statuses:?}");
}

#[tokio::test]
async fn the_current_password_cannot_be_guessed_through_password_change() {
    let app = TestApp::builder()
        .env("GATEHOUSE_LOCKOUT_THRESHOLD", "3")
        .spawn()
        .await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let tokens = app.login(&ada, &[]).await;
    let mut statuses = Vec::new();
    for i in 0..5 {
        let response = app
            .send_with(
                Method::POST,
                "/api/v1/me/password",
                &tokens.access,
                Some(json!({
                    "current_password": format!("not it {i}"),
                    "new_password": "an entirely new passphrase 77",
                })),
            )
            .await;
        statuses.push(response.status().as_u16());
    }
    assert_eq!(&statuses[..3], &[403, 403, 403], "{statuses:?}");
    assert_eq!(&statuses[3..], &[429, 429], "{statuses:?}");
}

#[tokio::test]
async fn failed_logins_are_recorded_only_where_the_user_is_a_member() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let eve = app.sign_up("eve@example.com", "evil").await;
    let eve_tokens = app.login(&eve, &[]).await;
    // Probing the attacker's own tenant with someone else's email, and a made-up one.
    for email in [ada.email.as_str(), "nobody@example.com"] {
        let response = app
            .password_grant(email, "wrong password", &[("tenant", &eve.slug)])
            .await;
        assert_eq!(response.status(), 400);
    }
    let log: Value = app
        .get_with(
            &format!(
                "/api/v1/tenants/{}/audit-events?action=login.failed",
                eve.tenant_id
            ),
            &eve_tokens.access,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(log["items"], json!([]), "nothing about other people: {log}");
    // A member's own failure is recorded, with the tenant named.
    app.password_grant(&ada.email, "wrong password", &[("tenant", &ada.slug)])
        .await;
    let ada_tokens = app.login(&ada, &[]).await;
    let log: Value = app
        .get_with(
            &format!(
                "/api/v1/tenants/{}/audit-events?action=login.failed",
                ada.tenant_id
            ),
            &ada_tokens.access,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(log["items"][0]["actor_id"], ada.user_id.as_str());
    assert_eq!(log["items"][0]["tenant_id"], ada.tenant_id.as_str());
}

#[tokio::test]
async fn invitation_acceptance_does_not_reveal_whether_an_email_is_registered() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    app.sign_up("known@example.com", "known").await;
    let owner = app.login(&ada, &[]).await;
    let mut answers = Vec::new();
    for email in ["known@example.com", "unknown@example.com"] {
        let token = app.invite(&owner, &ada.tenant_id, email, &["viewer"]).await;
        let response = app
            .post_json("/api/v1/invitations/accept", &json!({"token": token}))
            .await;
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        answers.push((status, body["detail"].clone(), body["errors"].clone()));
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0].0, 422);
}

#[tokio::test]
async fn an_existing_account_accepts_an_invitation_with_its_password() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    app.sign_up("known@example.com", "known").await;
    let owner = app.login(&ada, &[]).await;
    let token = app
        .invite(&owner, &ada.tenant_id, "known@example.com", &["viewer"])
        .await;
    let wrong = app
        .post_json(
            "/api/v1/invitations/accept",
            &json!({"token": token, "password": "a wrong but long passphrase 9", "display_name": "K"}),
        )
        .await;
    assert_eq!(wrong.status(), 401);
    let right = app
        .post_json(
            "/api/v1/invitations/accept",
            &json!({"token": token, "password": PASSWORD, "display_name": "K"}),
        )
        .await;
    assert_eq!(right.status(), 201);
    assert_eq!(right.json::<Value>().await.unwrap()["created_user"], false);
}

#[tokio::test]
async fn a_refresh_without_scope_carries_grants_gained_since_login() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let owner = app.login(&ada, &[]).await;
    let bob = app
        .add_member(&owner, &ada, "bob@example.com", &["viewer"])
        .await;
    let viewer = app.login(&bob, &[]).await;
    assert!(!viewer.scope.contains("projects:write"));
    // Narrowed once, on purpose.
    let narrowed = app
        .refresh(&viewer.refresh, &[("scope", "projects:read")])
        .await;
    assert_eq!(narrowed.status(), 200);
    let narrowed = Tokens::from(narrowed.json::<Value>().await.unwrap());
    assert_eq!(narrowed.scope, "projects:read");
    let member = app.role_id(&owner.access, &ada.tenant_id, "member").await;
    app.send_with(
        Method::PUT,
        &format!(
            "/api/v1/tenants/{}/members/{}/roles",
            ada.tenant_id, bob.user_id
        ),
        &owner.access,
        Some(json!({"role_ids": [member]})),
    )
    .await;
    // Without scope: the original request (all) ∩ the current grants.
    let refreshed = app.refresh(&narrowed.refresh, &[]).await;
    assert_eq!(refreshed.status(), 200);
    let refreshed = Tokens::from(refreshed.json::<Value>().await.unwrap());
    assert!(
        refreshed.scope.contains("projects:write"),
        "{}",
        refreshed.scope
    );
    assert!(
        refreshed.scope.contains("tasks:write"),
        "{}",
        refreshed.scope
    );
}

#[tokio::test]
async fn a_refresh_never_exceeds_the_original_request() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let tokens = app.login(&ada, &[("scope", "projects:read")]).await;
    let wider = app
        .refresh(
            &tokens.refresh,
            &[("scope", "projects:read projects:write")],
        )
        .await;
    assert_eq!(wider.status(), 400);
    assert_eq!(
        wider.json::<Value>().await.unwrap()["error"],
        "invalid_scope"
    );
    let same = app.refresh(&tokens.refresh, &[]).await;
    assert_eq!(same.status(), 200);
    assert_eq!(
        same.json::<Value>().await.unwrap()["scope"],
        "projects:read"
    );
}

#[tokio::test]
async fn a_forged_refresh_token_learns_nothing_about_the_session() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let tokens = app.login(&ada, &[]).await;
    // The session id is the token's first 16 bytes: keep it, forge the rest.
    use base64::Engine;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut bytes = engine.decode(&tokens.refresh).unwrap();
    for b in &mut bytes[16..] {
        *b ^= 0x5a;
    }
    let forged = engine.encode(bytes);
    for extra in [vec![("tenant", "some-other-tenant")], vec![]] {
        let response = app.refresh(&forged, &extra).await;
        assert_eq!(response.status(), 400);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_grant");
        assert_eq!(
            body["error_description"],
            "the refresh token is invalid, expired or revoked"
        );
    }
    // The real token still works: the forgery did not count as reuse.
    assert_eq!(app.refresh(&tokens.refresh, &[]).await.status(), 200);
}

#[tokio::test]
async fn conflicts_never_echo_constraint_names() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let owner = app.login(&ada, &[]).await;
    let body = json!({"name": "Auditors", "permissions": ["audit:read"]});
    let path = format!("/api/v1/tenants/{}/roles", ada.tenant_id);
    app.send_with(Method::POST, &path, &owner.access, Some(body.clone()))
        .await;
    let again = app
        .send_with(Method::POST, &path, &owner.access, Some(body))
        .await;
    assert_eq!(again.status(), 409);
    let text = again.text().await.unwrap();
    assert!(!text.contains("_key") && !text.contains("_pkey"), "{text}");
}

#[tokio::test]
async fn tokens_carry_their_issue_time_from_before_the_grants_were_read() {
    // The issue instant is the jti's UUIDv7 time; it must not be later than `iat`'s second.
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let tokens = app.login(&ada, &[]).await;
    let claims = claims_of(&tokens.access);
    let jti: uuid::Uuid = claims["jti"].as_str().unwrap().parse().unwrap();
    let (secs, _) = jti.get_timestamp().unwrap().to_unix();
    assert_eq!(secs as i64, claims["iat"].as_i64().unwrap());
}

#[tokio::test]
async fn responses_made_outside_the_handlers_carry_the_headers() {
    let app = TestApp::spawn().await;
    // The guard's 401 (with a token, so the response is also never cached).
    let guarded = app.get_with("/api/v1/me", "not-a-token").await;
    assert_eq!(guarded.status(), 401);
    assert_security_headers(&guarded, "guard 401");
    assert_eq!(guarded.headers()["cache-control"], "no-store");
    // The tenant guard's 401, without credentials.
    let tenant = app
        .get(&format!("/api/v1/tenants/{}/projects", uuid::Uuid::nil()))
        .await;
    assert_eq!(tenant.status(), 401);
    assert_security_headers(&tenant, "tenant guard 401");
    // The router's 404 and 405.
    let missing = app.get("/no/such/path").await;
    assert_eq!(missing.status(), 404);
    assert_security_headers(&missing, "404");
    let wrong_method = app
        .client
        .delete(app.url("/api/v1/signup"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_method.status(), 405);
    assert_eq!(wrong_method.headers()["allow"], "POST");
    assert_security_headers(&wrong_method, "405");
    let me = app.client.put(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(me.status(), 405);
    assert_eq!(me.headers()["allow"], "GET, PATCH");
    assert_eq!(
        me.headers()["content-type"],
        "application/problem+json",
        "a problem, like every other error"
    );
}

#[tokio::test]
async fn authenticated_json_is_never_cached() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let tokens = app.login(&ada, &[]).await;
    for path in [
        "/api/v1/me".to_owned(),
        format!("/api/v1/tenants/{}/members", ada.tenant_id),
        format!("/api/v1/tenants/{}/audit-events", ada.tenant_id),
    ] {
        let response = app.get_with(&path, &tokens.access).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
        assert_security_headers(&response, &path);
    }
}

#[tokio::test]
async fn html_pages_send_a_strict_content_security_policy() {
    let app = TestApp::spawn().await;
    let page = app.get("/docs/").await;
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    for directive in [
        "default-src 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ] {
        assert!(csp.contains(directive), "{csp}");
    }
    assert_eq!(page.headers()["x-frame-options"], "DENY");
}
