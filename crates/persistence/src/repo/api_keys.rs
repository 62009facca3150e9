use crate::PersistenceError;
use crate::models::{ApiKey, NewApiKey};
use crate::schema::{api_key_index, api_keys, tenants};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::TenantId;
use uuid::Uuid;

pub async fn insert(
    conn: &mut AsyncPgConnection,
    key: NewApiKey<'_>,
) -> Result<ApiKey, PersistenceError> {
    diesel::insert_into(api_key_index::table)
        .values((
            api_key_index::key_id.eq(key.key_id),
            api_key_index::tenant_id.eq(key.tenant_id),
        ))
        .execute(conn)
        .await?;
    Ok(diesel::insert_into(api_keys::table)
        .values(key)
        .returning(ApiKey::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn list(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<ApiKey>, PersistenceError> {
    let mut query = api_keys::table
        .filter(api_keys::tenant_id.eq(tenant.0))
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(api_keys::id.gt(after));
    }
    Ok(query
        .order(api_keys::id.asc())
        .limit(limit)
        .select(ApiKey::as_select())
        .load(conn)
        .await?)
}

/// Marks a key revoked; returns it if it was live.
pub async fn revoke(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<ApiKey>, PersistenceError> {
    Ok(diesel::update(
        api_keys::table
            .filter(api_keys::tenant_id.eq(tenant.0))
            .filter(api_keys::id.eq(id))
            .filter(api_keys::revoked_at.is_null()),
    )
    .set(api_keys::revoked_at.eq(Utc::now()))
    .returning(ApiKey::as_returning())
    .get_result(conn)
    .await
    .optional()?)
}

/// The tenant a key id belongs to (global index; holds no secret).
pub async fn tenant_of(
    conn: &mut AsyncPgConnection,
    key_id: &str,
) -> Result<Option<TenantId>, PersistenceError> {
    Ok(api_key_index::table
        .find(key_id)
        .select(api_key_index::tenant_id)
        .first::<Uuid>(conn)
        .await
        .optional()?
        .map(TenantId))
}

/// A key by its public id, with its tenant's status.
pub async fn find_by_key_id(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    key_id: &str,
) -> Result<Option<(ApiKey, String)>, PersistenceError> {
    Ok(api_keys::table
        .inner_join(tenants::table)
        .filter(api_keys::tenant_id.eq(tenant.0))
        .filter(api_keys::key_id.eq(key_id))
        .select((ApiKey::as_select(), tenants::status))
        .first(conn)
        .await
        .optional()?)
}

/// Batched `last_used_at` updates (never moves a timestamp backwards).
pub async fn touch(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    used: &[(Uuid, DateTime<Utc>)],
) -> Result<(), PersistenceError> {
    for (id, at) in used {
        diesel::update(
            api_keys::table
                .filter(api_keys::tenant_id.eq(tenant.0))
                .filter(api_keys::id.eq(id))
                .filter(
                    api_keys::last_used_at
                        .is_null()
                        .or(api_keys::last_used_at.lt(at)),
                ),
        )
        .set(api_keys::last_used_at.eq(at))
        .execute(conn)
        .await?;
    }
    Ok(())
}
