use gatehouse_tests::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn projects_and_tasks_round_trip_with_validation_and_pagination() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let a = app.login(&ada, &[]).await;
    let projects = format!("/api/v1/tenants/{}/projects", ada.tenant_id);
    let response = app
        .send_with(
            Method::POST,
            &projects,
            &a.access,
            Some(json!({"name": "Relaunch", "description": "Q3"})),
        )
        .await;
    assert_eq!(response.status(), 201);
    let project: Value = response.json().await.unwrap();
    assert_eq!(project["created_by"], ada.user_id.as_str());
    let id = project["id"].as_str().unwrap();
    assert_eq!(
        app.send_with(
            Method::POST,
            &projects,
            &a.access,
            Some(json!({"name": ""}))
        )
        .await
        .status(),
        422
    );
    for i in 0..3 {
        app.send_with(
            Method::POST,
            &projects,
            &a.access,
            Some(json!({"name": format!("P{i}")})),
        )
        .await;
    }
    let page: Value = app
        .get_with(&format!("{projects}?limit=2"), &a.access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"][0]["name"], "Relaunch");
    let next: Value = app
        .get_with(
            &format!(
                "{projects}?limit=2&cursor={}",
                page["next_cursor"].as_str().unwrap()
            ),
            &a.access,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(next["items"].as_array().unwrap().len(), 2);
    assert!(next["next_cursor"].is_null());

    let response = app
        .send_with(
            Method::PATCH,
            &format!("{projects}/{id}"),
            &a.access,
            Some(json!({"name": "Relaunch v2"})),
        )
        .await;
    assert_eq!(
        response.json::<Value>().await.unwrap()["name"],
        "Relaunch v2"
    );

    let tasks = format!("{projects}/{id}/tasks");
    let task: Value = app
        .send_with(
            Method::POST,
            &tasks,
            &a.access,
            Some(json!({"title": "Copy"})),
        )
        .await
        .json()
        .await
        .unwrap();
    let task_id = task["id"].as_str().unwrap();
    assert_eq!(task["done"], false);
    let done: Value = app
        .send_with(
            Method::PATCH,
            &format!("{tasks}/{task_id}"),
            &a.access,
            Some(json!({"done": true})),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(done["done"], true);
    assert_eq!(
        app.send_with(Method::POST, &tasks, &a.access, Some(json!({"title": ""})))
            .await
            .status(),
        422
    );
    let missing = format!("{projects}/{}/tasks", uuid::Uuid::now_v7());
    assert_eq!(
        app.send_with(
            Method::POST,
            &missing,
            &a.access,
            Some(json!({"title": "x"}))
        )
        .await
        .status(),
        404
    );

    assert_eq!(
        app.send_with(Method::DELETE, &format!("{projects}/{id}"), &a.access, None)
            .await
            .status(),
        204
    );
    assert_eq!(
        app.get_with(&format!("{tasks}/{task_id}"), &a.access)
            .await
            .status(),
        404,
        "tasks go with their project"
    );
    assert_eq!(
        app.get_with(&format!("{projects}/not-a-uuid"), &a.access)
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn tasks_write_edits_only_ones_own_tasks_projects_write_edits_any() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let owner = app.login(&ada, &[]).await;
    let t = ada.tenant_id.clone();
    app.send_with(Method::POST, &format!("/api/v1/tenants/{t}/roles"), &owner.access, Some(json!({"name": "tasker", "permissions": ["projects:read", "tasks:read", "tasks:write"]})))
        .await;
    let grace = app
        .add_member(&owner, &ada, "grace@example.com", &["tasker"])
        .await;
    let g = app.login(&grace, &[]).await;
    let project: Value = app
        .send_with(
            Method::POST,
            &format!("/api/v1/tenants/{t}/projects"),
            &owner.access,
            Some(json!({"name": "P"})),
        )
        .await
        .json()
        .await
        .unwrap();
    let tasks = format!(
        "/api/v1/tenants/{t}/projects/{}/tasks",
        project["id"].as_str().unwrap()
    );
    let adas: Value = app
        .send_with(
            Method::POST,
            &tasks,
            &owner.access,
            Some(json!({"title": "Ada's"})),
        )
        .await
        .json()
        .await
        .unwrap();
    let graces: Value = app
        .send_with(
            Method::POST,
            &tasks,
            &g.access,
            Some(json!({"title": "Grace's"})),
        )
        .await
        .json()
        .await
        .unwrap();
    let adas = format!("{tasks}/{}", adas["id"].as_str().unwrap());
    let graces = format!("{tasks}/{}", graces["id"].as_str().unwrap());

    assert_eq!(
        app.send_with(
            Method::PATCH,
            &graces,
            &g.access,
            Some(json!({"done": true}))
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        app.send_with(Method::PATCH, &adas, &g.access, Some(json!({"done": true})))
            .await
            .status(),
        403
    );
    assert_eq!(
        app.send_with(Method::DELETE, &adas, &g.access, None)
            .await
            .status(),
        403
    );
    assert_eq!(
        app.send_with(
            Method::PATCH,
            &graces,
            &owner.access,
            Some(json!({"title": "Renamed by Ada"}))
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        app.send_with(Method::DELETE, &graces, &g.access, None)
            .await
            .status(),
        204
    );
    // Creating a project takes projects:write.
    assert_eq!(
        app.send_with(
            Method::POST,
            &format!("/api/v1/tenants/{t}/projects"),
            &g.access,
            Some(json!({"name": "x"}))
        )
        .await
        .status(),
        403
    );
}

#[tokio::test]
async fn another_tenants_projects_and_tasks_are_not_found_by_id() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let eve = app.sign_up("eve@example.com", "evil").await;
    let a = app.login(&ada, &[]).await;
    let e = app.login(&eve, &[]).await;
    let project: Value = app
        .send_with(
            Method::POST,
            &format!("/api/v1/tenants/{}/projects", eve.tenant_id),
            &e.access,
            Some(json!({"name": "Secret"})),
        )
        .await
        .json()
        .await
        .unwrap();
    let pid = project["id"].as_str().unwrap();
    let task: Value = app
        .send_with(
            Method::POST,
            &format!("/api/v1/tenants/{}/projects/{pid}/tasks", eve.tenant_id),
            &e.access,
            Some(json!({"title": "Secret task"})),
        )
        .await
        .json()
        .await
        .unwrap();
    let tid = task["id"].as_str().unwrap();
    let mine = format!("/api/v1/tenants/{}", ada.tenant_id);
    assert_eq!(
        app.get_with(&format!("{mine}/projects/{pid}"), &a.access)
            .await
            .status(),
        404
    );
    assert_eq!(
        app.send_with(
            Method::PATCH,
            &format!("{mine}/projects/{pid}"),
            &a.access,
            Some(json!({"name": "pwned"}))
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        app.send_with(
            Method::DELETE,
            &format!("{mine}/projects/{pid}"),
            &a.access,
            None
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        app.get_with(&format!("{mine}/projects/{pid}/tasks"), &a.access)
            .await
            .status(),
        404
    );
    assert_eq!(
        app.get_with(&format!("{mine}/projects/{pid}/tasks/{tid}"), &a.access)
            .await
            .status(),
        404
    );
    assert_eq!(
        app.send_with(
            Method::PATCH,
            &format!("{mine}/projects/{pid}/tasks/{tid}"),
            &a.access,
            Some(json!({"done": true}))
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        app.send_with(
            Method::DELETE,
            &format!("{mine}/projects/{pid}/tasks/{tid}"),
            &a.access,
            None
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        app.send_with(
            Method::POST,
            &format!("{mine}/projects/{pid}/tasks"),
            &a.access,
            Some(json!({"title": "x"}))
        )
        .await
        .status(),
        404
    );
    // Eve's data is intact.
    let still: Value = app
        .get_with(
            &format!("/api/v1/tenants/{}/projects/{pid}", eve.tenant_id),
            &e.access,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(still["name"], "Secret");
}

/// Free text keeps its line breaks, but a NUL (which PostgreSQL text cannot store) or any
/// other control character is refused as invalid input, not failed on as a 500.
#[tokio::test]
async fn descriptions_keep_line_breaks_and_refuse_control_characters() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let a = app.login(&ada, &[]).await;
    let projects = format!("/api/v1/tenants/{}/projects", ada.tenant_id);
    let roles = format!("/api/v1/tenants/{}/roles", ada.tenant_id);
    for (path, body) in [
        (
            &projects,
            json!({"name": "P", "description": "nul \u{0000} here"}),
        ),
        (
            &projects,
            json!({"name": "P", "description": "bell \u{0007}"}),
        ),
        (
            &roles,
            json!({"name": "r", "description": "nul \u{0000}", "permissions": []}),
        ),
    ] {
        let response = app
            .send_with(Method::POST, path, &a.access, Some(body))
            .await;
        assert_eq!(response.status(), 422, "{path}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], "description");
    }
    let response = app
        .send_with(
            Method::POST,
            &projects,
            &a.access,
            Some(json!({"name": "P", "description": "line one\nline two\ttabbed"})),
        )
        .await;
    assert_eq!(response.status(), 201);
    let project: Value = response.json().await.unwrap();
    assert_eq!(project["description"], "line one\nline two\ttabbed");
}
