use crate::schema::redis_epochs;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// The epoch of one Redis key prefix (see `repo::redis_epochs`).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = redis_epochs, check_for_backend(diesel::pg::Pg))]
pub struct RedisEpoch {
    pub prefix: String,
    pub epoch: i64,
    /// Tokens issued before are refused; `None` until the first reset.
    pub not_before: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}
