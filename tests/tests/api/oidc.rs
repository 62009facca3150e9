//! OpenID Connect (SPEC §11) through an off-the-shelf client library (`openidconnect`):
//! discovery, the code flow with PKCE and a nonce, the ID token validated against the
//! discovery document and the JWKS, UserInfo; then what the library does not cover:
//! RP-initiated logout, `openid` without a signing key, the password grant switch.

use gatehouse_tests::TestApp;
use gatehouse_tests::browser::{Browser, REDIRECT, client_spec, oidc_app};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};
use serde_json::Value;

/// The library's HTTP, over the suite's reqwest. The issuer is the configured public URL
/// (`http://127.0.0.1:8080`, as in production a balancer's); requests to it reach the
/// spawned instance, as a reverse proxy would route them.
fn http_client(
    app: &TestApp,
) -> impl Fn(
    openidconnect::HttpRequest,
) -> std::pin::Pin<
    Box<dyn Future<Output = Result<openidconnect::HttpResponse, reqwest::Error>> + Send>,
> + '_ {
    move |request: openidconnect::HttpRequest| {
        let client = app.client.clone();
        let url = request
            .uri()
            .to_string()
            .replace("http://127.0.0.1:8080", &app.address);
        Box::pin(async move {
            let mut outgoing = client
                .request(request.method().clone(), url)
                .body(request.body().clone());
            for (name, value) in request.headers() {
                outgoing = outgoing.header(name, value);
            }
            let response = outgoing.send().await?;
            let mut built = http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                built = built.header(name, value);
            }
            let body = response.bytes().await?.to_vec();
            Ok(built.body(body).expect("a response"))
        })
    }
}

#[tokio::test]
async fn an_off_the_shelf_relying_party_signs_in_and_validates_the_id_token() {
    let app = oidc_app(&[client_spec("relying-party")]).await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let http = http_client(&app);
    let issuer = IssuerUrl::new("http://127.0.0.1:8080".into()).unwrap();
    let metadata = CoreProviderMetadata::discover_async(issuer, &http)
        .await
        .expect("discovery");
    let client =
        CoreClient::from_provider_metadata(metadata, ClientId::new("relying-party".into()), None)
            .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();

    let mut browser = Browser::new(&app);
    let path = format!("{}?{}", url.path(), url.query().unwrap());
    let page = browser.get(&path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let done = browser
        .submit_password(&page, &ada.email, &ada.password)
        .await;
    let params = done.redirect_params();
    assert_eq!(&params["state"], csrf.secret());

    let tokens = client
        .exchange_code(AuthorizationCode::new(params["code"].clone()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("code exchange");
    let id_token = tokens.id_token().expect("an id_token");
    let claims = id_token
        .claims(&client.id_token_verifier(), &nonce)
        .expect("a valid ID token (signature by the JWKS, iss, aud, exp, nonce)");
    assert_eq!(claims.subject().as_str(), ada.user_id);
    assert_eq!(claims.email().unwrap().as_str(), ada.email);
    assert_eq!(claims.email_verified(), Some(false));
    assert!(claims.auth_time().is_some());
    let amr: Vec<String> = claims
        .auth_method_refs()
        .unwrap()
        .iter()
        .map(|m| m.to_string())
        .collect();
    assert_eq!(amr, ["pwd"]);

    let userinfo: Value = app
        .get_with("/oauth/userinfo", tokens.access_token().secret())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(userinfo["sub"], ada.user_id);
    assert_eq!(userinfo["email"], ada.email);
    assert_eq!(userinfo["name"], "Test User");
}

#[tokio::test]
async fn discovery_lists_the_endpoints_and_the_jwks_never_a_secret() {
    let app = oidc_app(&[]).await;
    let config: Value = app
        .get("/.well-known/openid-configuration")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(config["issuer"], "http://127.0.0.1:8080");
    assert_eq!(
        config["response_types_supported"],
        serde_json::json!(["code"])
    );
    assert_eq!(
        config["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(
        config["id_token_signing_alg_values_supported"],
        serde_json::json!(["RS256"])
    );
    for endpoint in [
        "authorization",
        "token",
        "userinfo",
        "end_session",
        "revocation",
    ] {
        assert!(
            config[format!("{endpoint}_endpoint")].is_string(),
            "{endpoint}: {config}"
        );
    }
    let scopes = config["scopes_supported"].as_array().unwrap();
    assert!(scopes.contains(&"openid".into()) && scopes.contains(&"projects:read".into()));
    // Access tokens are HS256 here: the JWKS holds the ID-token key only, public half.
    let jwks: Value = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1, "{jwks}");
    assert_eq!(keys[0]["kty"], "RSA");
    assert!(keys[0].get("d").is_none() && keys[0].get("k").is_none());
}

#[tokio::test]
async fn without_a_signing_key_openid_is_refused_and_not_advertised() {
    let app = TestApp::spawn().await;
    app.register_client(&client_spec("spa")).await;
    let mut browser = Browser::new(&app);
    let refused = browser.authorize("spa", &[("scope", "openid")]).await;
    assert_eq!(refused.redirect_params()["error"], "invalid_scope");
    assert_eq!(
        app.get("/.well-known/openid-configuration").await.status(),
        404
    );
}

#[tokio::test]
async fn userinfo_needs_the_openid_scope() {
    let app = oidc_app(&[]).await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let tokens = app.login(&ada, &[]).await;
    let response = app.get_with("/oauth/userinfo", &tokens.access).await;
    assert_eq!(response.status(), 403);
    let with = app.login(&ada, &[("scope", "openid")]).await;
    let response = app.get_with("/oauth/userinfo", &with.access).await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn logout_ends_the_sign_in_and_the_hinted_session_and_redirects_only_where_registered() {
    let mut spec = client_spec("spa");
    spec.post_logout_redirect_uris = vec!["https://app.example.com/bye".into()];
    let app = oidc_app(&[spec]).await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let mut browser = Browser::new(&app);
    let page = browser.authorize("spa", &[("scope", "openid")]).await;
    let done = browser
        .submit_password(&page, &ada.email, &ada.password)
        .await;
    let response = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &done.redirect_params()["code"]),
                ("redirect_uri", REDIRECT),
                ("client_id", "spa"),
                ("code_verifier", gatehouse_tests::browser::VERIFIER),
            ],
        )
        .await;
    let tokens: Value = response.json().await.unwrap();
    let id_token = tokens["id_token"].as_str().unwrap();
    let access = tokens["access_token"].as_str().unwrap();

    let unregistered = browser
        .get(&format!(
            "/oauth/logout?id_token_hint={id_token}&post_logout_redirect_uri=https://evil.example/"
        ))
        .await;
    assert_eq!(unregistered.status, 400);
    assert_eq!(unregistered.location, None);

    let bye = browser
        .get(&format!(
            "/oauth/logout?id_token_hint={id_token}&post_logout_redirect_uri=https://app.example.com/bye&state=s1"
        ))
        .await;
    assert_eq!(bye.status, 303, "{}", bye.body);
    assert!(
        bye.location
            .as_deref()
            .unwrap()
            .starts_with("https://app.example.com/bye?state=s1")
    );
    // The hinted session's tokens and the browser's sign-in are gone.
    assert_eq!(app.get_with("/api/v1/me", access).await.status(), 401);
    let again = browser.authorize("spa", &[("prompt", "none")]).await;
    assert_eq!(again.redirect_params()["error"], "login_required");
    // A forged hint is refused.
    let forged = browser
        .get("/oauth/logout?id_token_hint=eyJhbGciOiJub25lIn0.e30.")
        .await;
    assert_eq!(forged.status, 400);
}

#[tokio::test]
async fn the_password_grant_can_be_switched_off() {
    let app = TestApp::builder()
        .env("GATEHOUSE_PASSWORD_GRANT", "off")
        .spawn()
        .await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let response = app.password_grant(&ada.email, &ada.password, &[]).await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "unsupported_grant_type");
    let metadata: Value = app
        .get("/.well-known/oauth-authorization-server")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        !metadata["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&"password".into())
    );
}
