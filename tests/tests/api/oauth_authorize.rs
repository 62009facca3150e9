//! `GET /oauth/authorize` (RFC 6749 §4.1.1 and §4.1.2.1, RFC 7636, RFC 9207, SPEC §11),
//! probed as an attacker would: an unregistered redirect URI is never redirected to;
//! every other fault goes back to the client with `error`, `state` and `iss`.

use gatehouse_tests::TestApp;
use gatehouse_tests::browser::{Browser, REDIRECT, client_spec};

async fn app_with_client() -> TestApp {
    let app = TestApp::spawn().await;
    app.register_client(&client_spec("spa")).await;
    app
}

#[tokio::test]
async fn no_registered_client_or_redirect_uri_means_a_page_never_a_redirect() {
    let app = app_with_client().await;
    let mut browser = Browser::new(&app);
    let challenge = auth::pkce::challenge_of(gatehouse_tests::browser::VERIFIER);
    let evil = "https://evil.example/steal";
    for (what, query) in [
        (
            "unknown client",
            format!(
                "response_type=code&client_id=nobody&redirect_uri={REDIRECT}&code_challenge={challenge}&code_challenge_method=S256"
            ),
        ),
        (
            "unregistered redirect",
            format!(
                "response_type=code&client_id=spa&redirect_uri={evil}&code_challenge={challenge}&code_challenge_method=S256"
            ),
        ),
        (
            "a registered one's prefix",
            format!(
                "response_type=code&client_id=spa&redirect_uri={REDIRECT}/x&code_challenge={challenge}&code_challenge_method=S256"
            ),
        ),
        (
            "no redirect_uri",
            format!("response_type=code&client_id=spa&code_challenge={challenge}"),
        ),
        (
            "no client_id",
            format!("response_type=code&redirect_uri={REDIRECT}"),
        ),
        (
            "a repeated redirect_uri",
            format!(
                "response_type=code&client_id=spa&redirect_uri={REDIRECT}&redirect_uri={evil}&code_challenge={challenge}&code_challenge_method=S256"
            ),
        ),
    ] {
        let page = browser.get(&format!("/oauth/authorize?{query}")).await;
        assert_eq!(page.status, 400, "{what}: {}", page.body);
        assert_eq!(page.location, None, "{what}: redirected");
        assert!(
            page.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{what}"
        );
        assert!(
            !page.body.contains("evil.example"),
            "{what}: echoes the URI"
        );
    }
}

#[tokio::test]
async fn other_faults_go_back_to_the_client_with_state_and_iss() {
    let app = app_with_client().await;
    let mut browser = Browser::new(&app);
    let issuer = app.env.get("GATEHOUSE_PUBLIC_URL").cloned();
    for (what, extra, expected) in [
        (
            "response_type=token",
            ("response_type", "token"),
            "unsupported_response_type",
        ),
        ("no response_type", ("response_type", ""), "invalid_request"),
        (
            "plain PKCE",
            ("code_challenge_method", "plain"),
            "invalid_request",
        ),
        ("no PKCE", ("code_challenge", ""), "invalid_request"),
        (
            "not an S256 challenge",
            ("code_challenge", "short"),
            "invalid_request",
        ),
        (
            "an unknown scope",
            ("scope", "projects:read nuke:all"),
            "invalid_scope",
        ),
        (
            "an unknown prompt",
            ("prompt", "consent"),
            "invalid_request",
        ),
        (
            "prompt=none, not signed in",
            ("prompt", "none"),
            "login_required",
        ),
    ] {
        let page = browser.authorize("spa", &[extra]).await;
        assert_eq!(page.status, 303, "{what}: {}", page.body);
        let location = page.location.clone().unwrap();
        assert!(location.starts_with(REDIRECT), "{what}: {location}");
        let params = page.redirect_params();
        assert_eq!(params["error"], expected, "{what}");
        assert_eq!(params["state"], "xyz", "{what}");
        assert!(params.contains_key("error_description"), "{what}");
        // RFC 9207: the issuer identifies who answered.
        let iss = &params["iss"];
        assert!(iss.starts_with("http"), "{what}: {iss}");
        if let Some(issuer) = &issuer {
            assert_eq!(iss, issuer.trim_end_matches('/'));
        }
        assert!(!params.contains_key("code"), "{what}");
    }
}

#[tokio::test]
async fn the_login_page_is_plain_html_bound_to_a_login_cookie_under_a_strict_policy() {
    let app = app_with_client().await;
    let mut browser = Browser::new(&app);
    let page = browser
        .authorize("spa", &[("login_hint", "ada@example.com")])
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(page.headers["cache-control"], "no-store");
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(!csp.contains("script-src"), "no script at all: {csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    // The last step redirects to the client: the only other place a form may lead.
    assert!(
        csp.contains("form-action 'self' https://app.example.com"),
        "{csp}"
    );
    // Over plain http the cookie has no prefix and no Secure (SPEC §11).
    let cookie = page.set_cookie("gh_login").expect("login-state cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "{cookie}");
    // Accessible: labelled fields, the hint filled in, the form posts where it says.
    assert!(page.body.contains(r#"<label for="email">"#));
    assert!(page.body.contains(r#"<label for="password">"#));
    assert!(page.body.contains(r#"value="ada@example.com""#));
    assert!(page.body.contains(r#"action="/login/password""#));
    assert!(page.body.contains("The spa app"), "names the client");
    assert!(!page.body.contains("<script"));
    assert_eq!(page.csrf().len(), 43);
}

#[tokio::test]
async fn the_pages_stylesheet_is_served_from_this_origin() {
    let app = TestApp::spawn().await;
    let response = app.get("/assets/signin.css").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
}
