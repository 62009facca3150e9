use crate::error::{ApiError, Problem, Validator};
use crate::guards::TenantContext;
use crate::handlers::client::ClientInfo;
use crate::handlers::page::{Page, PageQuery};
use crate::handlers::trail;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use domain::{Scope, ValidationError};
use persistence::models::{NewTask, Task, TaskChangeset};
use persistence::repo::{audit, projects};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "01930000-0000-7000-8000-0000000000b1", "project_id": "01930000-0000-7000-8000-0000000000a1", "title": "Draft the copy", "done": false, "created_by": "01930000-0000-7000-8000-000000000002", "created_at": "2026-11-22T12:00:00Z", "updated_at": "2026-11-22T12:00:00Z"}))]
pub struct TaskResponse {
    pub id: Uuid,
    pub project_id: Uuid,
    pub title: String,
    pub done: bool,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Task> for TaskResponse {
    fn from(t: Task) -> Self {
        Self {
            id: t.id,
            project_id: t.project_id,
            title: t.title,
            done: t.done,
            created_by: t.created_by,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"title": "Draft the copy"}))]
pub struct CreateTaskRequest {
    /// 1 to 500 characters.
    pub title: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"done": true}))]
pub struct UpdateTaskRequest {
    pub title: Option<String>,
    pub done: Option<bool>,
}

fn title(raw: &str) -> Result<String, ValidationError> {
    let title = raw.trim();
    if title.is_empty() || title.chars().count() > 500 {
        return Err(ValidationError::new("title", "must be 1-500 characters"));
    }
    Ok(title.to_owned())
}

/// `projects:write` edits any task; `tasks:write` only the caller's own.
fn may_modify(ctx: &TenantContext, task: &Task) -> bool {
    ctx.scopes.contains(Scope::ProjectsWrite)
        || (ctx.scopes.contains(Scope::TasksWrite)
            && task.created_by.is_some()
            && task.created_by == ctx.created_by())
}

/// A project's tasks.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/projects/{project_id}/tasks", tag = "tasks", operation_id = "list_tasks",
    params(("tenant_id" = Uuid, Path), ("project_id" = Uuid, Path), PageQuery),
    responses(
        (status = 200, description = "Tasks, oldest first", body = inline(Page<TaskResponse>)),
        (status = 404, description = "No such project in this tenant", body = Problem),
    ))]
pub async fn list_tasks(
    state: web::Data<AppState>,
    ctx: TenantContext,
    path: web::Path<(Uuid, Uuid)>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (_, project) = path.into_inner();
    let (limit, after) = (query.limit()?, query.after_id()?);
    let tenant = ctx.tenant;
    let rows = persistence::in_tenant(&state.db, tenant, move |conn| {
        Box::pin(async move {
            if projects::find(conn, tenant, project).await?.is_none() {
                return Ok(None);
            }
            projects::list_tasks(conn, tenant, project, after, limit as i64 + 1)
                .await
                .map(Some)
        })
    })
    .await?
    .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, limit, |t| t.id, TaskResponse::from)))
}

/// One task.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/projects/{project_id}/tasks/{task_id}", tag = "tasks", operation_id = "get_task",
    params(("tenant_id" = Uuid, Path), ("project_id" = Uuid, Path), ("task_id" = Uuid, Path)),
    responses(
        (status = 200, description = "The task", body = TaskResponse),
        (status = 404, description = "No such task in this tenant", body = Problem),
    ))]
pub async fn get_task(
    state: web::Data<AppState>,
    ctx: TenantContext,
    path: web::Path<(Uuid, Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (_, project, id) = path.into_inner();
    let tenant = ctx.tenant;
    let task = persistence::in_tenant(&state.db, tenant, move |conn| {
        Box::pin(projects::find_task(conn, tenant, project, id))
    })
    .await?;
    Ok(HttpResponse::Ok().json(TaskResponse::from(task.ok_or(ApiError::NotFound)?)))
}

/// Create a task in a project.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant_id}/projects/{project_id}/tasks", tag = "tasks", operation_id = "create_task",
    params(("tenant_id" = Uuid, Path), ("project_id" = Uuid, Path)),
    request_body = CreateTaskRequest,
    responses(
        (status = 201, description = "Created", body = TaskResponse),
        (status = 404, description = "No such project in this tenant", body = Problem),
        (status = 422, description = "Invalid title", body = Problem),
    ))]
pub async fn create_task(
    state: web::Data<AppState>,
    ctx: TenantContext,
    client: ClientInfo,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Json<CreateTaskRequest>,
) -> Result<HttpResponse, ApiError> {
    let (_, project) = path.into_inner();
    let title = title(&body.title)?;
    let tenant = ctx.tenant;
    let task = persistence::in_tenant(&state.db, tenant, move |conn| {
        Box::pin(async move {
            if projects::find(conn, tenant, project).await?.is_none() {
                return Ok(None);
            }
            let task = projects::insert_task(
                conn,
                NewTask {
                    id: Uuid::now_v7(),
                    tenant_id: tenant.0,
                    project_id: project,
                    title: &title,
                    created_by: ctx.created_by(),
                },
            )
            .await?;
            audit::record(
                conn,
                tenant,
                trail::by(
                    &ctx,
                    &client,
                    "task.created",
                    format!("task:{}", task.id),
                    serde_json::json!({"project_id": project}),
                ),
            )
            .await?;
            Ok(Some(task))
        })
    })
    .await?
    .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Created().json(TaskResponse::from(task)))
}

/// Edit a task: its creator with `tasks:write`, or anyone with `projects:write`.
#[utoipa::path(patch, path = "/api/v1/tenants/{tenant_id}/projects/{project_id}/tasks/{task_id}", tag = "tasks", operation_id = "update_task",
    params(("tenant_id" = Uuid, Path), ("project_id" = Uuid, Path), ("task_id" = Uuid, Path)),
    request_body = UpdateTaskRequest,
    responses(
        (status = 200, description = "Updated", body = TaskResponse),
        (status = 403, description = "Not the creator and no `projects:write`", body = Problem),
        (status = 404, description = "No such task in this tenant", body = Problem),
        (status = 422, description = "Invalid title", body = Problem),
    ))]
pub async fn update_task(
    state: web::Data<AppState>,
    ctx: TenantContext,
    client: ClientInfo,
    path: web::Path<(Uuid, Uuid, Uuid)>,
    body: web::Json<UpdateTaskRequest>,
) -> Result<HttpResponse, ApiError> {
    let (_, project, id) = path.into_inner();
    let mut v = Validator::default();
    let new_title = body.title.as_deref().map(|t| v.check(title(t)));
    v.finish()?;
    let new_title = new_title.flatten();
    let done = body.done;
    let tenant = ctx.tenant;
    let task = persistence::in_tenant(&state.db, tenant, move |conn| {
        Box::pin(async move {
            let Some(task) = projects::find_task(conn, tenant, project, id).await? else {
                return Ok(Err(ApiError::NotFound));
            };
            if !may_modify(&ctx, &task) {
                return Ok(Err(ApiError::Forbidden(
                    "only the task's creator (or `projects:write`) may change it".into(),
                )));
            }
            let changes = TaskChangeset {
                title: new_title.as_deref(),
                done,
                updated_at: Some(Utc::now()),
            };
            let task = projects::update_task(conn, tenant, id, changes).await?;
            audit::record(
                conn,
                tenant,
                trail::by(
                    &ctx,
                    &client,
                    "task.updated",
                    format!("task:{id}"),
                    serde_json::Value::Null,
                ),
            )
            .await?;
            Ok(Ok(task))
        })
    })
    .await??;
    Ok(HttpResponse::Ok().json(TaskResponse::from(task)))
}

/// Delete a task: its creator with `tasks:write`, or anyone with `projects:write`.
#[utoipa::path(delete, path = "/api/v1/tenants/{tenant_id}/projects/{project_id}/tasks/{task_id}", tag = "tasks", operation_id = "delete_task",
    params(("tenant_id" = Uuid, Path), ("project_id" = Uuid, Path), ("task_id" = Uuid, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not the creator and no `projects:write`", body = Problem),
        (status = 404, description = "No such task in this tenant", body = Problem),
    ))]
pub async fn delete_task(
    state: web::Data<AppState>,
    ctx: TenantContext,
    client: ClientInfo,
    path: web::Path<(Uuid, Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (_, project, id) = path.into_inner();
    let tenant = ctx.tenant;
    persistence::in_tenant(&state.db, tenant, move |conn| {
        Box::pin(async move {
            let Some(task) = projects::find_task(conn, tenant, project, id).await? else {
                return Ok(Err(ApiError::NotFound));
            };
            if !may_modify(&ctx, &task) {
                return Ok(Err(ApiError::Forbidden(
                    "only the task's creator (or `projects:write`) may delete it".into(),
                )));
            }
            projects::delete_task(conn, tenant, id).await?;
            audit::record(
                conn,
                tenant,
                trail::by(
                    &ctx,
                    &client,
                    "task.deleted",
                    format!("task:{id}"),
                    serde_json::Value::Null,
                ),
            )
            .await?;
            Ok(Ok(()))
        })
    })
    .await??;
    Ok(HttpResponse::NoContent().finish())
}
