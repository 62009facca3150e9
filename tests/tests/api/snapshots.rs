//! Snapshots (insta) of representative responses: status, the headers a client relies on
//! and the whole body, so a change to any field of the API's contract shows up as a diff
//! to review (`cargo insta review`, or `INSTA_UPDATE=always` then `git diff`). What differs
//! between runs (ids, times, tokens, secrets) is redacted, and each redaction first checks
//! the value has the shape it stands for. In CI (`CI=true`) insta writes nothing and a
//! missing or different snapshot fails the test.

use gatehouse_tests::{PASSWORD, TestApp, Tokens, claims_of};
use insta::internals::{Content, ContentPath};
use insta::{Settings, assert_json_snapshot, dynamic_redaction};
use reqwest::Method;
use serde_json::{Value, json};

/// The status, the headers named, and the body (JSON where it is, else text).
async fn capture(response: reqwest::Response, headers: &[&str]) -> Value {
    let status = response.status().as_u16();
    let mut kept = serde_json::Map::new();
    for name in ["content-type"].iter().chain(headers) {
        let value = response
            .headers()
            .get(*name)
            .map(|v| Value::String(v.to_str().unwrap().to_owned()))
            .unwrap_or(Value::Null);
        kept.insert((*name).to_owned(), value);
    }
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    json!({"status": status, "headers": kept, "body": body})
}

fn text_of(value: &Content, path: &ContentPath<'_>) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("{path}: expected a string, got {value:?}"))
        .to_owned()
}

fn is_null(value: &Content) -> bool {
    matches!(value.resolve_inner(), Content::None | Content::Unit)
}

/// A UUID, redacted (`null` stays: that a field is empty is part of the contract).
fn uuid(value: Content, path: ContentPath<'_>) -> Content {
    if is_null(&value) {
        return value;
    }
    let text = text_of(&value, &path);
    assert!(
        uuid::Uuid::parse_str(&text).is_ok(),
        "{path}: {text} is no UUID"
    );
    Content::from("[uuid]")
}

/// An RFC 3339 time, redacted (`null` stays).
fn time(value: Content, path: ContentPath<'_>) -> Content {
    if is_null(&value) {
        return value;
    }
    let text = text_of(&value, &path);
    assert!(
        chrono::DateTime::parse_from_rfc3339(&text).is_ok(),
        "{path}: {text} is no RFC 3339 time"
    );
    Content::from("[time]")
}

/// A JWT (three base64url parts), redacted.
fn jwt(value: Content, path: ContentPath<'_>) -> &'static str {
    let text = text_of(&value, &path);
    assert_eq!(text.split('.').count(), 3, "{path}: {text} is no JWT");
    "[jwt]"
}

/// An opaque secret (a refresh token, a cursor): at least 16 characters, redacted.
fn opaque(value: Content, path: ContentPath<'_>) -> &'static str {
    let text = text_of(&value, &path);
    assert!(text.len() >= 16, "{path}: {text} is too short for a secret");
    "[opaque]"
}

/// An API key, `gk_<key_id>_<secret>`, redacted.
fn api_key(value: Content, path: ContentPath<'_>) -> &'static str {
    let text = text_of(&value, &path);
    let parts: Vec<&str> = text.splitn(3, '_').collect();
    assert!(
        parts.len() == 3 && parts[0] == "gk" && parts[1].len() == 8 && parts[2].len() >= 16,
        "{path}: {text} is no API key"
    );
    "gk_[key_id]_[secret]"
}

/// The public part of an API key, `gk_<key_id>`, redacted.
fn api_key_prefix(value: Content, path: ContentPath<'_>) -> &'static str {
    let text = text_of(&value, &path);
    let key_id = text.strip_prefix("gk_").unwrap_or_default();
    assert!(
        key_id.len() == 8 && key_id.chars().all(|c| c.is_ascii_alphanumeric()),
        "{path}: {text} is no key prefix"
    );
    "gk_[key_id]"
}

/// Text with UUIDs in it (an audit target, `project:<id>`): each one redacted. Anything
/// but text stays.
fn ids_in_text(value: Content, path: ContentPath<'_>) -> Content {
    if value.as_str().is_none() {
        return value;
    }
    let text = text_of(&value, &path);
    let mut out = String::new();
    let mut rest = text.as_str();
    while !rest.is_empty() {
        if rest.len() >= 36
            && rest.is_char_boundary(36)
            && uuid::Uuid::parse_str(&rest[..36]).is_ok()
        {
            out.push_str("[uuid]");
            rest = &rest[36..];
        } else {
            let c = rest.chars().next().unwrap();
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    Content::from(out)
}

/// Runs `f` with the redactions every snapshot shares (ids, times anywhere by name).
fn with_common_redactions(f: impl FnOnce()) {
    let mut settings = Settings::clone_current();
    settings.set_sort_maps(true);
    settings.add_redaction(".body.**.id", dynamic_redaction(uuid));
    settings.add_redaction(".body.**.user_id", dynamic_redaction(uuid));
    settings.add_redaction(".body.**.tenant_id", dynamic_redaction(uuid));
    settings.add_redaction(".body.**.created_by", dynamic_redaction(uuid));
    settings.add_redaction(".body.**.actor_id", dynamic_redaction(uuid));
    settings.add_redaction(".body.**.role_ids[]", dynamic_redaction(uuid));
    settings.add_redaction(".body.**.created_at", dynamic_redaction(time));
    settings.add_redaction(".body.**.updated_at", dynamic_redaction(time));
    settings.add_redaction(".body.**.joined_at", dynamic_redaction(time));
    settings.add_redaction(".body.**.expires_at", dynamic_redaction(time));
    settings.bind(f);
}

const ADA: &str = "ada@example.com";

async fn sign_up_and_log_in(app: &TestApp) -> (gatehouse_tests::Account, Tokens) {
    let ada = app.sign_up(ADA, "acme").await;
    let tokens = app.login(&ada, &[("tenant", &ada.tenant_id)]).await;
    (ada, tokens)
}

/// POSTs `body` to a collection of a new tenant, as its owner; the response captured.
async fn post_in_new_tenant(collection: &str, body: Value, headers: &[&str]) -> Value {
    let app = TestApp::spawn().await;
    let (ada, tokens) = sign_up_and_log_in(&app).await;
    let path = format!("/api/v1/tenants/{}/{collection}", ada.tenant_id);
    let response = app
        .send_with(Method::POST, &path, &tokens.access, Some(body))
        .await;
    capture(response, headers).await
}

#[tokio::test]
async fn sign_up() {
    let app = TestApp::spawn().await;
    let response = app
        .post_json(
            "/api/v1/signup",
            &json!({
                "email": "Ada@Example.com", "password": PASSWORD, "display_name": "Ada Lovelace",
                "tenant": {"name": "Acme Corp", "slug": "acme"}
            }),
        )
        .await;
    let snapshot = capture(response, &["location"]).await;
    with_common_redactions(|| assert_json_snapshot!(snapshot));
}

#[tokio::test]
async fn token_response() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up(ADA, "acme").await;
    let response = app
        .password_grant(
            ADA,
            PASSWORD,
            &[("tenant", "acme"), ("scope", "projects:read tasks:read")],
        )
        .await;
    let mut snapshot = capture(response, &["cache-control", "pragma"]).await;
    // What the access token says, with its lifetime instead of its times.
    let claims = claims_of(snapshot["body"]["access_token"].as_str().unwrap());
    assert_eq!(claims["sub"], ada.user_id.as_str());
    assert_eq!(claims["tid"], ada.tenant_id.as_str());
    snapshot["access_token_claims"] = json!({
        "iss": claims["iss"], "aud": claims["aud"], "scope": claims["scope"],
        "sub": claims["sub"], "tid": claims["tid"], "sid": claims["sid"], "jti": claims["jti"],
        "lifetime_seconds": claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        "nbf_is_iat": claims["nbf"] == claims["iat"],
    });
    with_common_redactions(|| {
        assert_json_snapshot!(snapshot, {
            ".body.access_token" => dynamic_redaction(jwt),
            ".body.refresh_token" => dynamic_redaction(opaque),
            ".access_token_claims.sub" => dynamic_redaction(uuid),
            ".access_token_claims.tid" => dynamic_redaction(uuid),
            ".access_token_claims.sid" => dynamic_redaction(uuid),
            ".access_token_claims.jti" => dynamic_redaction(uuid),
        })
    });
}

#[tokio::test]
async fn project() {
    let snapshot = post_in_new_tenant(
        "projects",
        json!({"name": "Website relaunch", "description": "Q3"}),
        &["location", "cache-control"],
    )
    .await;
    with_common_redactions(|| {
        assert_json_snapshot!(snapshot, {
            ".headers.location" => dynamic_redaction(ids_in_text),
        })
    });
}

#[tokio::test]
async fn paged_list() {
    let app = TestApp::spawn().await;
    let (ada, tokens) = sign_up_and_log_in(&app).await;
    let projects = format!("/api/v1/tenants/{}/projects", ada.tenant_id);
    for name in ["First", "Second", "Third"] {
        let response = app
            .send_with(
                Method::POST,
                &projects,
                &tokens.access,
                Some(json!({"name": name})),
            )
            .await;
        assert_eq!(response.status(), 201);
    }
    let first = app
        .get_with(&format!("{projects}?limit=2"), &tokens.access)
        .await;
    let first = capture(first, &[]).await;
    let cursor = first["body"]["next_cursor"].as_str().unwrap().to_owned();
    let last = app
        .get_with(
            &format!("{projects}?limit=2&cursor={cursor}"),
            &tokens.access,
        )
        .await;
    let snapshot = json!({"first_page": first, "last_page": capture(last, &[]).await});
    let mut settings = Settings::clone_current();
    settings.set_sort_maps(true);
    settings.add_redaction(".first_page.body.next_cursor", dynamic_redaction(opaque));
    settings.add_redaction(".**.items[].id", dynamic_redaction(uuid));
    settings.add_redaction(".**.items[].created_by", dynamic_redaction(uuid));
    settings.add_redaction(".**.items[].created_at", dynamic_redaction(time));
    settings.add_redaction(".**.items[].updated_at", dynamic_redaction(time));
    settings.bind(|| assert_json_snapshot!(snapshot));
}

#[tokio::test]
async fn member() {
    let app = TestApp::spawn().await;
    let (ada, tokens) = sign_up_and_log_in(&app).await;
    let grace = app
        .add_member(&tokens, &ada, "grace@example.com", &["member", "viewer"])
        .await;
    let response = app
        .get_with(
            &format!(
                "/api/v1/tenants/{}/members/{}",
                ada.tenant_id, grace.user_id
            ),
            &tokens.access,
        )
        .await;
    let snapshot = capture(response, &[]).await;
    with_common_redactions(|| assert_json_snapshot!(snapshot));
}

#[tokio::test]
async fn role() {
    let snapshot = post_in_new_tenant(
        "roles",
        json!({
            "name": "billing", "description": "Reads the audit log",
            "permissions": ["audit:read", "tenant:read"]
        }),
        &["location"],
    )
    .await;
    with_common_redactions(|| {
        assert_json_snapshot!(snapshot, {
            ".headers.location" => dynamic_redaction(ids_in_text),
        })
    });
}

#[tokio::test]
async fn api_key_creation() {
    let snapshot = post_in_new_tenant(
        "api-keys",
        json!({"name": "ci", "scopes": ["projects:read"]}),
        &["cache-control", "location"],
    )
    .await;
    with_common_redactions(|| {
        assert_json_snapshot!(snapshot, {
            ".body.key" => dynamic_redaction(api_key),
            ".body.prefix" => dynamic_redaction(api_key_prefix),
            ".headers.location" => dynamic_redaction(ids_in_text),
        })
    });
}

#[tokio::test]
async fn validation_error() {
    let snapshot = post_in_new_tenant(
        "roles",
        json!({"name": "no:colons", "permissions": ["no:such-scope"]}),
        &[],
    )
    .await;
    with_common_redactions(|| assert_json_snapshot!(snapshot));
}

#[tokio::test]
async fn not_found() {
    let app = TestApp::spawn().await;
    let (ada, tokens) = sign_up_and_log_in(&app).await;
    let response = app
        .get_with(
            &format!(
                "/api/v1/tenants/{}/projects/{}",
                ada.tenant_id,
                uuid::Uuid::now_v7()
            ),
            &tokens.access,
        )
        .await;
    let snapshot = capture(response, &[]).await;
    with_common_redactions(|| assert_json_snapshot!(snapshot));
}

#[tokio::test]
async fn insufficient_scope() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up(ADA, "acme").await;
    let reader = app
        .login(
            &ada,
            &[("tenant", &ada.tenant_id), ("scope", "projects:read")],
        )
        .await;
    let response = app
        .send_with(
            Method::POST,
            &format!("/api/v1/tenants/{}/projects", ada.tenant_id),
            &reader.access,
            Some(json!({"name": "Website relaunch"})),
        )
        .await;
    let snapshot = capture(response, &["www-authenticate"]).await;
    with_common_redactions(|| assert_json_snapshot!(snapshot));
}

#[tokio::test]
async fn audit_page() {
    let app = TestApp::spawn().await;
    let (ada, tokens) = sign_up_and_log_in(&app).await;
    let tenant = &ada.tenant_id;
    let project: Value = app
        .send_with(
            Method::POST,
            &format!("/api/v1/tenants/{tenant}/projects"),
            &tokens.access,
            Some(json!({"name": "Website relaunch"})),
        )
        .await
        .json()
        .await
        .unwrap();
    let response = app
        .send_with(
            Method::PATCH,
            &format!(
                "/api/v1/tenants/{tenant}/projects/{}",
                project["id"].as_str().unwrap()
            ),
            &tokens.access,
            Some(json!({"name": "Website relaunch (v2)"})),
        )
        .await;
    assert_eq!(response.status(), 200);
    app.invite(&tokens, tenant, "grace@example.com", &["viewer"])
        .await;
    let response = app
        .get_with(
            &format!("/api/v1/tenants/{tenant}/audit-events?limit=4"),
            &tokens.access,
        )
        .await;
    let snapshot = capture(response, &[]).await;
    with_common_redactions(|| {
        assert_json_snapshot!(snapshot, {
            ".body.items[].target" => dynamic_redaction(ids_in_text),
            ".body.items[].details.**" => dynamic_redaction(ids_in_text),
            ".body.next_cursor" => dynamic_redaction(opaque),
        })
    });
}
