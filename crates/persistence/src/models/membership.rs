use crate::schema::memberships;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use domain::{MembershipStatus, TenantId, UserId};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = memberships, check_for_backend(diesel::pg::Pg))]
pub struct Membership {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub status: MembershipStatus,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = memberships)]
pub struct NewMembership {
    pub tenant_id: TenantId,
    pub user_id: UserId,
}
