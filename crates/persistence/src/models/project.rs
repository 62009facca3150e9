use crate::schema::{projects, tasks};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use domain::{ProjectId, TaskId, TenantId, UserId};

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
