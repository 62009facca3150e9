use gatehouse_tests::TestApp;

#[tokio::test]
async fn committed_document_is_up_to_date() {
    let generated = api::openapi::document_json();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/openapi.json");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi/openapi.json is stale: regenerate it with `cargo run --bin gatehouse -- openapi > openapi/openapi.json`"
    );
}

/// Two schemes, both `Authorization: Bearer`: `oauth2` (Swagger UI signs in with it) and
/// `bearer` (a pasted access token or API key). No alternative puts a credential in
/// another header, so a generated client cannot send a token where a key goes.
#[tokio::test]
async fn served_document_declares_bearer_schemes_only() {
    let app = TestApp::spawn().await;
    let response = app.get("/openapi.json").await;
    assert_eq!(response.status(), 200);
    let doc: serde_json::Value = response.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let schemes = &doc["components"]["securitySchemes"];

    let flows = &schemes["oauth2"]["flows"];
    assert_eq!(schemes["oauth2"]["type"], "oauth2");
    let code = &flows["authorizationCode"];
    assert_eq!(code["authorizationUrl"], "/oauth/authorize");
    let password = &flows["password"];
    for flow in [code, password] {
        assert_eq!(flow["tokenUrl"], "/oauth/token");
        assert_eq!(flow["refreshUrl"], "/oauth/token");
        let scopes = flow["scopes"].as_object().unwrap();
        for scope in domain::Scope::ALL {
            assert_eq!(scopes[scope.as_str()], scope.description(), "scope {scope}");
        }
        // The OIDC scopes beside the catalog (SPEC §11).
        for oidc in ["openid", "email", "profile"] {
            assert!(scopes.contains_key(oidc), "{oidc}");
        }
        assert_eq!(scopes.len(), domain::Scope::ALL.len() + 3);
    }

    assert_eq!(schemes["bearer"]["type"], "http");
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes.as_object().unwrap().len(), 2, "{schemes}");

    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            for requirement in operation["security"].as_array().unwrap() {
                for scheme in requirement.as_object().unwrap().keys() {
                    assert!(
                        scheme == "oauth2" || scheme == "bearer",
                        "{method} {path}: {scheme}"
                    );
                }
            }
        }
    }
    assert!(doc["paths"]["/healthz"]["get"].is_object());
}

/// SPEC §15: what a response always sends is required (nullable only where `null` is a
/// value); what a request may omit is optional and never `null`; every operation and
/// parameter is described; the token endpoint takes one schema per grant type.
#[tokio::test]
async fn optionality_descriptions_and_grant_schemas_are_exact() {
    let doc: serde_json::Value = serde_json::from_str(&api::openapi::document_json()).unwrap();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let nullable = |p: &serde_json::Value| {
        p["type"]
            .as_array()
            .is_some_and(|t| t.iter().any(|t| t == "null"))
            || p["oneOf"]
                .as_array()
                .is_some_and(|arms| arms.iter().any(|a| a["type"] == "null"))
    };
    // Requests: `Create…`/`Update…`/`…Request` schemas.
    for (name, schema) in schemas {
        let Some(properties) = schema["properties"].as_object() else {
            continue;
        };
        let required: Vec<&str> = schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str())
            .collect();
        for (field, property) in properties {
            let optional = !required.contains(&field.as_str());
            if name.ends_with("Request") {
                assert!(
                    !(optional && nullable(property)),
                    "{name}.{field} is optional and nullable"
                );
            } else if name.ends_with("Response") || name.starts_with("Page_") {
                assert!(
                    !optional || !nullable(property),
                    "{name}.{field} is sent but optional"
                );
            }
        }
    }
    assert!(!nullable(
        &schemas["UpdateProjectRequest"]["properties"]["name"]
    ));
    assert!(
        schemas["ProjectResponse"]["required"]
            .as_array()
            .unwrap()
            .contains(&"created_by".into())
    );

    let token = &schemas["TokenRequest"];
    assert_eq!(token["discriminator"]["propertyName"], "grant_type");
    // The values the server reads, not the schemas' names (OpenAPI 3.1 §4.8.25.2).
    let mapping = &token["discriminator"]["mapping"];
    assert_eq!(
        mapping["password"],
        "#/components/schemas/PasswordGrantRequest"
    );
    assert_eq!(
        mapping["refresh_token"],
        "#/components/schemas/RefreshTokenGrantRequest"
    );
    assert_eq!(token["oneOf"].as_array().unwrap().len(), 3);
    for (grant, fields) in [
        (
            "PasswordGrantRequest",
            &["grant_type", "username", "password"][..],
        ),
        // `refresh_token` is optional: a cookie client sends its cookie instead.
        ("RefreshTokenGrantRequest", &["grant_type"][..]),
        (
            "AuthorizationCodeGrantRequest",
            &["grant_type", "code", "redirect_uri", "code_verifier"][..],
        ),
    ] {
        let required = schemas[grant]["required"].as_array().unwrap();
        for field in fields {
            assert!(required.contains(&(*field).into()), "{grant}.{field}");
        }
    }

    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            assert!(
                operation["description"]
                    .as_str()
                    .is_some_and(|d| !d.is_empty()),
                "{method} {path}"
            );
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                assert!(
                    parameter["description"].is_string(),
                    "{method} {path} {}",
                    parameter["name"]
                );
            }
            if operation["requestBody"]["content"]["application/json"].is_object() {
                for status in ["400", "413", "415", "422"] {
                    assert!(
                        operation["responses"][status].is_object(),
                        "{method} {path}: {status}"
                    );
                }
            }
            if !path.starts_with("/oauth/") {
                assert!(
                    operation["responses"]["default"].is_object(),
                    "{method} {path}"
                );
            }
        }
    }
}

/// SPEC §15: a client learns every refusal from the document. The standard ones follow
/// from each route's declared access; problems are documented with the media type they
/// are sent with.
#[tokio::test]
async fn every_guarded_operation_documents_its_refusals_as_problem_json() {
    let doc: serde_json::Value = serde_json::from_str(&api::openapi::document_json()).unwrap();
    let mut guarded = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            for (status, response) in responses {
                let content = response["content"].as_object();
                let problem_as_json = content.is_some_and(|c| {
                    c.get("application/json").is_some_and(|json| {
                        json["schema"]["$ref"] == "#/components/schemas/Problem"
                    })
                });
                assert!(
                    !problem_as_json,
                    "{method} {path} {status}: Problem as application/json"
                );
            }
            let security = operation["security"].as_array().unwrap();
            if security.is_empty() {
                continue; // public
            }
            guarded += 1;
            let unauthorized = &responses["401"];
            assert!(
                unauthorized["content"]["application/problem+json"].is_object(),
                "{method} {path}: 401 not problem+json"
            );
            assert!(
                unauthorized["headers"]["WWW-Authenticate"].is_object(),
                "{method} {path}: 401 without its challenge"
            );
            let scoped = security.iter().any(|requirement| {
                requirement
                    .as_object()
                    .unwrap()
                    .values()
                    .any(|scopes| !scopes.as_array().unwrap().is_empty())
            });
            if scoped || path.starts_with("/api/v1/tenants/{tenant_id}") {
                assert!(responses.contains_key("403"), "{method} {path}: no 403");
            }
        }
    }
    assert!(guarded > 30, "only {guarded} guarded operations found");
}

/// Every response names its request id; every 429 and 503 tells when to retry; the routes
/// that limit a client's attempts say so.
#[tokio::test]
async fn responses_document_their_headers_and_limits() {
    let doc: serde_json::Value = serde_json::from_str(&api::openapi::document_json()).unwrap();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            for (status, response) in responses {
                let headers = &response["headers"];
                assert!(
                    headers["X-Request-Id"].is_object(),
                    "{method} {path} {status}"
                );
                if status == "429" || status == "503" {
                    assert!(
                        headers["Retry-After"].is_object(),
                        "{method} {path} {status}"
                    );
                }
            }
        }
    }
    for (method, path) in [
        ("post", "/oauth/token"),
        ("post", "/api/v1/signup"),
        ("post", "/api/v1/invitations/accept"),
        ("get", "/api/v1/tenants/{tenant_id}/projects"),
    ] {
        let responses = &doc["paths"][path][method]["responses"];
        assert!(responses["429"].is_object(), "{method} {path}: no 429");
    }
}

/// Scopes are an enum of the catalog wherever a client sends or reads them.
#[tokio::test]
async fn scopes_are_the_catalog_enum() {
    let doc: serde_json::Value = serde_json::from_str(&api::openapi::document_json()).unwrap();
    let schemas = &doc["components"]["schemas"];
    let names: Vec<&str> = schemas["Scope"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let catalog: Vec<&str> = domain::Scope::ALL.iter().map(|s| s.as_str()).collect();
    assert_eq!(names, catalog);
    // What a role or key may be given: the tenant scopes (`platform:admin` is 422 there).
    let tenant: Vec<&str> = schemas["TenantScope"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let tenant_catalog: Vec<&str> = domain::Scope::ALL
        .iter()
        .filter(|s| s.is_tenant_scope())
        .map(|s| s.as_str())
        .collect();
    assert_eq!(tenant, tenant_catalog);
    for (schema, field, item) in [
        ("CreateRoleRequest", "permissions", "TenantScope"),
        ("RoleResponse", "permissions", "Scope"),
        ("CreateApiKeyRequest", "scopes", "TenantScope"),
        ("ApiKeyResponse", "scopes", "Scope"),
        ("MeResponse", "scopes", "Scope"),
    ] {
        let items = &schemas[schema]["properties"][field]["items"];
        assert_eq!(
            items["$ref"],
            format!("#/components/schemas/{item}"),
            "{schema}.{field}"
        );
    }
}

/// SPEC §11: with the password grant switched off, the served document neither offers its
/// flow nor its request schema.
#[tokio::test]
async fn without_the_password_grant_the_document_drops_it() {
    let app = TestApp::builder()
        .env("GATEHOUSE_PASSWORD_GRANT", "off")
        .spawn()
        .await;
    let doc: serde_json::Value = app.get("/openapi.json").await.json().await.unwrap();
    let flows = doc["components"]["securitySchemes"]["oauth2"]["flows"]
        .as_object()
        .unwrap();
    assert!(flows.contains_key("authorizationCode"));
    assert!(!flows.contains_key("password"), "{flows:?}");
    let token = &doc["components"]["schemas"]["TokenRequest"];
    assert_eq!(token["oneOf"].as_array().unwrap().len(), 2);
    assert!(token["discriminator"]["mapping"].get("password").is_none());
    assert!(
        doc["components"]["schemas"]
            .get("PasswordGrantRequest")
            .is_none()
    );
}
