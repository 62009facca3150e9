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

/// A spent token: whom it was for, the address it was sent to, and when it was made.
pub struct Spent {
    pub user: UserId,
    pub email: String,
    pub created_at: DateTime<Utc>,
}

/// Spends a live, unused token of `purpose`. `None` for an unknown, used or expired
/// token; racing presentations get it once.
pub async fn consume(
    tx: &Tx,
    token_hash: &str,
    purpose: &str,
) -> Result<Option<Spent>, PersistenceError> {
    let spent: Option<(uuid::Uuid, String, DateTime<Utc>)> = diesel::update(
        email_tokens::table
            .filter(email_tokens::token_hash.eq(token_hash))
            .filter(email_tokens::purpose.eq(purpose))
            .filter(email_tokens::used_at.is_null())
            .filter(email_tokens::expires_at.gt(diesel::dsl::now)),
    )
    .set(email_tokens::used_at.eq(diesel::dsl::now))
    .returning((
        email_tokens::user_id,
        email_tokens::email,
        email_tokens::created_at,
    ))
    .get_result(&mut tx.conn())
    .await
    .optional()?;
    Ok(spent.map(|(user, email, created_at)| Spent {
        user: UserId(user),
        email,
        created_at,
    }))
}

/// Voids `user`'s unused tokens of `purpose` (a newer reset request voids the older).
pub async fn void_unused(tx: &Tx, user: UserId, purpose: &str) -> Result<(), PersistenceError> {
    diesel::delete(
        email_tokens::table
            .filter(email_tokens::user_id.eq(user.0))
            .filter(email_tokens::purpose.eq(purpose))
            .filter(email_tokens::used_at.is_null()),
    )
    .execute(&mut tx.conn())
    .await?;
    Ok(())
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
