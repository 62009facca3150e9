use gatehouse_tests::{PASSWORD, TestApp, claims_of, header_of};
use serde_json::Value;
use std::time::{Duration, Instant};

async fn oauth_error(response: reqwest::Response) -> (u16, String, String) {
    let status = response.status().as_u16();
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    (
        status,
        body["error"].as_str().unwrap_or_default().into(),
        body["error_description"]
            .as_str()
            .unwrap_or_default()
            .into(),
    )
}

#[tokio::test]
async fn password_grant_returns_a_token_pair_that_is_never_cached() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let response = app.password_grant("ada@example.com", PASSWORD, &[]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["pragma"], "no-cache");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert!(
        body["refresh_token"].as_str().unwrap().len() >= 43,
        "≥ 256 bits, base64url"
    );
    assert!(
        !body["refresh_token"].as_str().unwrap().contains('.'),
        "refresh tokens are opaque, not JWTs"
    );

    let access = body["access_token"].as_str().unwrap();
    let header = header_of(access);
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(header["alg"], "HS256");
    assert!(header["kid"].is_string());
    let claims = claims_of(access);
    for claim in [
        "iss", "aud", "sub", "tid", "scope", "sid", "jti", "iat", "nbf", "exp",
    ] {
        assert!(claims.get(claim).is_some(), "missing {claim}");
    }
    assert_eq!(claims["sub"], ada.user_id.as_str());
    assert_eq!(claims["tid"], ada.tenant_id.as_str());
    assert_eq!(claims["aud"], "gatehouse");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        900
    );
    assert_eq!(claims["scope"], body["scope"]);
}

#[tokio::test]
async fn unknown_email_and_wrong_password_are_indistinguishable() {
    let app = TestApp::spawn().await;
    app.sign_up("ada@example.com", "acme").await;
    let wrong_password = oauth_error(
        app.password_grant("ada@example.com", "not the password at all", &[])
            .await,
    )
    .await;
    let unknown_email = oauth_error(
        app.password_grant("nobody@example.com", "not the password at all", &[])
            .await,
    )
    .await;
    assert_eq!(wrong_password, unknown_email);
    assert_eq!(wrong_password.0, 400);
    assert_eq!(wrong_password.1, "invalid_grant");
}

#[tokio::test]
async fn unknown_email_costs_as_much_as_a_wrong_password() {
    let app = TestApp::builder()
        .env("GATEHOUSE_LOCKOUT_THRESHOLD", "100")
        .spawn()
        .await;
    app.sign_up("ada@example.com", "acme").await;
    async fn median(app: &TestApp, email: &str) -> Duration {
        let mut samples = Vec::new();
        for _ in 0..7 {
            let started = Instant::now();
            let response = app
                .password_grant(email, "not the password at all", &[])
                .await;
            assert_eq!(response.status(), 400);
            samples.push(started.elapsed());
        }
        samples.sort();
        samples[samples.len() / 2]
    }
    let known = median(&app, "ada@example.com").await;
    let unknown = median(&app, "nobody@example.com").await;
    // Same order of magnitude: an unknown email still pays for one argon2 verification.
    let ratio = known.as_secs_f64() / unknown.as_secs_f64();
    assert!(
        (0.25..4.0).contains(&ratio),
        "known {known:?} vs unknown {unknown:?}"
    );
}

#[tokio::test]
async fn requested_scopes_are_intersected_with_the_roles() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let tokens = app
        .login(&ada, &[("scope", "tenant:read platform:admin")])
        .await;
    assert_eq!(tokens.scope, "tenant:read");
}

#[tokio::test]
async fn an_unknown_scope_is_invalid_scope() {
    let app = TestApp::spawn().await;
    app.sign_up("ada@example.com", "acme").await;
    let (status, error, _) = oauth_error(
        app.password_grant(
            "ada@example.com",
            PASSWORD,
            &[("scope", "tenant:read root")],
        )
        .await,
    )
    .await;
    assert_eq!((status, error.as_str()), (400, "invalid_scope"));
}

#[tokio::test]
async fn a_json_body_is_invalid_request() {
    let app = TestApp::spawn().await;
    let response = app
        .post_json(
            "/oauth/token",
            &serde_json::json!({"grant_type": "password", "username": "a@b.co", "password": "x"}),
        )
        .await;
    let (status, error, _) = oauth_error(response).await;
    assert_eq!((status, error.as_str()), (400, "invalid_request"));
}

#[tokio::test]
async fn malformed_requests_are_refused_per_rfc_6749() {
    let app = TestApp::spawn().await;
    let (_, error, _) = oauth_error(
        app.post_form("/oauth/token", &[("grant_type", "client_credentials")])
            .await,
    )
    .await;
    assert_eq!(error, "unsupported_grant_type");
    let (_, error, _) = oauth_error(
        app.post_form("/oauth/token", &[("username", "a@b.co")])
            .await,
    )
    .await;
    assert_eq!(error, "invalid_request");
    let (_, error, _) = oauth_error(
        app.post_form(
            "/oauth/token",
            &[("grant_type", "password"), ("username", "a@b.co")],
        )
        .await,
    )
    .await;
    assert_eq!(error, "invalid_request");
    let repeated = [
        ("grant_type", "password"),
        ("username", "a@b.co"),
        ("password", "x"),
        ("password", "y"),
    ];
    let (_, error, _) = oauth_error(app.post_form("/oauth/token", &repeated).await).await;
    assert_eq!(error, "invalid_request");
    // RFC 6749 §3.1: a parameter sent without a value is treated as omitted.
    let empty = [
        ("grant_type", "password"),
        ("username", "a@b.co"),
        ("password", ""),
    ];
    let (_, error, description) = oauth_error(app.post_form("/oauth/token", &empty).await).await;
    assert_eq!(error, "invalid_request");
    assert!(description.contains("password"), "{description}");
    // Bounded before anything is hashed or looked up.
    let long = "a".repeat(300) + "@b.co";
    let over_long = [
        ("grant_type", "password"),
        ("username", long.as_str()),
        ("password", "x"),
    ];
    let (_, error, description) =
        oauth_error(app.post_form("/oauth/token", &over_long).await).await;
    assert_eq!(error, "invalid_request");
    assert!(description.contains("username"), "{description}");
}

#[tokio::test]
async fn tenant_is_chosen_by_slug_or_id_and_omitted_when_ambiguous() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let first = app.login(&ada, &[]).await;
    // A second tenant makes the default ambiguous: a tenant-less token.
    let created = app
        .send_with(
            reqwest::Method::POST,
            "/api/v1/tenants",
            &first.access,
            Some(serde_json::json!({"name": "Globex", "slug": "globex"})),
        )
        .await;
    assert_eq!(created.status(), 201);

    let tenantless = app.login(&ada, &[]).await;
    assert!(claims_of(&tenantless.access).get("tid").is_none());
    assert_eq!(tenantless.scope, "");
    let me: Value = app
        .get_with("/api/v1/me", &tenantless.access)
        .await
        .json()
        .await
        .unwrap();
    assert!(me["tenant"].is_null());

    let by_slug = app.login(&ada, &[("tenant", "globex")]).await;
    let by_id = app.login(&ada, &[("tenant", &ada.tenant_id)]).await;
    assert_ne!(
        claims_of(&by_slug.access)["tid"],
        claims_of(&by_id.access)["tid"]
    );
    assert_eq!(claims_of(&by_id.access)["tid"], ada.tenant_id.as_str());

    let (_, error, _) = oauth_error(
        app.password_grant(&ada.email, PASSWORD, &[("tenant", "nope")])
            .await,
    )
    .await;
    assert_eq!(error, "invalid_grant");
}

#[tokio::test]
async fn outdated_hash_parameters_are_upgraded_at_login() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    // The same deployment restarted with stronger parameters.
    let stronger = TestApp::builder()
        .sharing_with(&app)
        .env("GATEHOUSE_ARGON2_MEMORY_KIB", "12288")
        .spawn()
        .await;
    stronger.login(&ada, &[]).await;
    let hash = gatehouse_tests::db::password_hash_of(&app.db.url, &ada.email).await;
    assert!(hash.contains("m=12288"), "{hash}");
    // And the upgraded hash still verifies, on both.
    stronger.login(&ada, &[]).await;
    app.login(&ada, &[]).await;
}

#[tokio::test]
async fn a_full_hashing_queue_sheds_load_with_503() {
    let app = TestApp::builder()
        .env("GATEHOUSE_HASH_WORKERS", "1")
        .env("GATEHOUSE_HASH_QUEUE", "1")
        .env("GATEHOUSE_ARGON2_MEMORY_KIB", "65536")
        .env("GATEHOUSE_ARGON2_ITERATIONS", "3")
        .env("GATEHOUSE_HTTP_WORKERS", "2")
        .spawn()
        .await;
    let attempts = (0..12).map(|i| {
        let app = &app;
        async move {
            app.password_grant(&format!("user{i}@example.com"), "whatever password", &[])
                .await
        }
    });
    let responses = futures_util::future::join_all(attempts).await;
    let shed: Vec<_> = responses.iter().filter(|r| r.status() == 503).collect();
    assert!(!shed.is_empty(), "no request was shed");
    assert!(shed.iter().all(|r| r.headers().contains_key("retry-after")));
    assert!(
        responses
            .iter()
            .all(|r| r.status() == 503 || r.status() == 400)
    );
}

/// One form per grant type: a missing `grant_type` or a field the grant needs is
/// `invalid_request` naming it; another grant type is `unsupported_grant_type`.
#[tokio::test]
async fn each_grant_names_what_it_misses() {
    let app = TestApp::spawn().await;
    for (form, error, mentions) in [
        (
            &[("username", "a@example.com")][..],
            "invalid_request",
            "grant_type",
        ),
        (
            &[("grant_type", "password"), ("password", "x")][..],
            "invalid_request",
            "username",
        ),
        (
            &[("grant_type", "refresh_token")][..],
            "invalid_request",
            "refresh_token",
        ),
        (
            &[("grant_type", "client_credentials")][..],
            "unsupported_grant_type",
            "client_credentials",
        ),
    ] {
        let response = app.post_form("/oauth/token", form).await;
        assert_eq!(response.status(), 400, "{form:?}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"], error, "{form:?}: {body}");
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .contains(mentions),
            "{form:?}: {body}"
        );
    }
}
