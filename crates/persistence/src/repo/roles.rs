use crate::schema::roles;
use crate::{PersistenceError, TenantTx};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use domain::{BuiltinRole, Description, RoleId, RoleName, ScopeSet, TenantId};

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

/// Creates the four built-in roles of a new tenant.
pub async fn create_builtins(tx: &TenantTx) -> Result<Vec<Role>, PersistenceError> {
    let rows: Vec<NewRole> = BuiltinRole::ALL
        .iter()
        .map(|role| NewRole {
            id: RoleId::new(),
            tenant_id: tx.tenant(),
            name: role.name(),
            description: role.description(),
            permissions: role.permissions(),
            builtin: true,
        })
        .collect();
    Ok(diesel::insert_into(roles::table)
        .values(&rows)
        .returning(Role::as_returning())
        .get_results(&mut tx.conn())
        .await?)
}

pub async fn find_by_name(tx: &TenantTx, name: &str) -> Result<Option<Role>, PersistenceError> {
    Ok(roles::table
        .filter(roles::tenant_id.eq(tx.tenant()))
        .filter(roles::name.eq(name))
        .select(Role::as_select())
        .first(&mut tx.conn())
        .await
        .optional()?)
}

pub async fn list(
    tx: &TenantTx,
    after: Option<uuid::Uuid>,
    limit: i64,
) -> Result<Vec<Role>, PersistenceError> {
    let mut query = roles::table
        .filter(roles::tenant_id.eq(tx.tenant()))
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(roles::id.gt(after));
    }
    Ok(query
        .order(roles::id.asc())
        .limit(limit)
        .select(Role::as_select())
        .load(&mut tx.conn())
        .await?)
}

pub async fn find(tx: &TenantTx, id: RoleId) -> Result<Option<Role>, PersistenceError> {
    Ok(roles::table
        .filter(roles::tenant_id.eq(tx.tenant()))
        .filter(roles::id.eq(id.0))
        .select(Role::as_select())
        .first(&mut tx.conn())
        .await
        .optional()?)
}

pub async fn find_many(tx: &TenantTx, ids: &[RoleId]) -> Result<Vec<Role>, PersistenceError> {
    let ids: Vec<uuid::Uuid> = ids.iter().map(|id| id.0).collect();
    Ok(roles::table
        .filter(roles::tenant_id.eq(tx.tenant()))
        .filter(roles::id.eq_any(&ids))
        .select(Role::as_select())
        .load(&mut tx.conn())
        .await?)
}

/// A custom role.
pub async fn insert(
    tx: &TenantTx,
    name: &RoleName,
    description: &Description,
    permissions: ScopeSet,
) -> Result<Role, PersistenceError> {
    Ok(diesel::insert_into(roles::table)
        .values(NewRole {
            id: RoleId::new(),
            tenant_id: tx.tenant(),
            name: name.as_str(),
            description: description.as_str(),
            permissions,
            builtin: false,
        })
        .returning(Role::as_returning())
        .get_result(&mut tx.conn())
        .await?)
}

#[derive(Debug, Default, diesel::AsChangeset)]
#[diesel(table_name = roles)]
pub struct RoleChangeset<'a> {
    pub name: Option<&'a str>,
    pub description: Option<&'a str>,
    pub permissions: Option<Vec<String>>,
    pub updated_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Updates a custom role; built-in roles are never matched.
pub async fn update_custom(
    tx: &TenantTx,
    id: RoleId,
    changes: RoleChangeset<'_>,
) -> Result<Role, PersistenceError> {
    Ok(diesel::update(
        roles::table
            .filter(roles::tenant_id.eq(tx.tenant()))
            .filter(roles::id.eq(id.0))
            .filter(roles::builtin.eq(false)),
    )
    .set(changes)
    .returning(Role::as_returning())
    .get_result(&mut tx.conn())
    .await?)
}

pub async fn delete_custom(tx: &TenantTx, id: RoleId) -> Result<(), PersistenceError> {
    diesel::delete(
        roles::table
            .filter(roles::tenant_id.eq(tx.tenant()))
            .filter(roles::id.eq(id.0))
            .filter(roles::builtin.eq(false)),
    )
    .execute(&mut tx.conn())
    .await?;
    Ok(())
}

/// The members holding a role (whose tokens a change to it affects).
pub async fn holders(tx: &TenantTx, id: RoleId) -> Result<Vec<domain::UserId>, PersistenceError> {
    use crate::schema::membership_roles;
    let holders: Vec<uuid::Uuid> = membership_roles::table
        .filter(membership_roles::tenant_id.eq(tx.tenant()))
        .filter(membership_roles::role_id.eq(id.0))
        .select(membership_roles::user_id)
        .load(&mut tx.conn())
        .await?;
    Ok(holders.into_iter().map(domain::UserId).collect())
}
