//! One-time tokens sent by email (SPEC §12), kept only as their SHA-256.

use crate::schema::{email_tokens, users};
use crate::{PersistenceError, Tx};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use domain::UserId;

pub async fn insert(
    tx: &Tx,
    token_hash: &str,
    user: UserId,
    purpose: &str,
    email: &str,
    expires_at: DateTime<Utc>,
) -> Result<(), PersistenceError> {
    diesel::insert_into(email_tokens::table)
        .values((
            email_tokens::token_hash.eq(token_hash),
            email_tokens::user_id.eq(user.0),
            email_tokens::purpose.eq(purpose),
            email_tokens::email.eq(email),
            email_tokens::expires_at.eq(expires_at),
        ))
        .execute(&mut tx.conn())
        .await?;
    Ok(())
}

/// Spends a live, unused token of `purpose`: the user it was for and the address it
/// proves. `None` for an unknown, used or expired token; racing presentations get it once.
pub async fn consume(
    tx: &Tx,
    token_hash: &str,
    purpose: &str,
) -> Result<Option<(UserId, String)>, PersistenceError> {
    let spent: Option<(uuid::Uuid, String)> = diesel::update(
        email_tokens::table
            .filter(email_tokens::token_hash.eq(token_hash))
            .filter(email_tokens::purpose.eq(purpose))
            .filter(email_tokens::used_at.is_null())
            .filter(email_tokens::expires_at.gt(diesel::dsl::now)),
    )
    .set(email_tokens::used_at.eq(diesel::dsl::now))
    .returning((email_tokens::user_id, email_tokens::email))
    .get_result(&mut tx.conn())
    .await
    .optional()?;
    Ok(spent.map(|(user, email)| (UserId(user), email)))
}

/// Marks `user`'s address verified, if it is still `email`: a token for an address the
/// user has since left proves nothing. Whether it did.
pub async fn verify_address(tx: &Tx, user: UserId, email: &str) -> Result<bool, PersistenceError> {
    let rows = diesel::update(
        users::table
            .filter(users::id.eq(user))
            .filter(users::email.eq(email)),
    )
    .set(users::email_verified_at.eq(Some(Utc::now())))
    .execute(&mut tx.conn())
    .await?;
    Ok(rows == 1)
}
