use crate::schema::tenants;
use crate::{PersistenceError, TenantTx, Tx};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use domain::{Slug, TenantId, TenantName, TenantStatus};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = tenants, check_for_backend(diesel::pg::Pg))]
pub struct Tenant {
    pub id: TenantId,
    pub slug: String,
    pub name: String,
    pub status: TenantStatus,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = tenants)]
pub struct NewTenant<'a> {
    pub id: TenantId,
    pub slug: &'a str,
    pub name: &'a str,
}

pub async fn insert(
    tx: &Tx,
    id: TenantId,
    slug: &Slug,
    name: &TenantName,
) -> Result<Tenant, PersistenceError> {
    Ok(diesel::insert_into(tenants::table)
        .values(NewTenant {
            id,
            slug: slug.as_str(),
            name: name.as_str(),
        })
        .returning(Tenant::as_returning())
        .get_result(&mut tx.conn())
        .await?)
}

pub async fn find(tx: &Tx, id: TenantId) -> Result<Option<Tenant>, PersistenceError> {
    Ok(tenants::table
        .find(id.0)
        .select(Tenant::as_select())
        .first(&mut tx.conn())
        .await
        .optional()?)
}

pub async fn find_by_slug(tx: &Tx, slug: &str) -> Result<Option<Tenant>, PersistenceError> {
    Ok(tenants::table
        .filter(tenants::slug.eq(slug))
        .select(Tenant::as_select())
        .first(&mut tx.conn())
        .await
        .optional()?)
}

/// A new tenant with its four built-in roles and `owner` as its first member (role
/// `owner`). Run in the new tenant's unit of work.
pub async fn create_with_owner(
    tx: &TenantTx,
    slug: &Slug,
    name: &TenantName,
    owner: domain::UserId,
) -> Result<Tenant, PersistenceError> {
    let tenant = insert(tx, tx.tenant(), slug, name).await?;
    let roles = crate::repo::roles::create_builtins(tx).await?;
    let owner_role = roles
        .iter()
        .find(|r| r.name == domain::BuiltinRole::Owner.name())
        .map(|r| r.id)
        .ok_or(PersistenceError::NotFound)?;
    crate::repo::memberships::insert(tx, owner, &[owner_role]).await?;
    Ok(tenant)
}

pub async fn rename(tx: &Tx, id: TenantId, name: &TenantName) -> Result<Tenant, PersistenceError> {
    Ok(diesel::update(tenants::table.find(id.0))
        .set(tenants::name.eq(name.as_str()))
        .returning(Tenant::as_returning())
        .get_result(&mut tx.conn())
        .await?)
}

pub async fn set_status(
    tx: &Tx,
    id: TenantId,
    status: domain::TenantStatus,
) -> Result<Option<Tenant>, PersistenceError> {
    Ok(diesel::update(tenants::table.find(id.0))
        .set(tenants::status.eq(status.as_str()))
        .returning(Tenant::as_returning())
        .get_result(&mut tx.conn())
        .await
        .optional()?)
}

pub async fn list(
    tx: &Tx,
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
        .load(&mut tx.conn())
        .await?)
}
