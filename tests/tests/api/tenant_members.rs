use gatehouse_tests::{PASSWORD, TestApp, Tokens};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn members_are_listed_with_their_roles_and_paginated() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let owner = app.login(&ada, &[]).await;
    for i in 0..3 {
        app.add_member(&owner, &ada, &format!("m{i}@example.com"), &["viewer"])
            .await;
    }
    let t = &ada.tenant_id;
    let page: Value = app
        .get_with(
            &format!("/api/v1/tenants/{t}/members?limit=3"),
            &owner.access,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 3);
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest: Value = app
        .get_with(
            &format!("/api/v1/tenants/{t}/members?limit=3&cursor={cursor}"),
            &owner.access,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert!(rest["next_cursor"].is_null());
    let me: Value = app
        .get_with(
            &format!("/api/v1/tenants/{t}/members/{}", ada.user_id),
            &owner.access,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["roles"][0]["name"], "owner");
    assert_eq!(me["email"], "ada@example.com");
    assert_eq!(
        app.get_with(
            &format!("/api/v1/tenants/{t}/members?limit=101"),
            &owner.access
        )
        .await
        .status(),
        422
    );
    assert_eq!(
        app.get_with(
            &format!("/api/v1/tenants/{t}/members?cursor=!!"),
            &owner.access
        )
        .await
        .status(),
        422
    );
}

#[tokio::test]
async fn the_last_active_owner_cannot_be_removed_disabled_or_demoted() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let owner = app.login(&ada, &[]).await;
    let t = ada.tenant_id.clone();
    let me = format!("/api/v1/tenants/{t}/members/{}", ada.user_id);
    assert_eq!(
        app.send_with(
            Method::PATCH,
            &me,
            &owner.access,
            Some(json!({"status": "disabled"}))
        )
        .await
        .status(),
        409
    );
    assert_eq!(
        app.send_with(Method::DELETE, &me, &owner.access, None)
            .await
            .status(),
        409
    );
    let admin = app.role_id(&owner.access, &t, "admin").await;
    assert_eq!(
        app.send_with(
            Method::PUT,
            &format!("{me}/roles"),
            &owner.access,
            Some(json!({"role_ids": [admin]}))
        )
        .await
        .status(),
        409
    );

    // With a second owner, the first may step down.
    let grace = app
        .add_member(&owner, &ada, "grace@example.com", &["owner"])
        .await;
    assert_eq!(
        app.send_with(
            Method::PUT,
            &format!("{me}/roles"),
            &owner.access,
            Some(json!({"role_ids": [admin]}))
        )
        .await
        .status(),
        200
    );
    let g = app.login(&grace, &[]).await;
    let graces = format!("/api/v1/tenants/{t}/members/{}", grace.user_id);
    assert_eq!(
        app.send_with(Method::DELETE, &graces, &g.access, None)
            .await
            .status(),
        409,
        "now Grace is the last owner"
    );
}

#[tokio::test]
async fn only_owners_grant_remove_or_change_owners() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let owner = app.login(&ada, &[]).await;
    let t = ada.tenant_id.clone();
    let grace = app
        .add_member(&owner, &ada, "grace@example.com", &["admin"])
        .await;
    let g = app.login(&grace, &[]).await;
    let owner_role = app.role_id(&owner.access, &t, "owner").await;
    let admin_role = app.role_id(&owner.access, &t, "admin").await;

    let graces_roles = format!("/api/v1/tenants/{t}/members/{}/roles", grace.user_id);
    assert_eq!(
        app.send_with(
            Method::PUT,
            &graces_roles,
            &g.access,
            Some(json!({"role_ids": [owner_role, admin_role]}))
        )
        .await
        .status(),
        403
    );
    let adas = format!("/api/v1/tenants/{t}/members/{}", ada.user_id);
    assert_eq!(
        app.send_with(Method::DELETE, &adas, &g.access, None)
            .await
            .status(),
        403
    );
    assert_eq!(
        app.send_with(
            Method::PATCH,
            &adas,
            &g.access,
            Some(json!({"status": "disabled"}))
        )
        .await
        .status(),
        403
    );
    let invite = json!({"email": "mallory@example.com", "role_ids": [owner_role]});
    assert_eq!(
        app.send_with(
            Method::POST,
            &format!("/api/v1/tenants/{t}/invitations"),
            &g.access,
            Some(invite)
        )
        .await
        .status(),
        403
    );
    // The owner may.
    assert_eq!(
        app.send_with(
            Method::PUT,
            &graces_roles,
            &owner.access,
            Some(json!({"role_ids": [owner_role]}))
        )
        .await
        .status(),
        200
    );
}

#[tokio::test]
async fn disabling_or_removing_a_member_stops_their_tokens_at_once() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let owner = app.login(&ada, &[]).await;
    let t = ada.tenant_id.clone();
    let grace = app
        .add_member(&owner, &ada, "grace@example.com", &["member"])
        .await;
    let g = app.login(&grace, &[]).await;
    let tenant_path = format!("/api/v1/tenants/{t}");
    assert_eq!(app.get_with(&tenant_path, &g.access).await.status(), 200);

    let graces = format!("/api/v1/tenants/{t}/members/{}", grace.user_id);
    let response = app
        .send_with(
            Method::PATCH,
            &graces,
            &owner.access,
            Some(json!({"status": "disabled"})),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap()["status"],
        "disabled"
    );
    assert_eq!(app.get_with(&tenant_path, &g.access).await.status(), 401);
    assert_eq!(
        app.refresh(&g.refresh, &[]).await.status(),
        400,
        "a refresh cannot bring access back"
    );
    assert_eq!(
        app.password_grant(&grace.email, PASSWORD, &[("tenant", "acme")])
            .await
            .status(),
        400
    );

    assert_eq!(
        app.send_with(
            Method::PATCH,
            &graces,
            &owner.access,
            Some(json!({"status": "active"}))
        )
        .await
        .status(),
        200
    );
    let g = app.login(&grace, &[("tenant", "acme")]).await;
    assert_eq!(app.get_with(&tenant_path, &g.access).await.status(), 200);
    assert_eq!(
        app.send_with(
            Method::PATCH,
            &graces,
            &owner.access,
            Some(json!({"status": "banished"}))
        )
        .await
        .status(),
        422
    );

    assert_eq!(
        app.send_with(Method::DELETE, &graces, &owner.access, None)
            .await
            .status(),
        204
    );
    assert_eq!(app.get_with(&tenant_path, &g.access).await.status(), 401);
    assert_eq!(app.get_with(&graces, &owner.access).await.status(), 404);
}

#[tokio::test]
async fn changing_a_members_roles_takes_effect_on_their_next_request() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let owner = app.login(&ada, &[]).await;
    let t = ada.tenant_id.clone();
    let grace = app
        .add_member(&owner, &ada, "grace@example.com", &["member"])
        .await;
    let g = app.login(&grace, &[]).await;
    assert!(g.scope.contains("projects:write"));
    let viewer = app.role_id(&owner.access, &t, "viewer").await;
    let response = app
        .send_with(
            Method::PUT,
            &format!("/api/v1/tenants/{t}/members/{}/roles", grace.user_id),
            &owner.access,
            Some(json!({"role_ids": [viewer]})),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        app.get_with(&format!("/api/v1/tenants/{t}"), &g.access)
            .await
            .status(),
        401
    );
    let refreshed = Tokens::from(
        app.refresh(&g.refresh, &[])
            .await
            .json::<Value>()
            .await
            .unwrap(),
    );
    assert_eq!(
        refreshed.scope,
        "tenant:read members:read projects:read tasks:read"
    );
}

#[tokio::test]
async fn another_tenants_member_is_not_found() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let eve = app.sign_up("eve@example.com", "evil").await;
    let a = app.login(&ada, &[]).await;
    let path = format!("/api/v1/tenants/{}/members/{}", ada.tenant_id, eve.user_id);
    assert_eq!(app.get_with(&path, &a.access).await.status(), 404);
    assert_eq!(
        app.send_with(Method::DELETE, &path, &a.access, None)
            .await
            .status(),
        404
    );
    assert_eq!(
        app.send_with(
            Method::PATCH,
            &path,
            &a.access,
            Some(json!({"status": "disabled"}))
        )
        .await
        .status(),
        404
    );
    // And the path of another tenant is refused before any lookup.
    let theirs = format!("/api/v1/tenants/{}/members/{}", eve.tenant_id, eve.user_id);
    assert_eq!(app.get_with(&theirs, &a.access).await.status(), 403);
    // A tenant-less token has no tenant to act in.
    app.send_with(
        Method::POST,
        "/api/v1/tenants",
        &a.access,
        Some(json!({"name": "Second", "slug": "second"})),
    )
    .await;
    let tenantless = app.login(&ada, &[]).await;
    assert_eq!(
        app.get_with(
            &format!("/api/v1/tenants/{}", ada.tenant_id),
            &tenantless.access
        )
        .await
        .status(),
        403
    );
}
