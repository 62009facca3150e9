use gatehouse_tests::{TestApp, Tokens};
use reqwest::Method;
use serde_json::{Value, json};

async fn json_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn built_in_roles_exist_and_cannot_be_edited_or_deleted() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let owner = app.login(&ada, &[]).await;
    let t = &ada.tenant_id;
    let roles: Value = app
        .get_with(&format!("/api/v1/tenants/{t}/roles"), &owner.access)
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = roles["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 4);
    for name in ["owner", "admin", "member", "viewer"] {
        assert!(names.contains(&name));
    }
    let viewer = app.role_id(&owner.access, t, "viewer").await;
    let (status, _) = json_of(
        app.send_with(
            Method::PATCH,
            &format!("/api/v1/tenants/{t}/roles/{viewer}"),
            &owner.access,
            Some(json!({"permissions": []})),
        )
        .await,
    )
    .await;
    assert_eq!(status, 409);
    let (status, _) = json_of(
        app.send_with(
            Method::DELETE,
            &format!("/api/v1/tenants/{t}/roles/{viewer}"),
            &owner.access,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, 409);
}

#[tokio::test]
async fn custom_roles_are_validated_and_unique_by_name() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let owner = app.login(&ada, &[]).await;
    let path = format!("/api/v1/tenants/{}/roles", ada.tenant_id);
    let (status, role) = json_of(
        app.send_with(
            Method::POST,
            &path,
            &owner.access,
            Some(json!({"name": "billing", "permissions": ["audit:read"]})),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(role["builtin"], false);
    let (status, _) = json_of(
        app.send_with(
            Method::POST,
            &path,
            &owner.access,
            Some(json!({"name": "billing", "permissions": []})),
        )
        .await,
    )
    .await;
    assert_eq!(status, 409);
    let (status, problem) = json_of(
        app.send_with(
            Method::POST,
            &path,
            &owner.access,
            Some(json!({"name": "x", "permissions": ["root:all"]})),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(problem["errors"][0]["field"], "permissions");
    let (status, _) = json_of(
        app.send_with(
            Method::POST,
            &path,
            &owner.access,
            Some(json!({"name": "x", "permissions": ["platform:admin"]})),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    let id = role["id"].as_str().unwrap();
    let (status, updated) = json_of(
        app.send_with(
            Method::PATCH,
            &format!("{path}/{id}"),
            &owner.access,
            Some(json!({"name": "finance"})),
        )
        .await,
    )
    .await;
    assert_eq!((status, updated["name"].as_str()), (200, Some("finance")));
    assert_eq!(
        app.send_with(Method::DELETE, &format!("{path}/{id}"), &owner.access, None)
            .await
            .status(),
        204
    );
    assert_eq!(
        app.get_with(&format!("{path}/{id}"), &owner.access)
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn nobody_grants_permissions_they_do_not_hold() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let owner = app.login(&ada, &[]).await;
    let t = ada.tenant_id.clone();
    let roles_path = format!("/api/v1/tenants/{t}/roles");
    let (_, manager) = json_of(
        app.send_with(Method::POST, &roles_path, &owner.access, Some(json!({"name": "role-manager", "permissions": ["roles:read", "roles:write", "members:read"]}))).await,
    )
    .await;
    let grace = app
        .add_member(&owner, &ada, "grace@example.com", &["role-manager"])
        .await;
    let g = app.login(&grace, &[]).await;

    // A role with a permission Grace lacks.
    let (status, _) = json_of(
        app.send_with(
            Method::POST,
            &roles_path,
            &g.access,
            Some(json!({"name": "spy", "permissions": ["audit:read"]})),
        )
        .await,
    )
    .await;
    assert_eq!(status, 403);
    // Within her permissions: fine.
    let (status, _) = json_of(
        app.send_with(
            Method::POST,
            &roles_path,
            &g.access,
            Some(json!({"name": "reader", "permissions": ["roles:read"]})),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201);
    // Widening her own role.
    let manager_id = manager["id"].as_str().unwrap();
    let (status, _) = json_of(
        app.send_with(
            Method::PATCH,
            &format!("{roles_path}/{manager_id}"),
            &g.access,
            Some(
                json!({"permissions": ["roles:read", "roles:write", "members:read", "audit:read"]}),
            ),
        )
        .await,
    )
    .await;
    assert_eq!(status, 403);
    // Assigning herself admin.
    let admin = app.role_id(&owner.access, &t, "admin").await;
    let (status, _) = json_of(
        app.send_with(
            Method::PUT,
            &format!("/api/v1/tenants/{t}/members/{}/roles", grace.user_id),
            &g.access,
            Some(json!({"role_ids": [admin, manager_id]})),
        )
        .await,
    )
    .await;
    assert_eq!(status, 403);
    // A narrowed token holds less, and so may grant less.
    let narrow = app.login(&ada, &[("scope", "roles:write")]).await;
    let (status, _) = json_of(
        app.send_with(
            Method::POST,
            &roles_path,
            &narrow.access,
            Some(json!({"name": "auditor", "permissions": ["audit:read"]})),
        )
        .await,
    )
    .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn changing_a_roles_permissions_takes_effect_on_the_holders_next_request() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let owner = app.login(&ada, &[]).await;
    let t = ada.tenant_id.clone();
    let (_, role) = json_of(
        app.send_with(
            Method::POST,
            &format!("/api/v1/tenants/{t}/roles"),
            &owner.access,
            Some(json!({"name": "reader", "permissions": ["tenant:read", "projects:read"]})),
        )
        .await,
    )
    .await;
    let grace = app
        .add_member(&owner, &ada, "grace@example.com", &["reader"])
        .await;
    let g = app.login(&grace, &[]).await;
    assert_eq!(
        app.get_with(&format!("/api/v1/tenants/{t}/projects"), &g.access)
            .await
            .status(),
        200
    );

    let id = role["id"].as_str().unwrap();
    let response = app
        .send_with(
            Method::PATCH,
            &format!("/api/v1/tenants/{t}/roles/{id}"),
            &owner.access,
            Some(json!({"permissions": ["tenant:read"]})),
        )
        .await;
    assert_eq!(response.status(), 200);

    let stale = app
        .get_with(&format!("/api/v1/tenants/{t}"), &g.access)
        .await;
    assert_eq!(stale.status(), 401);
    let challenge = stale.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        challenge.contains("invalid_token") && challenge.contains("permissions changed"),
        "{challenge}"
    );
    // The owner's own token was not affected.
    assert_eq!(
        app.get_with(&format!("/api/v1/tenants/{t}"), &owner.access)
            .await
            .status(),
        200
    );

    let refreshed = Tokens::from(
        app.refresh(&g.refresh, &[])
            .await
            .json::<Value>()
            .await
            .unwrap(),
    );
    assert_eq!(refreshed.scope, "tenant:read");
    assert_eq!(
        app.get_with(&format!("/api/v1/tenants/{t}"), &refreshed.access)
            .await
            .status(),
        200
    );
    assert_eq!(
        app.get_with(&format!("/api/v1/tenants/{t}/projects"), &refreshed.access)
            .await
            .status(),
        403
    );
}

#[tokio::test]
async fn another_tenants_role_is_not_found() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let eve = app.sign_up("eve@example.com", "evil").await;
    let a = app.login(&ada, &[]).await;
    let e = app.login(&eve, &[]).await;
    let eves_owner_role = app.role_id(&e.access, &eve.tenant_id, "owner").await;
    let path = format!("/api/v1/tenants/{}/roles/{eves_owner_role}", ada.tenant_id);
    assert_eq!(app.get_with(&path, &a.access).await.status(), 404);
    assert_eq!(
        app.send_with(Method::DELETE, &path, &a.access, None)
            .await
            .status(),
        404
    );
    // Nor can it be assigned across tenants.
    let response = app
        .send_with(
            Method::PUT,
            &format!(
                "/api/v1/tenants/{}/members/{}/roles",
                ada.tenant_id, ada.user_id
            ),
            &a.access,
            Some(json!({"role_ids": [eves_owner_role]})),
        )
        .await;
    assert_eq!(response.status(), 422);
}
