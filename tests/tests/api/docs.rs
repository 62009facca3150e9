use gatehouse_tests::TestApp;

#[tokio::test]
async fn swagger_ui_is_served_with_persisted_authorization() {
    let app = TestApp::spawn().await;
    let page = app.get("/docs/").await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("swagger-ui"));

    let initializer = app.get("/docs/swagger-initializer.js").await;
    assert_eq!(initializer.status(), 200);
    let script = initializer.text().await.unwrap();
    assert!(
        script.contains("\"persistAuthorization\": true")
            || script.contains("\"persistAuthorization\":true"),
        "{script}"
    );
    assert!(script.contains("/openapi.json"));

    let bundle = app.get("/docs/swagger-ui-bundle.js").await;
    assert_eq!(bundle.status(), 200);
}
