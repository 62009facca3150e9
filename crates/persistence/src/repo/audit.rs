use crate::PersistenceError;
use crate::models::NewAuditEvent;
use crate::schema::audit_events;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::TenantId;
use uuid::Uuid;

/// One audit record, written on the connection of the unit of work whose change it
/// records, so both commit or neither does.
#[derive(Debug, Clone, Default)]
pub struct AuditRecord {
    pub actor_id: Option<Uuid>,
    pub action: &'static str,
    pub target: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub details: serde_json::Value,
}

pub async fn record(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    event: AuditRecord,
) -> Result<(), PersistenceError> {
    diesel::insert_into(audit_events::table)
        .values(NewAuditEvent {
            id: Uuid::now_v7(),
            tenant_id: tenant.0,
            actor_id: event.actor_id,
            action: event.action.to_owned(),
            target: event.target,
            ip: event.ip,
            user_agent: event.user_agent,
            details: if event.details.is_null() {
                serde_json::json!({})
            } else {
                event.details
            },
        })
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub actor_id: Option<Uuid>,
    pub since: Option<chrono::DateTime<chrono::Utc>>,
}

/// Newest first; `before` is the id the previous page ended at.
pub async fn list(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    filter: &AuditFilter,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<crate::models::AuditEvent>, PersistenceError> {
    use diesel::{ExpressionMethods, QueryDsl, SelectableHelper};
    let mut query = audit_events::table
        .filter(audit_events::tenant_id.eq(tenant.0))
        .into_boxed();
    if let Some(action) = &filter.action {
        query = query.filter(audit_events::action.eq(action.clone()));
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
        .load(conn)
        .await?)
}
