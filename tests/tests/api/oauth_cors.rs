//! CORS on `/oauth/*` and `/api/v1/*` for the registered clients' origins (SPEC §11): a
//! browser app on its own origin redeems codes, refreshes and calls the API cross-origin;
//! nothing else is opened to it.

use gatehouse_tests::TestApp;
use reqwest::Method;
use serde_json::json;

const SPA: &str = "https://spa.example.com";

async fn preflight(app: &TestApp, path: &str, origin: &str) -> Option<String> {
    let response = app
        .client
        .request(Method::OPTIONS, app.url(path))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    response
        .headers()
        .get("access-control-allow-origin")
        .map(|v| v.to_str().unwrap().to_owned())
}

#[tokio::test]
async fn a_clients_origin_may_call_oauth_and_the_api_and_nothing_else() {
    let app = TestApp::spawn().await;
    let root = app.platform_admin().await;
    assert_eq!(
        preflight(&app, "/oauth/token", SPA).await,
        None,
        "before registration"
    );
    let client = json!({
        "client_id": "spa", "name": "SPA", "client_type": "public",
        "redirect_uris": [format!("{SPA}/callback")], "allowed_origins": [SPA],
        "refresh_delivery": "cookie"
    });
    let created = app
        .send_with(
            Method::POST,
            "/api/v1/platform/clients",
            &root.access,
            Some(client),
        )
        .await;
    assert_eq!(created.status(), 201);

    assert_eq!(
        preflight(&app, "/oauth/token", SPA).await.as_deref(),
        Some(SPA)
    );
    assert_eq!(
        preflight(&app, "/oauth/revoke", SPA).await.as_deref(),
        Some(SPA)
    );
    // The API too (the SPA calls it with its in-memory access token), not the rest.
    assert_eq!(
        preflight(&app, "/api/v1/me", SPA).await.as_deref(),
        Some(SPA)
    );
    assert_eq!(preflight(&app, "/metrics", SPA).await, None);
    assert_eq!(preflight(&app, "/login/password", SPA).await, None);
    // Another origin, or a look-alike, stays out.
    assert_eq!(
        preflight(&app, "/oauth/token", "https://evil.example.com").await,
        None
    );
    assert_eq!(
        preflight(&app, "/oauth/token", "https://spa.example.com.evil.net").await,
        None
    );

    let deleted = app
        .send_with(
            Method::DELETE,
            "/api/v1/platform/clients/spa",
            &root.access,
            None,
        )
        .await;
    assert_eq!(deleted.status(), 204);
    assert_eq!(
        preflight(&app, "/oauth/token", SPA).await,
        None,
        "after deletion"
    );
}
