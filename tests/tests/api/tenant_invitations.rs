use gatehouse_tests::{PASSWORD, TestApp};
use reqwest::Method;
use serde_json::{Value, json};

async fn accept(app: &TestApp, body: Value, bearer: Option<&str>) -> u16 {
    let mut request = app
        .client
        .post(app.url("/api/v1/invitations/accept"))
        .json(&body);
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn a_new_user_accepts_once_and_joins_with_the_invited_roles() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let owner = app.login(&ada, &[]).await;
    let token = app
        .invite(&owner, &ada.tenant_id, "Grace@Example.com", &["viewer"])
        .await;
    assert_eq!(token.len(), 64);
    // Listed without its token.
    let list: Value = app
        .get_with(
            &format!("/api/v1/tenants/{}/invitations", ada.tenant_id),
            &owner.access,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"][0]["email"], "grace@example.com");
    assert!(list["items"][0].get("token").is_none());

    assert_eq!(
        accept(&app, json!({"token": token, "password": "weak"}), None).await,
        422
    );
    assert_eq!(
        accept(
            &app,
            json!({"token": token, "password": PASSWORD, "display_name": "Grace"}),
            None
        )
        .await,
        201
    );
    assert_eq!(
        accept(
            &app,
            json!({"token": token, "password": PASSWORD, "display_name": "Grace"}),
            None
        )
        .await,
        404,
        "replay"
    );

    let response = app.password_grant("grace@example.com", PASSWORD, &[]).await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["scope"],
        "tenant:read members:read projects:read tasks:read"
    );
    let list: Value = app
        .get_with(
            &format!("/api/v1/tenants/{}/invitations", ada.tenant_id),
            &owner.access,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(list["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn an_existing_user_must_prove_it_is_them() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let grace = app.sign_up("grace@example.com", "grace").await;
    let eve = app.sign_up("eve@example.com", "evil").await;
    let owner = app.login(&ada, &[]).await;
    let token = app
        .invite(&owner, &ada.tenant_id, "grace@example.com", &["member"])
        .await;
    // Without a password or a bearer token: the same 422 an unregistered email gets
    // (SPEC §8: acceptance does not reveal whether an email has an account).
    assert_eq!(accept(&app, json!({"token": token}), None).await, 422);
    let eves = app.login(&eve, &[]).await;
    assert_eq!(
        accept(&app, json!({"token": token}), Some(&eves.access)).await,
        403
    );
    let graces = app.login(&grace, &[]).await;
    assert_eq!(
        accept(&app, json!({"token": token}), Some(&graces.access)).await,
        201
    );
    // Grace now has two tenants: name one to log in to it.
    let in_acme = app.login(&grace, &[("tenant", "acme")]).await;
    assert!(in_acme.scope.contains("projects:write"));
    // Inviting a member again is a conflict.
    let response = app
        .send_with(
            Method::POST,
            &format!("/api/v1/tenants/{}/invitations", ada.tenant_id),
            &owner.access,
            Some(json!({"email": "grace@example.com", "role_ids": []})),
        )
        .await;
    assert_eq!(response.status(), 409);
}

#[tokio::test]
async fn revoked_expired_and_made_up_invitations_are_not_found() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let owner = app.login(&ada, &[]).await;
    let t = ada.tenant_id.clone();
    let revoked = app.invite(&owner, &t, "a@example.com", &[]).await;
    let list: Value = app
        .get_with(&format!("/api/v1/tenants/{t}/invitations"), &owner.access)
        .await
        .json()
        .await
        .unwrap();
    let id = list["items"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.send_with(
            Method::DELETE,
            &format!("/api/v1/tenants/{t}/invitations/{id}"),
            &owner.access,
            None
        )
        .await
        .status(),
        204
    );
    assert_eq!(
        app.send_with(
            Method::DELETE,
            &format!("/api/v1/tenants/{t}/invitations/{id}"),
            &owner.access,
            None
        )
        .await
        .status(),
        404
    );
    let body = |token: &str| json!({"token": token, "password": PASSWORD, "display_name": "X"});
    assert_eq!(accept(&app, body(&revoked), None).await, 404);

    let expired = app.invite(&owner, &t, "b@example.com", &[]).await;
    gatehouse_tests::db::execute_in_tenant(&app.db.url, &t, "UPDATE invitations SET expires_at = now() - interval '1 minute' WHERE email = 'b@example.com'").await;
    assert_eq!(accept(&app, body(&expired), None).await, 404);

    assert_eq!(accept(&app, body("not-a-token"), None).await, 404);
    // Another tenant's id with random bits: no such invitation.
    let made_up = {
        use base64::Engine;
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut bytes = engine.decode(&expired).unwrap();
        bytes[40] ^= 1;
        engine.encode(bytes)
    };
    assert_eq!(accept(&app, body(&made_up), None).await, 404);
}

#[tokio::test]
async fn another_tenants_invitation_cannot_be_revoked() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let eve = app.sign_up("eve@example.com", "evil").await;
    let a = app.login(&ada, &[]).await;
    let e = app.login(&eve, &[]).await;
    app.invite(&e, &eve.tenant_id, "victim@example.com", &[])
        .await;
    let list: Value = app
        .get_with(
            &format!("/api/v1/tenants/{}/invitations", eve.tenant_id),
            &e.access,
        )
        .await
        .json()
        .await
        .unwrap();
    let id = list["items"][0]["id"].as_str().unwrap();
    assert_eq!(
        app.send_with(
            Method::DELETE,
            &format!("/api/v1/tenants/{}/invitations/{id}", ada.tenant_id),
            &a.access,
            None
        )
        .await
        .status(),
        404
    );
}

/// A suspended tenant gains no members: its invitations cannot be accepted until it is
/// active again (they are not spent by the attempt).
#[tokio::test]
async fn an_invitation_into_a_suspended_tenant_is_refused() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let owner = app.login(&ada, &[]).await;
    let token = app
        .invite(&owner, &ada.tenant_id, "grace@example.com", &["member"])
        .await;
    let root = app.platform_admin().await;
    let platform = format!("/api/v1/platform/tenants/{}", ada.tenant_id);
    let suspend = app
        .send_with(
            Method::POST,
            &format!("{platform}/suspend"),
            &root.access,
            None,
        )
        .await;
    assert_eq!(suspend.status(), 200);
    let accept = json!({"token": token, "password": PASSWORD, "display_name": "Grace"});
    let refused = app.post_json("/api/v1/invitations/accept", &accept).await;
    assert_eq!(refused.status(), 403);
    let problem: Value = refused.json().await.unwrap();
    assert!(
        problem["type"]
            .as_str()
            .unwrap()
            .ends_with("/problems/tenant-suspended"),
        "{problem}"
    );
    let activate = app
        .send_with(
            Method::POST,
            &format!("{platform}/activate"),
            &root.access,
            None,
        )
        .await;
    assert_eq!(activate.status(), 200);
    let accepted = app.post_json("/api/v1/invitations/accept", &accept).await;
    assert_eq!(accepted.status(), 201, "{}", accepted.text().await.unwrap());
}
