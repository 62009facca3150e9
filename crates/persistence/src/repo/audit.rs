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
