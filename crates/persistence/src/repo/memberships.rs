use crate::PersistenceError;
use crate::models::{Membership, NewMembership, Role, Tenant};
use crate::schema::{membership_roles, memberships, roles, tenants};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::{MembershipStatus, RoleId, ScopeSet, TenantId, TenantStatus, UserId};
use std::collections::BTreeMap;
use uuid::Uuid;

/// What one user may do in one tenant: the read model behind token grants.
#[derive(Debug, Clone)]
pub struct Grant {
    pub tenant: Tenant,
    pub membership: Membership,
    pub roles: Vec<Role>,
}

impl Grant {
    /// The union of the membership's role permissions.
    pub fn permissions(&self) -> ScopeSet {
        self.roles
            .iter()
            .map(|r| ScopeSet::parse_names(&r.permissions).unwrap_or_default())
            .fold(ScopeSet::EMPTY, ScopeSet::union)
    }

    /// Active membership in an active tenant.
    pub fn is_usable(&self) -> bool {
        MembershipStatus::parse(&self.membership.status) == Some(MembershipStatus::Active)
            && TenantStatus::parse(&self.tenant.status) == Some(TenantStatus::Active)
    }
}

pub async fn insert(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    user: UserId,
    role_ids: &[RoleId],
) -> Result<(), PersistenceError> {
    diesel::insert_into(memberships::table)
        .values(NewMembership {
            tenant_id: tenant.0,
            user_id: user.0,
        })
        .execute(conn)
        .await?;
    let rows: Vec<_> = role_ids
        .iter()
        .map(|role| {
            (
                membership_roles::tenant_id.eq(tenant.0),
                membership_roles::user_id.eq(user.0),
                membership_roles::role_id.eq(role.0),
            )
        })
        .collect();
    diesel::insert_into(membership_roles::table)
        .values(&rows)
        .execute(conn)
        .await?;
    Ok(())
}

/// Every membership of `user` that the unit of work can see, with tenant and roles. In an
/// `as_user` unit of work: all of the user's tenants; in a tenant's: that one.
pub async fn grants_of_user(
    conn: &mut AsyncPgConnection,
    user: UserId,
) -> Result<Vec<Grant>, PersistenceError> {
    let rows: Vec<(Membership, Tenant)> = memberships::table
        .inner_join(tenants::table)
        .filter(memberships::user_id.eq(user.0))
        .order(tenants::slug.asc())
        .select((Membership::as_select(), Tenant::as_select()))
        .load(conn)
        .await?;
    let role_rows: Vec<(Uuid, Role)> = membership_roles::table
        .inner_join(roles::table)
        .filter(membership_roles::user_id.eq(user.0))
        .order(roles::name.asc())
        .select((membership_roles::tenant_id, Role::as_select()))
        .load(conn)
        .await?;
    let mut roles_by_tenant: BTreeMap<Uuid, Vec<Role>> = BTreeMap::new();
    for (tenant_id, role) in role_rows {
        roles_by_tenant.entry(tenant_id).or_default().push(role);
    }
    Ok(rows
        .into_iter()
        .map(|(membership, tenant)| Grant {
            roles: roles_by_tenant.remove(&tenant.id).unwrap_or_default(),
            tenant,
            membership,
        })
        .collect())
}
