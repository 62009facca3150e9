use crate::schema::api_keys;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use domain::{ApiKeyId, ScopeSet, TenantId, UserId};
use std::fmt;

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
