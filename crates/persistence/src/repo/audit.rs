use crate::schema::audit_events;
use crate::{PersistenceError, TenantTx};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use domain::{Action, AuditEventId, Target, TenantId};
use uuid::Uuid;

#[derive(Debug, Insertable)]
#[diesel(table_name = audit_events)]
pub struct NewAuditEvent {
    pub id: AuditEventId,
    pub tenant_id: TenantId,
    pub actor_id: Option<Uuid>,
    pub action: Action,
    pub target: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub details: serde_json::Value,
}

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

/// One audit record, written on the connection of the unit of work whose change it
/// records, so both commit or neither does.
#[derive(Debug, Clone)]
pub struct AuditRecord {
    pub actor_id: Option<Uuid>,
    pub action: Action,
    pub target: Option<Target>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub details: serde_json::Value,
}

pub async fn record(tx: &TenantTx, event: AuditRecord) -> Result<(), PersistenceError> {
    diesel::insert_into(audit_events::table)
        .values(NewAuditEvent {
            id: AuditEventId::new(),
            tenant_id: tx.tenant(),
            actor_id: event.actor_id,
            action: event.action,
            target: event.target.map(|t| t.to_string()),
            ip: event.ip,
            user_agent: event.user_agent,
            details: if event.details.is_null() {
                serde_json::json!({})
            } else {
                event.details
            },
        })
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
