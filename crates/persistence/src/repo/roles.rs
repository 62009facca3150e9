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
