use crate::schema::users;
use crate::{PersistenceError, Tx};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use domain::{DisplayName, Email, UserId, UserStatus};
use std::fmt;

#[derive(Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub status: UserStatus,
    pub is_platform_admin: bool,
    pub created_at: DateTime<Utc>,
    pub password_changed_at: DateTime<Utc>,
    /// When the address was proven (SPEC §12); `None`: not yet.
    pub email_verified_at: Option<DateTime<Utc>>,
}

// The hash never reaches a log line.
impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

#[derive(Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub id: UserId,
    pub email: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub is_platform_admin: bool,
}

pub async fn insert(
    tx: &Tx,
    id: UserId,
    email: &Email,
    display_name: &DisplayName,
    password_hash: &str,
    is_platform_admin: bool,
) -> Result<User, PersistenceError> {
    Ok(diesel::insert_into(users::table)
        .values(NewUser {
            id,
            email: email.as_str(),
            display_name: display_name.as_str(),
            password_hash,
            is_platform_admin,
        })
        .returning(User::as_returning())
        .get_result(&mut tx.conn())
        .await?)
}

pub async fn find(tx: &Tx, id: UserId) -> Result<Option<User>, PersistenceError> {
    Ok(users::table
        .find(id.0)
        .select(User::as_select())
        .first(&mut tx.conn())
        .await
        .optional()?)
}

pub async fn find_by_email(tx: &Tx, email: &Email) -> Result<Option<User>, PersistenceError> {
    Ok(users::table
        .filter(users::email.eq(email.as_str()))
        .select(User::as_select())
        .first(&mut tx.conn())
        .await
        .optional()?)
}

/// Stores a re-hash of the same password (newer argon2 parameters): not a password change.
pub async fn upgrade_password_hash(
    tx: &Tx,
    id: UserId,
    hash: &str,
) -> Result<(), PersistenceError> {
    diesel::update(users::table.find(id.0))
        .set(users::password_hash.eq(hash))
        .execute(&mut tx.conn())
        .await?;
    Ok(())
}

/// A new password: stamps `password_changed_at`.
pub async fn change_password(tx: &Tx, id: UserId, hash: &str) -> Result<(), PersistenceError> {
    diesel::update(users::table.find(id.0))
        .set((
            users::password_hash.eq(hash),
            users::password_changed_at.eq(Utc::now()),
        ))
        .execute(&mut tx.conn())
        .await?;
    Ok(())
}

pub async fn update_display_name(
    tx: &Tx,
    id: UserId,
    display_name: &DisplayName,
) -> Result<User, PersistenceError> {
    Ok(diesel::update(users::table.find(id.0))
        .set(users::display_name.eq(display_name.as_str()))
        .returning(User::as_returning())
        .get_result(&mut tx.conn())
        .await?)
}

pub async fn set_platform_admin(tx: &Tx, id: UserId, admin: bool) -> Result<(), PersistenceError> {
    diesel::update(users::table.find(id.0))
        .set(users::is_platform_admin.eq(admin))
        .execute(&mut tx.conn())
        .await?;
    Ok(())
}

pub async fn set_status(
    tx: &Tx,
    id: UserId,
    status: domain::UserStatus,
) -> Result<(), PersistenceError> {
    diesel::update(users::table.find(id.0))
        .set(users::status.eq(status.as_str()))
        .execute(&mut tx.conn())
        .await?;
    Ok(())
}
