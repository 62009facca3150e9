use crate::schema::roles;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use domain::{RoleId, ScopeSet, TenantId};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = roles, check_for_backend(diesel::pg::Pg))]
pub struct Role {
    pub id: RoleId,
    pub tenant_id: TenantId,
    pub name: String,
    pub description: String,
    pub permissions: ScopeSet,
    pub builtin: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = roles)]
pub struct NewRole<'a> {
    pub id: RoleId,
    pub tenant_id: TenantId,
    pub name: &'a str,
    pub description: &'a str,
    pub permissions: ScopeSet,
    pub builtin: bool,
}
