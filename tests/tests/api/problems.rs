//! Problem `type`s (SPEC §15): one URI per kind of error under the configured public URL,
//! and a page at each.

use gatehouse_tests::{PASSWORD, TestApp};
use serde_json::json;

const PUBLIC_URL: &str = "https://id.example.test";

async fn app() -> TestApp {
    TestApp::builder()
        .env("GATEHOUSE_PUBLIC_URL", PUBLIC_URL)
        .spawn()
        .await
}

/// Asserts the answer is a problem of `kind` with `status`, and returns its body.
async fn assert_kind(response: reqwest::Response, status: u16, kind: &str) -> serde_json::Value {
    assert_eq!(response.status(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        body["type"],
        format!("{PUBLIC_URL}/problems/{kind}"),
        "{body}"
    );
    assert_eq!(body["status"], status);
    body
}

#[tokio::test]
async fn conflicts_name_what_clashed() {
    let app = app().await;
    app.sign_up("first@example.com", "first-co").await;
    let signup = |email: &str, slug: &str| {
        json!({"email": email, "password": PASSWORD, "display_name": "Second",
               "tenant": {"name": "Second", "slug": slug}})
    };
    let same_slug = app
        .post_json("/api/v1/signup", &signup("second@example.com", "first-co"))
        .await;
    let body = assert_kind(same_slug, 409, "slug-taken").await;
    assert_eq!(body["title"], "Slug taken");
    let same_email = app
        .post_json("/api/v1/signup", &signup("first@example.com", "second-co"))
        .await;
    assert_kind(same_email, 409, "email-taken").await;
}

#[tokio::test]
async fn rules_of_the_service_have_their_own_kinds() {
    let app = app().await;
    let owner = app.sign_up("owner@example.com", "rules-co").await;
    let tokens = app.login(&owner, &[]).await;
    let tenant = format!("/api/v1/tenants/{}", owner.tenant_id);
    let owner_role = app.role_id(&tokens.access, &owner.tenant_id, "owner").await;

    let built_in = app
        .send_with(
            reqwest::Method::DELETE,
            &format!("{tenant}/roles/{owner_role}"),
            &tokens.access,
            None,
        )
        .await;
    assert_kind(built_in, 409, "built-in-role").await;

    let last_owner = app
        .send_with(
            reqwest::Method::DELETE,
            &format!("{tenant}/members/{}", owner.user_id),
            &tokens.access,
            None,
        )
        .await;
    assert_kind(last_owner, 409, "last-owner").await;

    let other = app.sign_up("other@example.com", "other-co").await;
    let wrong_tenant = app
        .get_with(
            &format!("/api/v1/tenants/{}/projects", other.tenant_id),
            &tokens.access,
        )
        .await;
    assert_kind(wrong_tenant, 403, "wrong-tenant").await;
}

#[tokio::test]
async fn protocol_errors_have_kinds_too() {
    let app = app().await;
    assert_kind(app.get("/api/v1/me").await, 401, "authentication-required").await;
    assert_kind(
        app.get_with("/api/v1/me", "forged").await,
        401,
        "invalid-credentials",
    )
    .await;
    assert_kind(app.get("/no/such/route").await, 404, "not-found").await;
    let wrong_method = app.client.put(app.url("/api/v1/me")).send().await.unwrap();
    assert_kind(wrong_method, 405, "method-not-allowed").await;
    let invalid = app
        .post_json(
            "/api/v1/signup",
            &json!({"email": "not-an-email", "password": PASSWORD, "display_name": "X",
                    "tenant": {"name": "X", "slug": "x-co"}}),
        )
        .await;
    let body = assert_kind(invalid, 422, "validation").await;
    assert_eq!(body["errors"][0]["field"], "email", "{body}");
}

#[tokio::test]
async fn every_kind_has_a_page_and_the_index_links_them_all() {
    let app = app().await;
    let index = app.get("/problems").await;
    assert_eq!(index.status(), 200);
    assert!(
        index.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let index = index.text().await.unwrap();
    let slugs: Vec<&str> = index
        .split("href=\"/problems/")
        .skip(1)
        .map(|rest| &rest[..rest.find('"').unwrap()])
        .collect();
    assert!(slugs.len() >= 20, "{index}");
    for slug in [
        &[
            "validation",
            "slug-taken",
            "last-owner",
            "insufficient-scope",
        ][..],
        &slugs,
    ]
    .concat()
    {
        assert!(slugs.contains(&slug), "{slug} missing from the index");
        let page = app.get(&format!("/problems/{slug}")).await;
        assert_eq!(page.status(), 200, "{slug}");
        let html = page.text().await.unwrap();
        assert!(html.contains(&format!("<code>{slug}</code>")), "{html}");
        assert!(html.contains("<h1>"), "{html}");
    }
    assert_kind(app.get("/problems/no-such-kind").await, 404, "not-found").await;
    let post = app
        .client
        .post(app.url("/problems/validation"))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 405);
}
