use crate::PersistenceError;
use crate::models::{NewTenant, Tenant};
use crate::schema::tenants;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::{Slug, TenantId, TenantName};

pub async fn insert(
    conn: &mut AsyncPgConnection,
    id: TenantId,
    slug: &Slug,
    name: &TenantName,
) -> Result<Tenant, PersistenceError> {
    Ok(diesel::insert_into(tenants::table)
        .values(NewTenant {
            id: id.0,
            slug: slug.as_str(),
            name: name.as_str(),
        })
        .returning(Tenant::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn find(
    conn: &mut AsyncPgConnection,
    id: TenantId,
) -> Result<Option<Tenant>, PersistenceError> {
    Ok(tenants::table
        .find(id.0)
        .select(Tenant::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn find_by_slug(
    conn: &mut AsyncPgConnection,
    slug: &str,
) -> Result<Option<Tenant>, PersistenceError> {
    Ok(tenants::table
        .filter(tenants::slug.eq(slug))
        .select(Tenant::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// A new tenant with its four built-in roles and `owner` as its first member (role
/// `owner`). Run in the new tenant's unit of work.
pub async fn create_with_owner(
    conn: &mut AsyncPgConnection,
    id: TenantId,
    slug: &Slug,
    name: &TenantName,
    owner: domain::UserId,
) -> Result<Tenant, PersistenceError> {
    let tenant = insert(conn, id, slug, name).await?;
    let roles = crate::repo::roles::create_builtins(conn, id).await?;
    let owner_role = roles
        .iter()
        .find(|r| r.name == domain::BuiltinRole::Owner.name())
        .map(|r| domain::RoleId(r.id))
        .ok_or(PersistenceError::NotFound)?;
    crate::repo::memberships::insert(conn, id, owner, &[owner_role]).await?;
    Ok(tenant)
}

pub async fn rename(
    conn: &mut AsyncPgConnection,
    id: TenantId,
    name: &TenantName,
) -> Result<Tenant, PersistenceError> {
    Ok(diesel::update(tenants::table.find(id.0))
        .set(tenants::name.eq(name.as_str()))
        .returning(Tenant::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn set_status(
    conn: &mut AsyncPgConnection,
    id: TenantId,
    status: domain::TenantStatus,
) -> Result<Option<Tenant>, PersistenceError> {
    Ok(diesel::update(tenants::table.find(id.0))
        .set(tenants::status.eq(status.as_str()))
        .returning(Tenant::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}

pub async fn list(
    conn: &mut AsyncPgConnection,
    after: Option<uuid::Uuid>,
    limit: i64,
) -> Result<Vec<Tenant>, PersistenceError> {
    let mut query = tenants::table.into_boxed();
    if let Some(after) = after {
        query = query.filter(tenants::id.gt(after));
    }
    Ok(query
        .order(tenants::id.asc())
        .limit(limit)
        .select(Tenant::as_select())
        .load(conn)
        .await?)
}
