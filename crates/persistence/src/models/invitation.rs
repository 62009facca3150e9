use crate::schema::invitations;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use domain::{InvitationId, RoleId, TenantId, UserId};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = invitations, check_for_backend(diesel::pg::Pg))]
pub struct Invitation {
    pub id: InvitationId,
    pub tenant_id: TenantId,
    pub email: String,
    pub role_ids: Vec<RoleId>,
    #[diesel(column_name = token_hash)]
    pub token_hash: String,
    pub expires_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub accepted_by: Option<UserId>,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = invitations)]
pub struct NewInvitation<'a> {
    pub id: InvitationId,
    pub tenant_id: TenantId,
    pub email: &'a str,
    pub role_ids: Vec<RoleId>,
    pub token_hash: String,
    pub expires_at: DateTime<Utc>,
    pub created_by: Option<UserId>,
}
