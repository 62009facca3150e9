//! OAuth clients (SPEC §11): platform-wide rows, read and written in a global unit of work.

use crate::schema::oauth_clients;
use crate::{PersistenceError, Tx};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use domain::{ClientType, RefreshDelivery};
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = oauth_clients, check_for_backend(diesel::pg::Pg))]
pub struct OAuthClient {
    pub id: Uuid,
    pub client_id: String,
    pub name: String,
    pub client_type: ClientType,
    pub secret_hash: Option<String>,
    pub redirect_uris: Vec<String>,
    pub allowed_origins: Vec<String>,
    pub refresh_delivery: RefreshDelivery,
    pub first_party: bool,
    pub post_logout_redirect_uris: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = oauth_clients)]
pub struct NewOAuthClient<'a> {
    pub id: Uuid,
    pub client_id: &'a str,
    pub name: &'a str,
    pub client_type: ClientType,
    pub secret_hash: Option<&'a str>,
    pub redirect_uris: &'a [String],
    pub allowed_origins: &'a [String],
    pub refresh_delivery: RefreshDelivery,
    pub first_party: bool,
    pub post_logout_redirect_uris: &'a [String],
}

/// What an update may change; `None` leaves a column as it is. The type and the secret
/// are fixed at creation (a client that changes kind is a new client).
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = oauth_clients)]
pub struct OAuthClientChanges {
    pub name: Option<String>,
    pub redirect_uris: Option<Vec<String>>,
    pub allowed_origins: Option<Vec<String>>,
    pub refresh_delivery: Option<RefreshDelivery>,
    pub first_party: Option<bool>,
    pub post_logout_redirect_uris: Option<Vec<String>>,
}

pub async fn insert(tx: &Tx, new: &NewOAuthClient<'_>) -> Result<OAuthClient, PersistenceError> {
    Ok(diesel::insert_into(oauth_clients::table)
        .values(new)
        .returning(OAuthClient::as_returning())
        .get_result(&mut tx.conn())
        .await?)
}

/// Registers `new` unless a client with its `client_id` exists (the seed's registrations):
/// `None` when one did.
pub async fn insert_if_absent(
    tx: &Tx,
    new: &NewOAuthClient<'_>,
) -> Result<Option<OAuthClient>, PersistenceError> {
    Ok(diesel::insert_into(oauth_clients::table)
        .values(new)
        .on_conflict(oauth_clients::client_id)
        .do_nothing()
        .returning(OAuthClient::as_returning())
        .get_result(&mut tx.conn())
        .await
        .optional()?)
}

/// Oldest first, after the client whose row id is `after`.
pub async fn list(
    tx: &Tx,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<OAuthClient>, PersistenceError> {
    let mut query = oauth_clients::table
        .select(OAuthClient::as_select())
        .order(oauth_clients::id)
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(oauth_clients::id.gt(after));
    }
    Ok(query.load(&mut tx.conn()).await?)
}

pub async fn find(tx: &Tx, client_id: &str) -> Result<Option<OAuthClient>, PersistenceError> {
    Ok(oauth_clients::table
        .filter(oauth_clients::client_id.eq(client_id))
        .select(OAuthClient::as_select())
        .first(&mut tx.conn())
        .await
        .optional()?)
}

/// `NotFound` when no such client. With nothing to change it only reads the client back.
pub async fn update(
    tx: &Tx,
    client_id: &str,
    changes: &OAuthClientChanges,
) -> Result<OAuthClient, PersistenceError> {
    let target = oauth_clients::table.filter(oauth_clients::client_id.eq(client_id));
    let updated = diesel::update(target)
        .set((changes, oauth_clients::updated_at.eq(diesel::dsl::now)))
        .returning(OAuthClient::as_returning())
        .get_result(&mut tx.conn())
        .await
        .optional()?;
    updated.ok_or(PersistenceError::NotFound)
}

pub async fn delete(tx: &Tx, client_id: &str) -> Result<(), PersistenceError> {
    let target = oauth_clients::table.filter(oauth_clients::client_id.eq(client_id));
    super::exactly_one(diesel::delete(target).execute(&mut tx.conn()).await?)
}

/// Every origin any client registered (CORS on `/oauth/*`).
pub async fn all_origins(tx: &Tx) -> Result<Vec<String>, PersistenceError> {
    let lists: Vec<Vec<String>> = oauth_clients::table
        .select(oauth_clients::allowed_origins)
        .load(&mut tx.conn())
        .await?;
    Ok(lists.into_iter().flatten().collect())
}
