//! Projects and their tasks: the sample business resource, and the template for the next
//! tenant-owned resource (see README "Adding a resource").

use crate::PersistenceError;
use crate::models::{NewProject, NewTask, Project, ProjectChangeset, Task, TaskChangeset};
use crate::schema::{projects, tasks};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::TenantId;
use uuid::Uuid;

/// Up to `limit` projects after `after` (UUIDv7 ids: creation order).
pub async fn list(
    mut conn: &AsyncPgConnection,
    tenant: TenantId,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Project>, PersistenceError> {
    // One static query shape (no boxing), so diesel keeps it as a prepared statement: the
    // first page starts after the nil UUID, which precedes every UUIDv7.
    Ok(projects::table
        .filter(projects::tenant_id.eq(tenant.0))
        .filter(projects::id.gt(after.unwrap_or(Uuid::nil())))
        .order(projects::id.asc())
        .limit(limit)
        .select(Project::as_select())
        .load(&mut conn)
        .await?)
}

pub async fn find(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<Project>, PersistenceError> {
    Ok(projects::table
        .filter(projects::tenant_id.eq(tenant.0))
        .filter(projects::id.eq(id))
        .select(Project::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn insert(
    conn: &mut AsyncPgConnection,
    project: NewProject<'_>,
) -> Result<Project, PersistenceError> {
    Ok(diesel::insert_into(projects::table)
        .values(project)
        .returning(Project::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn update(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    id: Uuid,
    changes: ProjectChangeset<'_>,
) -> Result<Option<Project>, PersistenceError> {
    Ok(diesel::update(
        projects::table
            .filter(projects::tenant_id.eq(tenant.0))
            .filter(projects::id.eq(id)),
    )
    .set(changes)
    .returning(Project::as_returning())
    .get_result(conn)
    .await
    .optional()?)
}

pub async fn delete(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<bool, PersistenceError> {
    let deleted = diesel::delete(
        projects::table
            .filter(projects::tenant_id.eq(tenant.0))
            .filter(projects::id.eq(id)),
    )
    .execute(conn)
    .await?;
    Ok(deleted > 0)
}

pub async fn list_tasks(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    project: Uuid,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Task>, PersistenceError> {
    let mut query = tasks::table
        .filter(tasks::tenant_id.eq(tenant.0))
        .filter(tasks::project_id.eq(project))
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(tasks::id.gt(after));
    }
    Ok(query
        .order(tasks::id.asc())
        .limit(limit)
        .select(Task::as_select())
        .load(conn)
        .await?)
}

pub async fn find_task(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    project: Uuid,
    id: Uuid,
) -> Result<Option<Task>, PersistenceError> {
    Ok(tasks::table
        .filter(tasks::tenant_id.eq(tenant.0))
        .filter(tasks::project_id.eq(project))
        .filter(tasks::id.eq(id))
        .select(Task::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn insert_task(
    conn: &mut AsyncPgConnection,
    task: NewTask<'_>,
) -> Result<Task, PersistenceError> {
    Ok(diesel::insert_into(tasks::table)
        .values(task)
        .returning(Task::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn update_task(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    id: Uuid,
    changes: TaskChangeset<'_>,
) -> Result<Task, PersistenceError> {
    Ok(diesel::update(
        tasks::table
            .filter(tasks::tenant_id.eq(tenant.0))
            .filter(tasks::id.eq(id)),
    )
    .set(changes)
    .returning(Task::as_returning())
    .get_result(conn)
    .await?)
}

pub async fn delete_task(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<(), PersistenceError> {
    diesel::delete(
        tasks::table
            .filter(tasks::tenant_id.eq(tenant.0))
            .filter(tasks::id.eq(id)),
    )
    .execute(conn)
    .await?;
    Ok(())
}
