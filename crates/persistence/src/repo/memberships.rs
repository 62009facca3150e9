use crate::repo::roles::Role;
use crate::repo::tenants::Tenant;
use crate::schema::{membership_roles, memberships, roles, tenants};
use crate::{PersistenceError, TenantTx, Tx};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use domain::{MembershipStatus, RoleId, TenantId, UserId};
use std::collections::BTreeMap;
use uuid::Uuid;

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

/// What one user may do in one tenant: the read model behind token grants.
#[derive(Debug, Clone)]
pub struct Grant {
    pub tenant: Tenant,
    pub membership: Membership,
    pub roles: Vec<Role>,
}

pub async fn insert(
    tx: &TenantTx,
    user: UserId,
    role_ids: &[RoleId],
) -> Result<(), PersistenceError> {
    diesel::insert_into(memberships::table)
        .values(NewMembership {
            tenant_id: tx.tenant(),
            user_id: user,
        })
        .execute(&mut tx.conn())
        .await?;
    grant_roles(tx, user, role_ids).await
}

/// Every membership of `user` that the unit of work can see, with tenant and roles. In an
/// `as_user` unit of work: all of the user's tenants; in a tenant's: that one.
pub async fn grants_of_user(tx: &Tx, user: UserId) -> Result<Vec<Grant>, PersistenceError> {
    // Independent statements: sent together (pipelined), answered in order.
    let (mut a, mut b) = (tx.conn(), tx.conn());
    let (rows, role_rows) = futures_util::future::try_join(
        memberships::table
            .inner_join(tenants::table)
            .filter(memberships::user_id.eq(user.0))
            .order(tenants::slug.asc())
            .select((Membership::as_select(), Tenant::as_select()))
            .load::<(Membership, Tenant)>(&mut a),
        membership_roles::table
            .inner_join(roles::table)
            .filter(membership_roles::user_id.eq(user.0))
            .order(roles::name.asc())
            .select((membership_roles::tenant_id, Role::as_select()))
            .load::<(Uuid, Role)>(&mut b),
    )
    .await?;
    let mut roles_by_tenant: BTreeMap<Uuid, Vec<Role>> = BTreeMap::new();
    for (tenant_id, role) in role_rows {
        roles_by_tenant.entry(tenant_id).or_default().push(role);
    }
    Ok(rows
        .into_iter()
        .map(|(membership, tenant)| Grant {
            roles: roles_by_tenant.remove(&tenant.id.0).unwrap_or_default(),
            tenant,
            membership,
        })
        .collect())
}

/// A member of a tenant as an admin sees it.
#[derive(Debug, Clone)]
pub struct Member {
    pub membership: Membership,
    pub user: crate::models::User,
    pub roles: Vec<Role>,
}

async fn with_roles(
    tx: &TenantTx,
    rows: Vec<(Membership, crate::models::User)>,
) -> Result<Vec<Member>, PersistenceError> {
    let ids: Vec<UserId> = rows.iter().map(|(m, _)| m.user_id).collect();
    let role_rows: Vec<(Uuid, Role)> = membership_roles::table
        .inner_join(roles::table)
        .filter(membership_roles::tenant_id.eq(tx.tenant()))
        .filter(membership_roles::user_id.eq_any(&ids))
        .order(roles::name.asc())
        .select((membership_roles::user_id, Role::as_select()))
        .load(&mut tx.conn())
        .await?;
    let mut by_user: BTreeMap<Uuid, Vec<Role>> = BTreeMap::new();
    for (user, role) in role_rows {
        by_user.entry(user).or_default().push(role);
    }
    Ok(rows
        .into_iter()
        .map(|(membership, user)| Member {
            roles: by_user.remove(&user.id.0).unwrap_or_default(),
            membership,
            user,
        })
        .collect())
}

pub async fn list_members(
    tx: &TenantTx,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Member>, PersistenceError> {
    use crate::schema::users;
    let mut query = memberships::table
        .inner_join(users::table)
        .filter(memberships::tenant_id.eq(tx.tenant()))
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(memberships::user_id.gt(after));
    }
    let rows = query
        .order(memberships::user_id.asc())
        .limit(limit)
        .select((Membership::as_select(), crate::models::User::as_select()))
        .load(&mut tx.conn())
        .await?;
    with_roles(tx, rows).await
}

pub async fn find_member(tx: &TenantTx, user: UserId) -> Result<Option<Member>, PersistenceError> {
    use crate::schema::users;
    let rows = memberships::table
        .inner_join(users::table)
        .filter(memberships::tenant_id.eq(tx.tenant()))
        .filter(memberships::user_id.eq(user.0))
        .select((Membership::as_select(), crate::models::User::as_select()))
        .load(&mut tx.conn())
        .await?;
    Ok(with_roles(tx, rows).await?.pop())
}

pub async fn set_status(
    tx: &TenantTx,
    user: UserId,
    status: MembershipStatus,
) -> Result<(), PersistenceError> {
    diesel::update(
        memberships::table
            .filter(memberships::tenant_id.eq(tx.tenant()))
            .filter(memberships::user_id.eq(user.0)),
    )
    .set(memberships::status.eq(status.as_str()))
    .execute(&mut tx.conn())
    .await?;
    Ok(())
}

pub async fn delete(tx: &TenantTx, user: UserId) -> Result<(), PersistenceError> {
    diesel::delete(
        memberships::table
            .filter(memberships::tenant_id.eq(tx.tenant()))
            .filter(memberships::user_id.eq(user.0)),
    )
    .execute(&mut tx.conn())
    .await?;
    Ok(())
}

pub async fn set_roles(
    tx: &TenantTx,
    user: UserId,
    role_ids: &[RoleId],
) -> Result<(), PersistenceError> {
    diesel::delete(
        membership_roles::table
            .filter(membership_roles::tenant_id.eq(tx.tenant()))
            .filter(membership_roles::user_id.eq(user.0)),
    )
    .execute(&mut tx.conn())
    .await?;
    grant_roles(tx, user, role_ids).await
}

/// Active members holding the built-in `owner` role, locked until the transaction ends
/// so that two concurrent demotions cannot both see "another owner remains".
pub async fn active_owners(tx: &TenantTx) -> Result<Vec<UserId>, PersistenceError> {
    let owners: Vec<Uuid> = memberships::table
        .inner_join(
            membership_roles::table.on(membership_roles::tenant_id
                .eq(memberships::tenant_id)
                .and(membership_roles::user_id.eq(memberships::user_id))),
        )
        .inner_join(roles::table.on(roles::id.eq(membership_roles::role_id)))
        .filter(memberships::tenant_id.eq(tx.tenant()))
        .filter(memberships::status.eq(MembershipStatus::Active.as_str()))
        .filter(roles::builtin.eq(true))
        .filter(roles::name.eq(domain::BuiltinRole::Owner.name()))
        .select(memberships::user_id)
        .for_update()
        .load(&mut tx.conn())
        .await?;
    Ok(owners.into_iter().map(UserId).collect())
}

/// Adds roles to a membership.
async fn grant_roles(
    tx: &TenantTx,
    user: UserId,
    role_ids: &[RoleId],
) -> Result<(), PersistenceError> {
    let rows: Vec<_> = role_ids
        .iter()
        .map(|role| {
            (
                membership_roles::tenant_id.eq(tx.tenant()),
                membership_roles::user_id.eq(user.0),
                membership_roles::role_id.eq(role.0),
            )
        })
        .collect();
    diesel::insert_into(membership_roles::table)
        .values(&rows)
        .execute(&mut tx.conn())
        .await?;
    Ok(())
}
