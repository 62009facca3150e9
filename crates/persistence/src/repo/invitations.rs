use crate::PersistenceError;
use crate::models::{Invitation, NewInvitation};
use crate::schema::invitations;
use chrono::Utc;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::{TenantId, UserId};
use uuid::Uuid;

pub async fn insert(
    conn: &mut AsyncPgConnection,
    invitation: NewInvitation<'_>,
) -> Result<Invitation, PersistenceError> {
    Ok(diesel::insert_into(invitations::table)
        .values(invitation)
        .returning(Invitation::as_returning())
        .get_result(conn)
        .await?)
}

/// Open invitations (not accepted), oldest first.
pub async fn list_open(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Invitation>, PersistenceError> {
    let mut query = invitations::table
        .filter(invitations::tenant_id.eq(tenant.0))
        .filter(invitations::accepted_at.is_null())
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(invitations::id.gt(after));
    }
    Ok(query
        .order(invitations::id.asc())
        .limit(limit)
        .select(Invitation::as_select())
        .load(conn)
        .await?)
}

pub async fn delete_open(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<bool, PersistenceError> {
    let deleted = diesel::delete(
        invitations::table
            .filter(invitations::tenant_id.eq(tenant.0))
            .filter(invitations::id.eq(id))
            .filter(invitations::accepted_at.is_null()),
    )
    .execute(conn)
    .await?;
    Ok(deleted > 0)
}

/// Deletes the open invitations `creator` made in `tenant`; how many.
pub async fn delete_open_created_by(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    creator: UserId,
) -> Result<usize, PersistenceError> {
    Ok(diesel::delete(
        invitations::table
            .filter(invitations::tenant_id.eq(tenant.0))
            .filter(invitations::created_by.eq(creator.0))
            .filter(invitations::accepted_at.is_null()),
    )
    .execute(conn)
    .await?)
}

/// Claims the open, unexpired invitation with this token hash: single use, even under
/// concurrent accepts (the UPDATE's row lock decides).
pub async fn claim(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    token_hash: &str,
    user: Uuid,
) -> Result<Option<Invitation>, PersistenceError> {
    Ok(diesel::update(
        invitations::table
            .filter(invitations::tenant_id.eq(tenant.0))
            .filter(invitations::token_hash.eq(token_hash))
            .filter(invitations::accepted_at.is_null())
            .filter(invitations::expires_at.gt(Utc::now())),
    )
    .set((
        invitations::accepted_at.eq(Utc::now()),
        invitations::accepted_by.eq(user),
    ))
    .returning(Invitation::as_returning())
    .get_result(conn)
    .await
    .optional()?)
}

pub async fn find_by_hash(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    token_hash: &str,
) -> Result<Option<Invitation>, PersistenceError> {
    Ok(invitations::table
        .filter(invitations::tenant_id.eq(tenant.0))
        .filter(invitations::token_hash.eq(token_hash))
        .select(Invitation::as_select())
        .first(conn)
        .await
        .optional()?)
}
