use crate::schema::audit_events;
use crate::{PersistenceError, TenantTx};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use domain::{Action, AuditEventId, Target, TenantId};
use uuid::Uuid;

#[derive(Debug, Clone, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = audit_events, check_for_backend(diesel::pg::Pg))]
pub struct AuditEvent {
    pub id: AuditEventId,
    pub tenant_id: TenantId,
    /// The user, or the API key, who acted.
    pub actor_id: Option<Uuid>,
    pub action: Action,
    pub target: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub details: serde_json::Value,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// One audit record, written in the unit of work whose change it records, so both commit
/// or neither does. The id and the tenant come from the write.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = audit_events)]
pub struct AuditRecord {
    pub actor_id: Option<Uuid>,
    pub action: Action,
    #[diesel(serialize_as = String)]
    pub target: Target,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// An object; `null` is stored as `{}`.
    pub details: serde_json::Value,
}

pub async fn record(tx: &TenantTx, mut event: AuditRecord) -> Result<(), PersistenceError> {
    if event.details.is_null() {
        event.details = serde_json::json!({});
    }
    diesel::insert_into(audit_events::table)
        .values((
            audit_events::id.eq(AuditEventId::new()),
            audit_events::tenant_id.eq(tx.tenant()),
            event,
        ))
        .execute(&mut tx.conn())
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub action: Option<Action>,
    pub actor_id: Option<Uuid>,
    pub since: Option<chrono::DateTime<chrono::Utc>>,
}

/// Newest first; `before` is the id the previous page ended at.
pub async fn list(
    tx: &TenantTx,
    filter: &AuditFilter,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<crate::models::AuditEvent>, PersistenceError> {
    use diesel::{ExpressionMethods, QueryDsl, SelectableHelper};
    let mut query = audit_events::table
        .filter(audit_events::tenant_id.eq(tx.tenant()))
        .into_boxed();
    if let Some(action) = &filter.action {
        query = query.filter(audit_events::action.eq(action.as_str()));
    }
    if let Some(actor) = filter.actor_id {
        query = query.filter(audit_events::actor_id.eq(actor));
    }
    if let Some(since) = filter.since {
        query = query.filter(audit_events::created_at.ge(since));
    }
    if let Some(before) = before {
        query = query.filter(audit_events::id.lt(before));
    }
    Ok(query
        .order(audit_events::id.desc())
        .limit(limit)
        .select(crate::models::AuditEvent::as_select())
        .load(&mut tx.conn())
        .await?)
}
