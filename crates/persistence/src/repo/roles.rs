use crate::PersistenceError;
use crate::models::{NewRole, Role};
use crate::schema::roles;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::{BuiltinRole, RoleId, TenantId};

/// Creates the four built-in roles of a new tenant.
pub async fn create_builtins(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
) -> Result<Vec<Role>, PersistenceError> {
    let rows: Vec<NewRole> = BuiltinRole::ALL
        .iter()
        .map(|role| NewRole {
            id: RoleId::new().0,
            tenant_id: tenant.0,
            name: role.name(),
            description: role.description(),
            permissions: role.permissions().names(),
            builtin: true,
        })
        .collect();
    Ok(diesel::insert_into(roles::table)
        .values(&rows)
        .returning(Role::as_returning())
        .get_results(conn)
        .await?)
}

pub async fn find_by_name(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    name: &str,
) -> Result<Option<Role>, PersistenceError> {
    Ok(roles::table
        .filter(roles::tenant_id.eq(tenant.0))
        .filter(roles::name.eq(name))
        .select(Role::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn list(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    after: Option<uuid::Uuid>,
    limit: i64,
) -> Result<Vec<Role>, PersistenceError> {
    let mut query = roles::table
        .filter(roles::tenant_id.eq(tenant.0))
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(roles::id.gt(after));
    }
    Ok(query
        .order(roles::id.asc())
        .limit(limit)
        .select(Role::as_select())
        .load(conn)
        .await?)
}

pub async fn find(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    id: uuid::Uuid,
) -> Result<Option<Role>, PersistenceError> {
    Ok(roles::table
        .filter(roles::tenant_id.eq(tenant.0))
        .filter(roles::id.eq(id))
        .select(Role::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn find_many(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    ids: &[uuid::Uuid],
) -> Result<Vec<Role>, PersistenceError> {
    Ok(roles::table
        .filter(roles::tenant_id.eq(tenant.0))
        .filter(roles::id.eq_any(ids))
        .select(Role::as_select())
        .load(conn)
        .await?)
}

pub async fn insert(
    conn: &mut AsyncPgConnection,
    role: NewRole<'_>,
) -> Result<Role, PersistenceError> {
    Ok(diesel::insert_into(roles::table)
        .values(role)
        .returning(Role::as_returning())
        .get_result(conn)
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
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    id: uuid::Uuid,
    changes: RoleChangeset<'_>,
) -> Result<Role, PersistenceError> {
    Ok(diesel::update(
        roles::table
            .filter(roles::tenant_id.eq(tenant.0))
            .filter(roles::id.eq(id))
            .filter(roles::builtin.eq(false)),
    )
    .set(changes)
    .returning(Role::as_returning())
    .get_result(conn)
    .await?)
}

pub async fn delete_custom(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    id: uuid::Uuid,
) -> Result<(), PersistenceError> {
    diesel::delete(
        roles::table
            .filter(roles::tenant_id.eq(tenant.0))
            .filter(roles::id.eq(id))
            .filter(roles::builtin.eq(false)),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The members holding a role (whose tokens a change to it affects).
pub async fn holders(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    id: uuid::Uuid,
) -> Result<Vec<uuid::Uuid>, PersistenceError> {
    use crate::schema::membership_roles;
    Ok(membership_roles::table
        .filter(membership_roles::tenant_id.eq(tenant.0))
        .filter(membership_roles::role_id.eq(id))
        .select(membership_roles::user_id)
        .load(conn)
        .await?)
}
