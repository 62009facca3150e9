//! Access tokens as an attacker would probe them.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gatehouse_tests::{TestApp, claims_of, header_of};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};

async fn status_of(app: &TestApp, token: &str) -> u16 {
    let response = app.get_with("/api/v1/me", token).await;
    let status = response.status().as_u16();
    if status == 401 {
        let challenge = response.headers()["www-authenticate"].to_str().unwrap();
        assert!(
            challenge.contains(r#"error="invalid_token""#),
            "{challenge}"
        );
    }
    status
}

/// A token signed with the app's own secret, with chosen header and claims.
fn forge(
    app: &TestApp,
    alg: Algorithm,
    header_edit: impl Fn(&mut Header),
    claims: &Value,
) -> String {
    let mut header = Header::new(alg);
    header.typ = Some("at+jwt".into());
    header_edit(&mut header);
    encode(
        &header,
        claims,
        &EncodingKey::from_secret(app.env["GATEHOUSE_JWT_SECRET"].as_bytes()),
    )
    .unwrap()
}

async fn genuine(app: &TestApp) -> (Value, Value, String) {
    let ada = app.sign_up("ada@example.com", "acme").await;
    let tokens = app.login(&ada, &[]).await;
    assert_eq!(status_of(app, &tokens.access).await, 200);
    (
        header_of(&tokens.access),
        claims_of(&tokens.access),
        tokens.refresh,
    )
}

#[tokio::test]
async fn a_genuine_token_re_signed_identically_is_accepted() {
    // Control: proves forge() produces what the app accepts, so the rejections below are
    // about the one thing each changes.
    let app = TestApp::spawn().await;
    let (header, claims, _) = genuine(&app).await;
    let kid = header["kid"].as_str().unwrap().to_owned();
    let token = forge(
        &app,
        Algorithm::HS256,
        |h| h.kid = Some(kid.clone()),
        &claims,
    );
    assert_eq!(status_of(&app, &token).await, 200);
}

#[tokio::test]
async fn forged_and_tampered_tokens_are_rejected() {
    let app = TestApp::spawn().await;
    let (header, claims, refresh) = genuine(&app).await;
    let kid = header["kid"].as_str().unwrap().to_owned();
    let with_kid = |h: &mut Header| h.kid = Some(kid.clone());
    let now = chrono::Utc::now().timestamp();

    // Signed with another secret.
    let mut other = Header::new(Algorithm::HS256);
    other.typ = Some("at+jwt".into());
    other.kid = Some(kid.clone());
    let forged = encode(
        &other,
        &claims,
        &EncodingKey::from_secret(b"an attacker's secret of 32 bytes!"),
    )
    .unwrap();
    assert_eq!(status_of(&app, &forged).await, 401, "foreign signature");

    // Payload tampered after signing (scope escalation).
    let genuine_token = forge(&app, Algorithm::HS256, with_kid, &claims);
    let parts: Vec<&str> = genuine_token.split('.').collect();
    let mut escalated = claims.clone();
    escalated["scope"] = json!("platform:admin");
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(escalated.to_string()),
        parts[2]
    );
    assert_eq!(status_of(&app, &tampered).await, 401, "tampered payload");

    // alg: none, unsigned.
    let none_header =
        URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "at+jwt", "kid": kid}).to_string());
    let unsigned = format!(
        "{none_header}.{}.",
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    assert_eq!(status_of(&app, &unsigned).await, 401, "alg none");

    // Other HMAC sizes with the very same secret.
    for alg in [Algorithm::HS384, Algorithm::HS512] {
        assert_eq!(
            status_of(&app, &forge(&app, alg, with_kid, &claims)).await,
            401,
            "{alg:?}"
        );
    }

    // typ other than at+jwt (e.g. an ID token), or none.
    assert_eq!(
        status_of(
            &app,
            &forge(
                &app,
                Algorithm::HS256,
                |h| {
                    h.kid = Some(kid.clone());
                    h.typ = Some("JWT".into())
                },
                &claims
            )
        )
        .await,
        401
    );
    assert_eq!(
        status_of(
            &app,
            &forge(
                &app,
                Algorithm::HS256,
                |h| {
                    h.kid = Some(kid.clone());
                    h.typ = None
                },
                &claims
            )
        )
        .await,
        401
    );
    // Unknown or missing kid.
    assert_eq!(
        status_of(
            &app,
            &forge(
                &app,
                Algorithm::HS256,
                |h| h.kid = Some("other".into()),
                &claims
            )
        )
        .await,
        401
    );
    assert_eq!(
        status_of(&app, &forge(&app, Algorithm::HS256, |_| {}, &claims)).await,
        401
    );

    let edited = |edit: &dyn Fn(&mut Value)| {
        let mut c = claims.clone();
        edit(&mut c);
        forge(&app, Algorithm::HS256, with_kid, &c)
    };
    // Expired (beyond the 5 s leeway), not yet valid, wrong audience, wrong issuer.
    let expired = edited(&|c| c["exp"] = json!(now - 30));
    assert_eq!(status_of(&app, &expired).await, 401, "expired");
    let future = edited(&|c| c["nbf"] = json!(now + 60));
    assert_eq!(status_of(&app, &future).await, 401, "nbf in the future");
    assert_eq!(
        status_of(&app, &edited(&|c| c["aud"] = json!("another-api"))).await,
        401,
        "aud"
    );
    assert_eq!(
        status_of(&app, &edited(&|c| c["iss"] = json!("https://evil.example"))).await,
        401,
        "iss"
    );
    // Required claims missing altogether (jsonwebtoken lets these pass by default).
    for claim in ["aud", "iss", "exp", "nbf", "sid", "jti"] {
        let token = edited(&|c| {
            c.as_object_mut().unwrap().remove(claim);
        });
        assert_eq!(status_of(&app, &token).await, 401, "without {claim}");
    }

    // A refresh token is not an access token.
    assert_eq!(
        status_of(&app, &refresh).await,
        401,
        "refresh token as bearer"
    );
}

#[tokio::test]
async fn a_token_of_another_deployment_is_rejected() {
    let app = TestApp::spawn().await;
    let other = TestApp::spawn().await;
    let ada = other.sign_up("ada@example.com", "acme").await;
    let tokens = other.login(&ada, &[]).await;
    assert_eq!(status_of(&app, &tokens.access).await, 401);
}

#[tokio::test]
async fn with_redis_unreachable_authenticated_requests_fail_closed_with_503() {
    let app = TestApp::spawn().await;
    let (header, claims, _) = genuine(&app).await;
    let kid = header["kid"].as_str().unwrap().to_owned();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = listener.local_addr().unwrap().port();
    drop(listener);
    let cut_off = TestApp::builder()
        .sharing_with(&app)
        .env("REDIS_URL", &format!("redis://127.0.0.1:{closed}"))
        .env("GATEHOUSE_DEPENDENCY_TIMEOUT_MS", "500")
        .spawn()
        .await;
    let token = forge(
        &app,
        Algorithm::HS256,
        |h| h.kid = Some(kid.clone()),
        &claims,
    );
    let response = cut_off.get_with("/api/v1/me", &token).await;
    assert_eq!(
        response.status(),
        503,
        "a token that cannot be checked for revocation must not pass"
    );
    assert!(response.headers().contains_key("retry-after"));
}
