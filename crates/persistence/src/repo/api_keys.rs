use crate::schema::{api_key_index, api_keys, tenants};
use crate::{PersistenceError, TenantTx, Tx};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use domain::{ApiKeyId, ApiKeyName, ScopeSet, TenantId, UserId};
use std::fmt;
use uuid::Uuid;

#[derive(Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = api_keys, check_for_backend(diesel::pg::Pg))]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub tenant_id: TenantId,
    pub key_id: String,
    pub name: String,
    pub secret_hash: String,
    pub scopes: ScopeSet,
    pub created_by: Option<UserId>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKey")
            .field("id", &self.id)
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

#[derive(Insertable)]
#[diesel(table_name = api_keys)]
pub struct NewApiKey<'a> {
    pub id: ApiKeyId,
    pub tenant_id: TenantId,
    pub key_id: &'a str,
    pub name: &'a str,
    pub secret_hash: &'a str,
    pub scopes: ScopeSet,
    pub created_by: Option<UserId>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// The columns of a new key that its creator chooses.
#[derive(Debug)]
pub struct KeySpec<'a> {
    pub key_id: &'a str,
    pub secret_hash: &'a str,
    pub name: &'a ApiKeyName,
    pub scopes: ScopeSet,
    pub created_by: UserId,
    pub expires_at: Option<DateTime<Utc>>,
}

pub async fn insert(tx: &TenantTx, spec: KeySpec<'_>) -> Result<ApiKey, PersistenceError> {
    let key = NewApiKey {
        id: ApiKeyId::new(),
        tenant_id: tx.tenant(),
        key_id: spec.key_id,
        name: spec.name.as_str(),
        secret_hash: spec.secret_hash,
        scopes: spec.scopes,
        created_by: Some(spec.created_by),
        expires_at: spec.expires_at,
    };
    diesel::insert_into(api_key_index::table)
        .values((
            api_key_index::key_id.eq(key.key_id),
            api_key_index::tenant_id.eq(key.tenant_id),
        ))
        .execute(&mut tx.conn())
        .await?;
    Ok(diesel::insert_into(api_keys::table)
        .values(key)
        .returning(ApiKey::as_returning())
        .get_result(&mut tx.conn())
        .await?)
}

pub async fn list(
    tx: &TenantTx,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<ApiKey>, PersistenceError> {
    let mut query = api_keys::table
        .filter(api_keys::tenant_id.eq(tx.tenant()))
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(api_keys::id.gt(after));
    }
    Ok(query
        .order(api_keys::id.asc())
        .limit(limit)
        .select(ApiKey::as_select())
        .load(&mut tx.conn())
        .await?)
}

/// Marks a key revoked; returns it if it was live.
pub async fn revoke(tx: &TenantTx, id: ApiKeyId) -> Result<Option<ApiKey>, PersistenceError> {
    Ok(diesel::update(
        api_keys::table
            .filter(api_keys::tenant_id.eq(tx.tenant()))
            .filter(api_keys::id.eq(id.0))
            .filter(api_keys::revoked_at.is_null()),
    )
    .set(api_keys::revoked_at.eq(Utc::now()))
    .returning(ApiKey::as_returning())
    .get_result(&mut tx.conn())
    .await
    .optional()?)
}

/// The tenant a key id belongs to (global index; holds no secret).
pub async fn tenant_of(tx: &Tx, key_id: &str) -> Result<Option<TenantId>, PersistenceError> {
    Ok(api_key_index::table
        .find(key_id)
        .select(api_key_index::tenant_id)
        .first::<Uuid>(&mut tx.conn())
        .await
        .optional()?
        .map(TenantId))
}

/// A key by its public id, with its tenant's status.
pub async fn find_by_key_id(
    tx: &TenantTx,
    key_id: &str,
) -> Result<Option<(ApiKey, String)>, PersistenceError> {
    Ok(api_keys::table
        .inner_join(tenants::table)
        .filter(api_keys::tenant_id.eq(tx.tenant()))
        .filter(api_keys::key_id.eq(key_id))
        .select((ApiKey::as_select(), tenants::status))
        .first(&mut tx.conn())
        .await
        .optional()?)
}

/// Batched `last_used_at` updates (never moves a timestamp backwards).
pub async fn touch(
    tx: &TenantTx,
    used: &[(ApiKeyId, DateTime<Utc>)],
) -> Result<(), PersistenceError> {
    for (id, at) in used {
        diesel::update(
            api_keys::table
                .filter(api_keys::tenant_id.eq(tx.tenant()))
                .filter(api_keys::id.eq(id))
                .filter(
                    api_keys::last_used_at
                        .is_null()
                        .or(api_keys::last_used_at.lt(at)),
                ),
        )
        .set(api_keys::last_used_at.eq(at))
        .execute(&mut tx.conn())
        .await?;
    }
    Ok(())
}
