use crate::error::{ApiError, Problem};
use crate::handlers::page::{Page, PageQuery};
use crate::work::TenantWork;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use domain::{Action, AuditEventId, TenantId};
use persistence::models::AuditEvent;
use persistence::repo::audit::{self, AuditFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "01930000-0000-7000-8000-0000000000d1", "tenant_id": "01930000-0000-7000-8000-000000000001", "actor_id": "01930000-0000-7000-8000-000000000002", "action": "role.updated", "target": "role:01930000-0000-7000-8000-0000000000c1", "ip": "203.0.113.7", "user_agent": "curl/8", "details": {"permissions": ["tenant:read"]}, "created_at": "2026-11-22T12:00:00Z"}))]
pub struct AuditEventResponse {
    pub id: AuditEventId,
    /// The tenant the event belongs to.
    pub tenant_id: TenantId,
    /// The user (or API key) that acted.
    pub actor_id: Option<Uuid>,
    /// e.g. `member.invited`, `role.updated`, `login.succeeded`, `session.revoked`
    #[schema(value_type = domain::Action)]
    pub action: String,
    pub target: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub details: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

impl From<AuditEvent> for AuditEventResponse {
    fn from(e: AuditEvent) -> Self {
        Self {
            id: e.id,
            tenant_id: e.tenant_id,
            actor_id: e.actor_id,
            action: e.action.to_string(),
            target: e.target,
            ip: e.ip,
            user_agent: e.user_agent,
            details: e.details,
            created_at: e.created_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only this action, e.g. `login.failed`.
    #[param(value_type = Option<domain::Action>)]
    pub action: Option<String>,
    /// Only this actor.
    pub actor_id: Option<Uuid>,
    /// Only events at or after this time (RFC 3339).
    pub since: Option<DateTime<Utc>>,
}

/// The tenant's audit log, newest first.
///
/// Requires `audit:read`; API keys may call it. The filters combine: `action` (an action
/// name such as `member.invited`; an unknown name is 400), `actor_id` (a user or API key
/// id) and `since` (inclusive). Cursor-paginated.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/audit-events", tag = "audit", operation_id = "list_audit_events",
    params(("tenant_id" = Uuid, Path), AuditQuery, PageQuery),
    responses(
        (status = 200, description = "Events, newest first", body = Page<AuditEventResponse>),
        (status = 400, description = "Malformed filter", body = Problem),
    ))]
pub async fn list_audit_events(
    work: TenantWork,
    filter: web::Query<AuditQuery>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (limit, before) = (page.limit()?, page.after_id()?);
    let action = filter.action.as_deref().map(parse_action).transpose()?;
    let filter = AuditFilter {
        action,
        actor_id: filter.actor_id,
        since: filter.since,
    };
    let rows = audit::list(&work.tx, &filter, before, limit as i64 + 1).await?;
    // Newest first: the cursor is the last (oldest) id shown, and the next page goes below it.
    Ok(HttpResponse::Ok().json(Page::from_rows(
        rows,
        limit,
        |e| e.id,
        AuditEventResponse::from,
    )))
}

/// An action of the catalog (`domain::Action`); anything else names no event.
fn parse_action(name: &str) -> Result<Action, ApiError> {
    Action::parse(name)
        .ok_or_else(|| ApiError::BadRequest(format!("unknown audit action `{name}`")))
}
