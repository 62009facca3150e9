use crate::error::{ApiError, Problem};
use crate::handlers::page::{Page, PageQuery};
use crate::paths::{ProjectPath, TaskPath};
use crate::validate::{self, Valid};
use crate::work::TenantWork;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use domain::ProjectId;
use domain::{Action, Target, TaskId, TaskTitle, UserId, policy};
use persistence::models::{Task, TaskChangeset};
use persistence::repo::projects;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use validator::Validate;

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "01930000-0000-7000-8000-0000000000b1", "project_id": "01930000-0000-7000-8000-0000000000a1", "title": "Draft the copy", "done": false, "created_by": "01930000-0000-7000-8000-000000000002", "created_at": "2026-11-22T12:00:00Z", "updated_at": "2026-11-22T12:00:00Z"}))]
pub struct TaskResponse {
    pub id: TaskId,
    pub project_id: ProjectId,
    pub title: String,
    pub done: bool,
    pub created_by: Option<UserId>,
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

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"title": "Draft the copy"}))]
pub struct CreateTaskRequest {
    #[schema(value_type = domain::TaskTitle)]
    #[validate(custom(function = "validate::task_title"))]
    pub title: String,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"done": true}))]
pub struct UpdateTaskRequest {
    #[schema(value_type = Option<domain::TaskTitle>)]
    #[validate(custom(function = "validate::task_title"))]
    #[serde(default, deserialize_with = "crate::validate::not_null")]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "crate::validate::not_null")]
    pub done: Option<bool>,
}

/// The task of the path, if the caller may change it (`domain::policy::modify_task`).
async fn modifiable_task(work: &TenantWork, path: &TaskPath) -> Result<Task, ApiError> {
    let task = projects::find_task(&work.tx, path.project_id, path.task_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    policy::modify_task(work.scopes(), work.caller.user(), task.created_by)?;
    Ok(task)
}

/// A project's tasks.
///
/// Requires `tasks:read`; API keys may call it. Oldest first, with cursor pagination; an
/// unknown project, or another tenant's, is 404.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/projects/{project_id}/tasks", tag = "tasks", operation_id = "list_tasks",
    params(("tenant_id" = Uuid, Path), ("project_id" = Uuid, Path), PageQuery),
    responses(
        (status = 200, description = "Tasks, oldest first", body = Page<TaskResponse>),
        (status = 404, description = "No such project in this tenant", body = Problem),
    ))]
pub async fn list_tasks(
    work: TenantWork,
    path: web::Path<ProjectPath>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (limit, after) = (query.limit()?, query.after_id()?);
    projects::find(&work.tx, path.project_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let rows = projects::list_tasks(&work.tx, path.project_id, after, limit as i64 + 1).await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, limit, |t| t.id, TaskResponse::from)))
}

/// One task.
///
/// Requires `tasks:read`; API keys may call it. A task that is not in the path's project,
/// or is another tenant's, is 404.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/projects/{project_id}/tasks/{task_id}", tag = "tasks", operation_id = "get_task",
    params(("tenant_id" = Uuid, Path), ("project_id" = Uuid, Path), ("task_id" = Uuid, Path)),
    responses(
        (status = 200, description = "The task", body = TaskResponse),
        (status = 404, description = "No such task in this tenant", body = Problem),
    ))]
pub async fn get_task(
    work: TenantWork,
    path: web::Path<TaskPath>,
) -> Result<HttpResponse, ApiError> {
    let task = projects::find_task(&work.tx, path.project_id, path.task_id).await?;
    Ok(HttpResponse::Ok().json(TaskResponse::from(task.ok_or(ApiError::NotFound)?)))
}

/// Create a task in a project.
///
/// Requires `tasks:write`; API keys may call it. The task starts with `done` false and the
/// caller as `created_by` (for an API key, its creator), who may then edit or delete it
/// with `tasks:write` alone. An unknown project, or another tenant's, is 404; audited as
/// `task.created`.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant_id}/projects/{project_id}/tasks", tag = "tasks", operation_id = "create_task",
    params(("tenant_id" = Uuid, Path), ("project_id" = Uuid, Path)),
    request_body = CreateTaskRequest,
    responses(
        (status = 201, description = "Created", body = TaskResponse),
        (status = 404, description = "No such project in this tenant", body = Problem),
        (status = 422, description = "Invalid title", body = Problem),
    ))]
pub async fn create_task(
    work: TenantWork,
    path: web::Path<ProjectPath>,
    body: Valid<CreateTaskRequest>,
) -> Result<HttpResponse, ApiError> {
    let title = TaskTitle::parse(&body.title)?;
    projects::find(&work.tx, path.project_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let task = projects::insert_task(&work.tx, path.project_id, &title, work.caller.user()).await?;
    let details = json!({"project_id": path.project_id});
    work.audit(Action::TaskCreated, Target::Task(task.id), details)
        .await?;
    work.commit().await?;
    Ok(HttpResponse::Created().json(TaskResponse::from(task)))
}

/// Edit a task.
///
/// Requires `projects:write`, or `tasks:write` when the caller created the task (for an API
/// key: when its creator did); otherwise 403. API keys may call it. Only the fields sent
/// change; a task not in the path's project, or another tenant's, is 404. Audited as
/// `task.updated`.
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
    work: TenantWork,
    path: web::Path<TaskPath>,
    body: Valid<UpdateTaskRequest>,
) -> Result<HttpResponse, ApiError> {
    let title = body.title.as_deref().map(TaskTitle::parse).transpose()?;
    let task = modifiable_task(&work, &path).await?;
    let changes = TaskChangeset {
        title: title.as_ref().map(TaskTitle::as_str),
        done: body.done,
        updated_at: Some(Utc::now()),
    };
    let task = projects::update_task(&work.tx, task.id, changes).await?;
    work.audit(Action::TaskUpdated, Target::Task(path.task_id), Value::Null)
        .await?;
    work.commit().await?;
    Ok(HttpResponse::Ok().json(TaskResponse::from(task)))
}

/// Delete a task.
///
/// Requires `projects:write`, or `tasks:write` when the caller created the task (for an API
/// key: when its creator did); otherwise 403. API keys may call it. A task not in the
/// path's project, or another tenant's, is 404; audited as `task.deleted`.
#[utoipa::path(delete, path = "/api/v1/tenants/{tenant_id}/projects/{project_id}/tasks/{task_id}", tag = "tasks", operation_id = "delete_task",
    params(("tenant_id" = Uuid, Path), ("project_id" = Uuid, Path), ("task_id" = Uuid, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not the creator and no `projects:write`", body = Problem),
        (status = 404, description = "No such task in this tenant", body = Problem),
    ))]
pub async fn delete_task(
    work: TenantWork,
    path: web::Path<TaskPath>,
) -> Result<HttpResponse, ApiError> {
    modifiable_task(&work, &path).await?;
    projects::delete_task(&work.tx, path.task_id).await?;
    work.audit(Action::TaskDeleted, Target::Task(path.task_id), Value::Null)
        .await?;
    work.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
