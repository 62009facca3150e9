use crate::schema::invitations;
use crate::{PersistenceError, TenantTx};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use domain::{Email, InvitationId, RoleId, TenantId, UserId};
use uuid::Uuid;

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

/// An invitation of `email` into the tenant, with `roles`, open until `expires_at`.
pub async fn insert(
    tx: &TenantTx,
    email: &Email,
    roles: &[RoleId],
    token_hash: String,
    expires_at: DateTime<Utc>,
    created_by: UserId,
) -> Result<Invitation, PersistenceError> {
    Ok(diesel::insert_into(invitations::table)
        .values(NewInvitation {
            id: InvitationId::new(),
            tenant_id: tx.tenant(),
            email: email.as_str(),
            role_ids: roles.to_vec(),
            token_hash,
            expires_at,
            created_by: Some(created_by),
        })
        .returning(Invitation::as_returning())
        .get_result(&mut tx.conn())
        .await?)
}

/// Open invitations (not accepted), oldest first.
pub async fn list_open(
    tx: &TenantTx,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Invitation>, PersistenceError> {
    let mut query = invitations::table
        .filter(invitations::tenant_id.eq(tx.tenant()))
        .filter(invitations::accepted_at.is_null())
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(invitations::id.gt(after));
    }
    Ok(query
        .order(invitations::id.asc())
        .limit(limit)
        .select(Invitation::as_select())
        .load(&mut tx.conn())
        .await?)
}

/// Deletes an open invitation; `NotFound` if there was none (or it was accepted).
pub async fn delete_open(tx: &TenantTx, id: InvitationId) -> Result<(), PersistenceError> {
    let deleted = diesel::delete(
        invitations::table
            .filter(invitations::tenant_id.eq(tx.tenant()))
            .filter(invitations::id.eq(id.0))
            .filter(invitations::accepted_at.is_null()),
    )
    .execute(&mut tx.conn())
    .await?;
    crate::repo::exactly_one(deleted)
}

/// Deletes the open invitations `creator` made in `tenant`; how many.
pub async fn delete_open_created_by(
    tx: &TenantTx,
    creator: UserId,
) -> Result<usize, PersistenceError> {
    Ok(diesel::delete(
        invitations::table
            .filter(invitations::tenant_id.eq(tx.tenant()))
            .filter(invitations::created_by.eq(creator.0))
            .filter(invitations::accepted_at.is_null()),
    )
    .execute(&mut tx.conn())
    .await?)
}

/// Claims the open, unexpired invitation with this token hash: single use, even under
/// concurrent accepts (the UPDATE's row lock decides).
pub async fn claim(
    tx: &TenantTx,
    token_hash: &str,
    user: UserId,
) -> Result<Option<Invitation>, PersistenceError> {
    Ok(diesel::update(
        invitations::table
            .filter(invitations::tenant_id.eq(tx.tenant()))
            .filter(invitations::token_hash.eq(token_hash))
            .filter(invitations::accepted_at.is_null())
            .filter(invitations::expires_at.gt(Utc::now())),
    )
    .set((
        invitations::accepted_at.eq(Utc::now()),
        invitations::accepted_by.eq(user.0),
    ))
    .returning(Invitation::as_returning())
    .get_result(&mut tx.conn())
    .await
    .optional()?)
}

pub async fn find_by_hash(
    tx: &TenantTx,
    token_hash: &str,
) -> Result<Option<Invitation>, PersistenceError> {
    Ok(invitations::table
        .filter(invitations::tenant_id.eq(tx.tenant()))
        .filter(invitations::token_hash.eq(token_hash))
        .select(Invitation::as_select())
        .first(&mut tx.conn())
        .await
        .optional()?)
}
