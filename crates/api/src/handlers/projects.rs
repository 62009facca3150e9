//! Projects: the sample tenant resource. Read it as the template for the next one: a
//! handler per action holding a [`TenantWork`] (the guard already enforced the route's
//! declared scope), a `Valid` body, a repository call, an audit record in the same
//! transaction, commit; problem+json errors, keyset pagination.

use crate::error::{ApiError, Problem};
use crate::handlers::page::{Page, PageQuery};
use crate::paths::ProjectPath;
use crate::validate::{self, Valid};
use crate::work::TenantWork;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use domain::UserId;
use domain::{Action, Description, ProjectId, ProjectName, Target};
use persistence::models::{Project, ProjectChangeset};
use persistence::repo::projects;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use validator::Validate;

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "01930000-0000-7000-8000-0000000000a1", "name": "Website relaunch", "description": "Q3", "created_by": "01930000-0000-7000-8000-000000000002", "created_at": "2026-11-22T12:00:00Z", "updated_at": "2026-11-22T12:00:00Z"}))]
pub struct ProjectResponse {
    pub id: ProjectId,
    pub name: String,
    pub description: String,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Project> for ProjectResponse {
    fn from(p: Project) -> Self {
        Self {
            id: p.id,
            name: p.name,
            description: p.description,
            created_by: p.created_by,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"name": "Website relaunch", "description": "Q3"}))]
pub struct CreateProjectRequest {
    #[schema(value_type = domain::ProjectName)]
    #[validate(custom(function = "validate::project_name"))]
    pub name: String,
    #[serde(default)]
    #[schema(value_type = domain::Description)]
    #[validate(custom(function = "validate::description"))]
    pub description: String,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"name": "Website relaunch (v2)"}))]
pub struct UpdateProjectRequest {
    #[schema(value_type = Option<domain::ProjectName>)]
    #[validate(custom(function = "validate::project_name"))]
    #[serde(default, deserialize_with = "crate::validate::not_null")]
    pub name: Option<String>,
    #[schema(value_type = Option<domain::Description>)]
    #[validate(custom(function = "validate::description"))]
    #[serde(default, deserialize_with = "crate::validate::not_null")]
    pub description: Option<String>,
}

/// List the tenant's projects.
///
/// Requires `projects:read`; API keys may call it. Oldest first, with cursor pagination.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/projects", tag = "projects", operation_id = "list_projects",
    params(("tenant_id" = Uuid, Path), PageQuery),
    responses(
        (status = 200, description = "Projects, oldest first", body = Page<ProjectResponse>),
    ))]
pub async fn list_projects(
    work: TenantWork,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (limit, after) = (query.limit()?, query.after_id()?);
    let rows = projects::list(&work.tx, after, limit as i64 + 1).await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(
        rows,
        limit,
        |p| p.id,
        ProjectResponse::from,
    )))
}

/// One project.
///
/// Requires `projects:read`; API keys may call it. An unknown id, or another tenant's
/// project, is 404.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/projects/{project_id}", tag = "projects", operation_id = "get_project",
    params(("tenant_id" = Uuid, Path), ("project_id" = Uuid, Path)),
    responses(
        (status = 200, description = "The project", body = ProjectResponse),
        (status = 404, description = "No such project in this tenant", body = Problem),
    ))]
pub async fn get_project(
    work: TenantWork,
    path: web::Path<ProjectPath>,
) -> Result<HttpResponse, ApiError> {
    let project = projects::find(&work.tx, path.project_id).await?;
    Ok(HttpResponse::Ok().json(ProjectResponse::from(project.ok_or(ApiError::NotFound)?)))
}

/// Create a project.
///
/// Requires `projects:write`; API keys may call it. `description` may be omitted (empty).
/// `created_by` is the caller (for an API key, its creator); audited as `project.created`.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant_id}/projects", tag = "projects", operation_id = "create_project",
    params(("tenant_id" = Uuid, Path)),
    request_body = CreateProjectRequest,
    responses(
        (status = 201, description = "Created", body = ProjectResponse),
        (status = 422, description = "Invalid fields", body = Problem),
    ))]
pub async fn create_project(
    work: TenantWork,
    body: Valid<CreateProjectRequest>,
) -> Result<HttpResponse, ApiError> {
    let name = ProjectName::parse(&body.name)?;
    let description = Description::parse(&body.description)?;
    let project = projects::insert(&work.tx, &name, &description, work.caller.user()).await?;
    let target = Target::Project(project.id);
    work.audit(
        Action::ProjectCreated,
        target,
        json!({"name": project.name}),
    )
    .await?;
    work.commit().await?;
    Ok(HttpResponse::Created().json(ProjectResponse::from(project)))
}

/// Rename a project or change its description.
///
/// Requires `projects:write`; API keys may call it. Only the fields sent change;
/// `updated_at` is set even when none is sent. An unknown id, or another tenant's project,
/// is 404; audited as `project.updated`.
#[utoipa::path(patch, path = "/api/v1/tenants/{tenant_id}/projects/{project_id}", tag = "projects", operation_id = "update_project",
    params(("tenant_id" = Uuid, Path), ("project_id" = Uuid, Path)),
    request_body = UpdateProjectRequest,
    responses(
        (status = 200, description = "Updated", body = ProjectResponse),
        (status = 404, description = "No such project in this tenant", body = Problem),
        (status = 422, description = "Invalid fields", body = Problem),
    ))]
pub async fn update_project(
    work: TenantWork,
    path: web::Path<ProjectPath>,
    body: Valid<UpdateProjectRequest>,
) -> Result<HttpResponse, ApiError> {
    let name = body.name.as_deref().map(ProjectName::parse).transpose()?;
    let description = body
        .description
        .as_deref()
        .map(Description::parse)
        .transpose()?;
    let changes = ProjectChangeset {
        name: name.as_ref().map(ProjectName::as_str),
        description: description.as_ref().map(Description::as_str),
        updated_at: Some(Utc::now()),
    };
    let project = projects::update(&work.tx, path.project_id, changes)
        .await?
        .ok_or(ApiError::NotFound)?;
    work.audit(
        Action::ProjectUpdated,
        Target::Project(path.project_id),
        Value::Null,
    )
    .await?;
    work.commit().await?;
    Ok(HttpResponse::Ok().json(ProjectResponse::from(project)))
}

/// Delete a project and its tasks.
///
/// Requires `projects:write`; API keys may call it. The project's tasks are deleted with
/// it. An unknown id, or another tenant's project, is 404; audited as `project.deleted`.
#[utoipa::path(delete, path = "/api/v1/tenants/{tenant_id}/projects/{project_id}", tag = "projects", operation_id = "delete_project",
    params(("tenant_id" = Uuid, Path), ("project_id" = Uuid, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such project in this tenant", body = Problem),
    ))]
pub async fn delete_project(
    work: TenantWork,
    path: web::Path<ProjectPath>,
) -> Result<HttpResponse, ApiError> {
    projects::delete(&work.tx, path.project_id).await?;
    let target = Target::Project(path.project_id);
    work.audit(Action::ProjectDeleted, target, Value::Null)
        .await?;
    work.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
