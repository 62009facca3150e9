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

#[tokio::test]
async fn served_document_declares_the_three_security_schemes() {
    let app = TestApp::spawn().await;
    let response = app.get("/openapi.json").await;
    assert_eq!(response.status(), 200);
    let doc: serde_json::Value = response.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let schemes = &doc["components"]["securitySchemes"];

    let password = &schemes["oauth2"]["flows"]["password"];
    assert_eq!(schemes["oauth2"]["type"], "oauth2");
    assert_eq!(password["tokenUrl"], "/oauth/token");
    assert_eq!(password["refreshUrl"], "/oauth/token");
    let scopes = password["scopes"].as_object().unwrap();
    for scope in domain::Scope::ALL {
        assert_eq!(scopes[scope.as_str()], scope.description(), "scope {scope}");
    }
    assert_eq!(scopes.len(), domain::Scope::ALL.len());

    assert_eq!(schemes["bearer"]["type"], "http");
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["bearer"]["bearerFormat"], "JWT");

    assert_eq!(schemes["api_key"]["type"], "apiKey");
    assert_eq!(schemes["api_key"]["in"], "header");
    assert_eq!(schemes["api_key"]["name"], "X-API-Key");

    assert!(doc["paths"]["/healthz"]["get"].is_object());
}
