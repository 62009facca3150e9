//! Projects and their tasks: the sample business resource, and the template for the next
//! tenant-owned resource (see README "Adding a resource").

use crate::schema::{projects, tasks};
use crate::{PersistenceError, TenantTx};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use domain::{Description, ProjectId, ProjectName, TaskId, TaskTitle, TenantId, UserId};
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = projects, check_for_backend(diesel::pg::Pg))]
pub struct Project {
    pub id: ProjectId,
    pub tenant_id: TenantId,
    pub name: String,
    pub description: String,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = projects)]
pub struct NewProject<'a> {
    pub id: ProjectId,
    pub tenant_id: TenantId,
    pub name: &'a str,
    pub description: &'a str,
    pub created_by: Option<UserId>,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = projects)]
pub struct ProjectChangeset<'a> {
    pub name: Option<&'a str>,
    pub description: Option<&'a str>,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = tasks, check_for_backend(diesel::pg::Pg))]
pub struct Task {
    pub id: TaskId,
    pub tenant_id: TenantId,
    pub project_id: ProjectId,
    pub title: String,
    pub done: bool,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = tasks)]
pub struct NewTask<'a> {
    pub id: TaskId,
    pub tenant_id: TenantId,
    pub project_id: ProjectId,
    pub title: &'a str,
    pub created_by: Option<UserId>,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = tasks)]
pub struct TaskChangeset<'a> {
    pub title: Option<&'a str>,
    pub done: Option<bool>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// Up to `limit` projects after `after` (UUIDv7 ids: creation order).
pub async fn list(
    tx: &TenantTx,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Project>, PersistenceError> {
    // One static query shape (no boxing), so diesel keeps it as a prepared statement: the
    // first page starts after the nil UUID, which precedes every UUIDv7.
    Ok(projects::table
        .filter(projects::tenant_id.eq(tx.tenant()))
        .filter(projects::id.gt(after.unwrap_or(Uuid::nil())))
        .order(projects::id.asc())
        .limit(limit)
        .select(Project::as_select())
        .load(&mut tx.conn())
        .await?)
}

pub async fn find(tx: &TenantTx, id: ProjectId) -> Result<Option<Project>, PersistenceError> {
    Ok(projects::table
        .filter(projects::tenant_id.eq(tx.tenant()))
        .filter(projects::id.eq(id.0))
        .select(Project::as_select())
        .first(&mut tx.conn())
        .await
        .optional()?)
}

pub async fn insert(
    tx: &TenantTx,
    name: &ProjectName,
    description: &Description,
    created_by: UserId,
) -> Result<Project, PersistenceError> {
    Ok(diesel::insert_into(projects::table)
        .values(NewProject {
            id: ProjectId::new(),
            tenant_id: tx.tenant(),
            name: name.as_str(),
            description: description.as_str(),
            created_by: Some(created_by),
        })
        .returning(Project::as_returning())
        .get_result(&mut tx.conn())
        .await?)
}

pub async fn update(
    tx: &TenantTx,
    id: ProjectId,
    changes: ProjectChangeset<'_>,
) -> Result<Option<Project>, PersistenceError> {
    Ok(diesel::update(
        projects::table
            .filter(projects::tenant_id.eq(tx.tenant()))
            .filter(projects::id.eq(id.0)),
    )
    .set(changes)
    .returning(Project::as_returning())
    .get_result(&mut tx.conn())
    .await
    .optional()?)
}

/// Deletes a project (and, by cascade, its tasks); `NotFound` if there was none.
pub async fn delete(tx: &TenantTx, id: ProjectId) -> Result<(), PersistenceError> {
    let deleted = diesel::delete(
        projects::table
            .filter(projects::tenant_id.eq(tx.tenant()))
            .filter(projects::id.eq(id)),
    )
    .execute(&mut tx.conn())
    .await?;
    crate::repo::exactly_one(deleted)
}

pub async fn list_tasks(
    tx: &TenantTx,
    project: ProjectId,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Task>, PersistenceError> {
    let mut query = tasks::table
        .filter(tasks::tenant_id.eq(tx.tenant()))
        .filter(tasks::project_id.eq(project.0))
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(tasks::id.gt(after));
    }
    Ok(query
        .order(tasks::id.asc())
        .limit(limit)
        .select(Task::as_select())
        .load(&mut tx.conn())
        .await?)
}

pub async fn find_task(
    tx: &TenantTx,
    project: ProjectId,
    id: TaskId,
) -> Result<Option<Task>, PersistenceError> {
    Ok(tasks::table
        .filter(tasks::tenant_id.eq(tx.tenant()))
        .filter(tasks::project_id.eq(project.0))
        .filter(tasks::id.eq(id.0))
        .select(Task::as_select())
        .first(&mut tx.conn())
        .await
        .optional()?)
}

pub async fn insert_task(
    tx: &TenantTx,
    project: ProjectId,
    title: &TaskTitle,
    created_by: UserId,
) -> Result<Task, PersistenceError> {
    Ok(diesel::insert_into(tasks::table)
        .values(NewTask {
            id: TaskId::new(),
            tenant_id: tx.tenant(),
            project_id: project,
            title: title.as_str(),
            created_by: Some(created_by),
        })
        .returning(Task::as_returning())
        .get_result(&mut tx.conn())
        .await?)
}

pub async fn update_task(
    tx: &TenantTx,
    id: TaskId,
    changes: TaskChangeset<'_>,
) -> Result<Task, PersistenceError> {
    Ok(diesel::update(
        tasks::table
            .filter(tasks::tenant_id.eq(tx.tenant()))
            .filter(tasks::id.eq(id.0)),
    )
    .set(changes)
    .returning(Task::as_returning())
    .get_result(&mut tx.conn())
    .await?)
}

pub async fn delete_task(tx: &TenantTx, id: TaskId) -> Result<(), PersistenceError> {
    diesel::delete(
        tasks::table
            .filter(tasks::tenant_id.eq(tx.tenant()))
            .filter(tasks::id.eq(id.0)),
    )
    .execute(&mut tx.conn())
    .await?;
    Ok(())
}
