//! Building audit records for changes made through the API.

use crate::guards::TenantContext;
use crate::handlers::client::ClientInfo;
use persistence::repo::audit::AuditRecord;

/// An audit record of `ctx`'s actor doing `action` to `target`.
pub fn by(
    ctx: &TenantContext,
    client: &ClientInfo,
    action: &'static str,
    target: String,
    details: serde_json::Value,
) -> AuditRecord {
    AuditRecord {
        actor_id: Some(ctx.actor),
        action,
        target: Some(target),
        ip: client.ip_string(),
        user_agent: client.user_agent.clone(),
        details,
    }
}
