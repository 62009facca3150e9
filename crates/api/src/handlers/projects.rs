//! Projects: the sample tenant resource. Read it as the template for the next one: a
//! handler per action taking `TenantContext` (the guard already enforced the route's
//! declared scope), a repository call inside `in_tenant`, an audit record in the same
//! transaction, problem+json errors, keyset pagination.

use crate::error::{ApiError, Problem, Validator};
use crate::guards::TenantContext;
use crate::handlers::client::ClientInfo;
use crate::handlers::page::{Page, PageQuery};
use crate::handlers::trail;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use domain::ValidationError;
use persistence::models::{NewProject, Project, ProjectChangeset};
use persistence::repo::{audit, projects};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "01930000-0000-7000-8000-0000000000a1", "name": "Website relaunch", "description": "Q3", "created_by": "01930000-0000-7000-8000-000000000002", "created_at": "2026-11-22T12:00:00Z", "updated_at": "2026-11-22T12:00:00Z"}))]
pub struct ProjectResponse {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub created_by: Option<Uuid>,
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

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"name": "Website relaunch", "description": "Q3"}))]
pub struct CreateProjectRequest {
    /// 1 to 200 characters.
    pub name: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"name": "Website relaunch (v2)"}))]
pub struct UpdateProjectRequest {
    pub name: Option<String>,
    pub description: Option<String>,
}

pub fn project_name(raw: &str) -> Result<String, ValidationError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ValidationError::new("name", "must be 1-200 characters"));
    }
    Ok(name.to_owned())
}

pub fn description(raw: &str) -> Result<String, ValidationError> {
    if raw.chars().count() > 2000 {
        return Err(ValidationError::new(
            "description",
            "must be at most 2000 characters",
        ));
    }
    Ok(raw.trim().to_owned())
}

/// List the tenant's projects.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/projects", tag = "projects", operation_id = "list_projects",
    params(("tenant_id" = Uuid, Path), PageQuery),
    responses(
        (status = 200, description = "Projects, oldest first", body = inline(Page<ProjectResponse>)),
        (status = 401, description = "No valid credentials", body = Problem),
        (status = 403, description = "Another tenant, or missing `projects:read`", body = Problem),
    ))]
pub async fn list_projects(
    state: web::Data<AppState>,
    ctx: TenantContext,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (limit, after) = (query.limit()?, query.after_id()?);
    let tenant = ctx.tenant;
    let rows = persistence::read_in_tenant(&state.db, tenant, move |conn| {
        Box::pin(projects::list(conn, tenant, after, limit as i64 + 1))
    })
    .await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(
        rows,
        limit,
        |p| p.id,
        ProjectResponse::from,
    )))
}

/// One project.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/projects/{project_id}", tag = "projects", operation_id = "get_project",
    params(("tenant_id" = Uuid, Path), ("project_id" = Uuid, Path)),
    responses(
        (status = 200, description = "The project", body = ProjectResponse),
        (status = 404, description = "No such project in this tenant", body = Problem),
    ))]
pub async fn get_project(
    state: web::Data<AppState>,
    ctx: TenantContext,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let tenant = ctx.tenant;
    let project = persistence::in_tenant(&state.db, tenant, move |conn| {
        Box::pin(projects::find(conn, tenant, id))
    })
    .await?;
    Ok(HttpResponse::Ok().json(ProjectResponse::from(project.ok_or(ApiError::NotFound)?)))
}

/// Create a project.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant_id}/projects", tag = "projects", operation_id = "create_project",
    params(("tenant_id" = Uuid, Path)),
    request_body = CreateProjectRequest,
    responses(
        (status = 201, description = "Created", body = ProjectResponse),
        (status = 422, description = "Invalid fields", body = Problem),
    ))]
pub async fn create_project(
    state: web::Data<AppState>,
    ctx: TenantContext,
    client: ClientInfo,
    body: web::Json<CreateProjectRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Validator::default();
    let name = v.check(project_name(&body.name));
    let description = v.check(description(&body.description));
    v.finish()?;
    let (Some(name), Some(description)) = (name, description) else {
        return Err(ApiError::Internal("validated input missing".into()));
    };
    let tenant = ctx.tenant;
    let project = persistence::in_tenant(&state.db, tenant, move |conn| {
        Box::pin(async move {
            let project = projects::insert(
                conn,
                NewProject {
                    id: Uuid::now_v7(),
                    tenant_id: tenant.0,
                    name: &name,
                    description: &description,
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
                    "project.created",
                    format!("project:{}", project.id),
                    serde_json::json!({"name": project.name}),
                ),
            )
            .await?;
            Ok(project)
        })
    })
    .await?;
    Ok(HttpResponse::Created().json(ProjectResponse::from(project)))
}

/// Rename a project or change its description.
#[utoipa::path(patch, path = "/api/v1/tenants/{tenant_id}/projects/{project_id}", tag = "projects", operation_id = "update_project",
    params(("tenant_id" = Uuid, Path), ("project_id" = Uuid, Path)),
    request_body = UpdateProjectRequest,
    responses(
        (status = 200, description = "Updated", body = ProjectResponse),
        (status = 404, description = "No such project in this tenant", body = Problem),
        (status = 422, description = "Invalid fields", body = Problem),
    ))]
pub async fn update_project(
    state: web::Data<AppState>,
    ctx: TenantContext,
    client: ClientInfo,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Json<UpdateProjectRequest>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let mut v = Validator::default();
    let name = body.name.as_deref().map(|n| v.check(project_name(n)));
    let description = body.description.as_deref().map(|d| v.check(description(d)));
    v.finish()?;
    let (name, description) = (name.flatten(), description.flatten());
    let tenant = ctx.tenant;
    let project = persistence::in_tenant(&state.db, tenant, move |conn| {
        Box::pin(async move {
            let changes = ProjectChangeset {
                name: name.as_deref(),
                description: description.as_deref(),
                updated_at: Some(Utc::now()),
            };
            let Some(project) = projects::update(conn, tenant, id, changes).await? else {
                return Ok(None);
            };
            audit::record(
                conn,
                tenant,
                trail::by(
                    &ctx,
                    &client,
                    "project.updated",
                    format!("project:{id}"),
                    serde_json::Value::Null,
                ),
            )
            .await?;
            Ok(Some(project))
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(ProjectResponse::from(project.ok_or(ApiError::NotFound)?)))
}

/// Delete a project and its tasks.
#[utoipa::path(delete, path = "/api/v1/tenants/{tenant_id}/projects/{project_id}", tag = "projects", operation_id = "delete_project",
    params(("tenant_id" = Uuid, Path), ("project_id" = Uuid, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such project in this tenant", body = Problem),
    ))]
pub async fn delete_project(
    state: web::Data<AppState>,
    ctx: TenantContext,
    client: ClientInfo,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let tenant = ctx.tenant;
    let deleted = persistence::in_tenant(&state.db, tenant, move |conn| {
        Box::pin(async move {
            let deleted = projects::delete(conn, tenant, id).await?;
            if deleted {
                audit::record(
                    conn,
                    tenant,
                    trail::by(
                        &ctx,
                        &client,
                        "project.deleted",
                        format!("project:{id}"),
                        serde_json::Value::Null,
                    ),
                )
                .await?;
            }
            Ok(deleted)
        })
    })
    .await?;
    if deleted {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::NotFound)
    }
}
