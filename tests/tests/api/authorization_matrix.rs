//! SPEC §7: every operation of the OpenAPI document, probed. No credentials → 401; a
//! token of another tenant → 403; a token without the declared scope → 403; a token with
//! only the declared scope → neither 401 nor 403. An operation without a security
//! requirement must be one of the few public ones, so a route added without a scope
//! declaration fails here. The resources its path names are made from the document too
//! (see `gatehouse_tests::resources::Resolver`): a new route needs no fixture of its own.

use gatehouse_tests::resources::{Resolver, fill};
use gatehouse_tests::{Account, TestApp, Tokens, assert_security_headers, claims_of};
use reqwest::Method;
use serde_json::{Value, json};

const PUBLIC: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", "/.well-known/jwks.json"),
    ("get", "/.well-known/oauth-authorization-server"),
    ("get", "/.well-known/openid-configuration"),
    ("post", "/oauth/token"),
    ("post", "/oauth/revoke"),
    ("post", "/api/v1/signup"),
    ("post", "/api/v1/invitations/accept"),
    ("post", "/api/v1/email/verify"),
    ("post", "/api/v1/password/forgot"),
    ("post", "/api/v1/password/reset"),
];

struct Operation {
    method: Method,
    path: String,
    /// Alternatives; each a set of scopes (empty: any authenticated user).
    alternatives: Vec<Vec<String>>,
    accepts_api_key: bool,
}

fn operations(doc: &Value) -> Vec<Operation> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            // Every operation states its security; `[]` is "public", said on purpose.
            let security = &op["security"];
            assert!(
                security.is_array(),
                "{method} {path} does not state its security"
            );
            if security.as_array().is_some_and(Vec::is_empty) {
                assert!(
                    PUBLIC.contains(&(method.as_str(), path.as_str())),
                    "{method} {path} is public and is not a known public route"
                );
                continue;
            }
            let alternatives: Vec<Vec<String>> = security
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|req| req.get("oauth2"))
                .map(|scopes| {
                    scopes
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|s| s.as_str().unwrap().to_owned())
                        .collect()
                })
                .collect();
            assert!(
                !alternatives.is_empty(),
                "{method} {path}: no oauth2 requirement"
            );
            if path.starts_with("/api/v1/tenants/{tenant_id}") {
                assert!(
                    alternatives.iter().all(|a| !a.is_empty()),
                    "{method} {path}: a tenant route must declare its scopes"
                );
            }
            let accepts_api_key = op[api::openapi::API_KEYS_EXTENSION] == true;
            if path.starts_with("/api/v1/tenants/{tenant_id}") {
                assert!(
                    accepts_api_key,
                    "{method} {path}: tenant routes take API keys"
                );
            }
            out.push(Operation {
                method: method.to_uppercase().parse().unwrap(),
                path: path.clone(),
                alternatives,
                accepts_api_key,
            });
        }
    }
    out
}

struct World {
    ada: Account,
    ada_all: Tokens,
    eve_all: Tokens,
    root: Account,
    spare_tenant: String,
    eve_tenant: String,
}

async fn world(app: &TestApp) -> World {
    let ada = app.sign_up("ada@example.com", "acme").await;
    let eve = app.sign_up("eve@example.com", "evil").await;
    let spare = app.sign_up("sam@example.com", "spare").await;
    let env = app.env.clone();
    let config = api::Config::from_lookup(|name| env.get(name).cloned()).unwrap();
    api::cli::create_platform_admin(
        &config,
        "root@example.com",
        "an operator's long passphrase",
        "Root",
    )
    .await
    .unwrap();
    World {
        ada_all: app.login(&ada, &[]).await,
        eve_all: app.login(&eve, &[]).await,
        ada,
        root: Account {
            email: "root@example.com".into(),
            password: "an operator's long passphrase".into(),
            user_id: String::new(),
            tenant_id: String::new(),
            slug: String::new(),
        },
        spare_tenant: spare.tenant_id,
        eve_tenant: eve.tenant_id.clone(),
    }
}

enum Credential<'a> {
    None,
    Bearer(&'a str),
    ApiKey(&'a str),
}

async fn call(app: &TestApp, op: &Operation, path: &str, credential: Credential<'_>) -> u16 {
    let mut request = app.client.request(op.method.clone(), app.url(path));
    match credential {
        Credential::None => {}
        Credential::Bearer(token) => request = request.bearer_auth(token),
        Credential::ApiKey(key) => request = request.header("x-api-key", key),
    }
    let authenticated = !matches!(credential, Credential::None);
    if matches!(op.method, Method::POST | Method::PUT | Method::PATCH) {
        request = request.json(&json!({}));
    }
    let response = request.send().await.unwrap();
    assert_response_headers(&response, op, authenticated);
    response.status().as_u16()
}

/// SPEC §8: every response, whoever made it (guard, extractor, handler), carries the
/// security headers and a request id; every response to credentials is `no-store`.
fn assert_response_headers(response: &reqwest::Response, op: &Operation, authenticated: bool) {
    let what = format!("{} {} → {}", op.method, op.path, response.status());
    assert_security_headers(response, &what);
    if authenticated {
        assert_eq!(response.headers()["cache-control"], "no-store", "{what}");
    }
}

#[tokio::test]
async fn every_operation_enforces_its_declared_access() {
    let app = TestApp::spawn().await;
    let doc: Value = app.get("/openapi.json").await.json().await.unwrap();
    let w = world(&app).await;
    let operations = operations(&doc);
    let guarded = api::routes::declarations()
        .into_iter()
        .filter(|d| d.access != api::guards::Access::Public)
        .count();
    assert_eq!(operations.len(), guarded, "every guarded route is probed");
    let every_tenant_scope: Vec<&str> = domain::Scope::ALL
        .iter()
        .filter(|s| s.is_tenant_scope())
        .map(|s| s.as_str())
        .collect();

    for op in &operations {
        // Fresh each time: an earlier operation may have been `logout-all`.
        let w = World {
            ada_all: app.login(&w.ada, &[("tenant", &w.ada.tenant_id)]).await,
            ada: w.ada.clone(),
            eve_all: w.eve_all.clone(),
            root: w.root.clone(),
            spare_tenant: w.spare_tenant.clone(),
            eve_tenant: w.eve_tenant.clone(),
        };
        let platform = op.path.starts_with("/api/v1/platform/");
        let tenant_route = op.path.starts_with("/api/v1/tenants/{tenant_id}");
        let tenant = if platform {
            w.spare_tenant.clone()
        } else {
            w.ada.tenant_id.clone()
        };
        // Platform resources (OAuth clients) are made by a platform admin.
        let maker = if platform {
            app.login(&w.root, &[]).await
        } else {
            w.ada_all.clone()
        };
        let resolver = Resolver {
            app: &app,
            doc: &doc,
            tenant: &tenant,
            owner: &maker,
            owner_account: &w.ada,
        };
        let ids = resolver.params(&op.path).await;
        let label = format!("{} {}", op.method, op.path);

        // The parameters name real resources of this tenant (a task of the project in the
        // same path): the probes below meet the guard, not a 404.
        if tenant_route && op.method == Method::GET {
            let path = fill(&op.path, &ids, "");
            let status = call(&app, op, &path, Credential::Bearer(&w.ada_all.access)).await;
            assert_eq!(status, 200, "{label}: the owner reads {path}");
        }

        // No credentials.
        let path = fill(
            &op.path,
            &ids,
            claims_of(&w.ada_all.access)["sid"].as_str().unwrap(),
        );
        assert_eq!(
            call(&app, op, &path, Credential::None).await,
            401,
            "{label}: no credentials"
        );

        // Another tenant's token, with every scope.
        if tenant_route {
            assert_eq!(
                call(&app, op, &path, Credential::Bearer(&w.eve_all.access)).await,
                403,
                "{label}: another tenant's token"
            );
        }

        let declared: Vec<&String> = op.alternatives.iter().flatten().collect();
        if !declared.is_empty() {
            // Every scope but the declared ones.
            let lacking = if platform {
                w.ada_all.clone()
            } else {
                let rest: Vec<&str> = every_tenant_scope
                    .iter()
                    .copied()
                    .filter(|s| !declared.iter().any(|d| d == s))
                    .collect();
                app.login(
                    &w.ada,
                    &[("scope", &rest.join(" ")), ("tenant", &w.ada.tenant_id)],
                )
                .await
            };
            assert_eq!(
                call(&app, op, &path, Credential::Bearer(&lacking.access)).await,
                403,
                "{label}: without {declared:?}"
            );
        }

        // API keys: where accepted, the same rules; elsewhere, never.
        let ada_key = app
            .new_api_key(&w.ada_all.access, &w.ada.tenant_id, &every_tenant_scope)
            .await;
        if !op.accepts_api_key {
            assert_eq!(
                call(&app, op, &path, Credential::ApiKey(&ada_key)).await,
                401,
                "{label}: an API key where none is accepted"
            );
        } else if tenant_route {
            let eve_key = app
                .new_api_key(&w.eve_all.access, &w.eve_tenant, &every_tenant_scope)
                .await;
            assert_eq!(
                call(&app, op, &path, Credential::ApiKey(&eve_key)).await,
                403,
                "{label}: another tenant's API key"
            );
            let rest: Vec<&str> = every_tenant_scope
                .iter()
                .copied()
                .filter(|s| !declared.iter().any(|d| d == s))
                .collect();
            let lacking = app
                .new_api_key(&w.ada_all.access, &w.ada.tenant_id, &rest)
                .await;
            assert_eq!(
                call(&app, op, &path, Credential::ApiKey(&lacking)).await,
                403,
                "{label}: API key without {declared:?}"
            );
            for alternative in &op.alternatives {
                let scopes: Vec<&str> = alternative.iter().map(String::as_str).collect();
                let only = app
                    .new_api_key(&w.ada_all.access, &w.ada.tenant_id, &scopes)
                    .await;
                let ids = if op.method == Method::GET {
                    ids.clone()
                } else {
                    resolver.params(&op.path).await
                };
                let path = fill(&op.path, &ids, "00000000-0000-0000-0000-000000000000");
                let status = call(&app, op, &path, Credential::ApiKey(&only)).await;
                assert!(
                    status != 401 && status != 403,
                    "{label}: API key with only {alternative:?} got {status}"
                );
            }
        }

        // Only the declared scope(s), one alternative at a time.
        for alternative in &op.alternatives {
            let tokens = if platform {
                app.login(&w.root, &[("scope", &alternative.join(" "))])
                    .await
            } else if alternative.is_empty() {
                app.login(&w.ada, &[("tenant", &w.ada.tenant_id)]).await
            } else {
                app.login(
                    &w.ada,
                    &[
                        ("scope", &alternative.join(" ")),
                        ("tenant", &w.ada.tenant_id),
                    ],
                )
                .await
            };
            // OIDC scopes alone ask for every permission beside them (SPEC §11).
            let oidc_only = alternative
                .iter()
                .all(|s| ["openid", "email", "profile"].contains(&s.as_str()));
            if !alternative.is_empty() && !oidc_only {
                assert_eq!(
                    tokens.scope.split(' ').collect::<Vec<_>>(),
                    *alternative,
                    "{label}: the token holds exactly the declared scopes"
                );
            }
            let path = fill(
                &op.path,
                &ids,
                claims_of(&tokens.access)["sid"].as_str().unwrap(),
            );
            let status = call(&app, op, &path, Credential::Bearer(&tokens.access)).await;
            assert!(
                status != 401 && status != 403,
                "{label}: with only {alternative:?} got {status}"
            );
        }
    }
}

#[test]
fn every_route_is_documented_and_every_operation_is_routed() {
    let doc = api::openapi::document();
    let mut documented: Vec<(String, String)> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                documented.push((method.to_owned(), path.clone()));
            }
        }
    }
    let mut routed: Vec<(String, String)> = api::routes::declarations()
        .into_iter()
        .map(|d| (d.method.to_owned(), d.path))
        .collect();
    documented.sort();
    routed.sort();
    assert_eq!(documented, routed);
}
