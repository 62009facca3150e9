use crate::schema::audit_events;
use diesel::prelude::*;
use domain::{Action, AuditEventId, TenantId};
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
