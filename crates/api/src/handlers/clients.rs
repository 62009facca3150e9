//! OAuth clients (SPEC §11), managed by platform operators: the apps that may send users
//! to `/oauth/authorize`, where they may come back to, and how their refresh tokens travel.

use crate::client_registration::{ClientSpec, Registration};
use crate::error::{ApiError, Problem};
use crate::handlers::page::{Page, PageQuery};
use crate::paths::ClientPath;
use crate::state::AppState;
use crate::validate::{self, Valid};
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use domain::{ClientName, ClientType, RefreshDelivery};
use persistence::repo::oauth_clients::{self, OAuthClient, OAuthClientChanges};
use persistence::{Mode, Tx};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

/// A registered client. Its secret, if any, is never shown again after creation.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "client_id": "demo-spa", "name": "Demo SPA", "client_type": "public",
    "redirect_uris": ["http://127.0.0.1:5173/callback"], "allowed_origins": ["http://127.0.0.1:5173"],
    "refresh_delivery": "cookie", "first_party": true, "post_logout_redirect_uris": [],
    "created_at": "2026-12-03T12:00:00Z", "updated_at": "2026-12-03T12:00:00Z"
}))]
pub struct ClientResponse {
    pub client_id: String,
    pub name: String,
    pub client_type: ClientType,
    pub redirect_uris: Vec<String>,
    pub allowed_origins: Vec<String>,
    pub refresh_delivery: RefreshDelivery,
    pub first_party: bool,
    pub post_logout_redirect_uris: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<OAuthClient> for ClientResponse {
    fn from(c: OAuthClient) -> Self {
        Self {
            client_id: c.client_id,
            name: c.name,
            client_type: c.client_type,
            redirect_uris: c.redirect_uris,
            allowed_origins: c.allowed_origins,
            refresh_delivery: c.refresh_delivery,
            first_party: c.first_party,
            post_logout_redirect_uris: c.post_logout_redirect_uris,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// The new client, and — for a confidential client, this once — its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedClientResponse {
    #[serde(flatten)]
    pub client: ClientResponse,
    /// A confidential client's secret (`client_secret_basic` or `client_secret_post`), shown
    /// only here; `null` for a public client.
    pub client_secret: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({
    "client_id": "demo-spa", "name": "Demo SPA", "client_type": "public",
    "redirect_uris": ["http://127.0.0.1:5173/callback"], "allowed_origins": ["http://127.0.0.1:5173"],
    "refresh_delivery": "cookie", "first_party": true
}))]
#[validate(schema(function = "delivery_rule", skip_on_field_errors = false))]
pub struct CreateClientRequest {
    #[schema(value_type = domain::ClientId)]
    #[validate(custom(function = "validate::client_id"))]
    pub client_id: String,
    #[schema(value_type = domain::ClientName)]
    #[validate(custom(function = "validate::client_name"))]
    pub name: String,
    pub client_type: ClientType,
    /// Where `/oauth/authorize` may send the user back: exact matches, https (http only to
    /// 127.0.0.1 or [::1], RFC 8252), no fragment.
    #[schema(min_items = 1, max_items = 10, value_type = Vec<String>)]
    #[validate(
        length(min = 1, max = 10),
        custom(function = "validate::redirect_uris")
    )]
    pub redirect_uris: Vec<String>,
    /// Origins of the client's pages (CORS on `/oauth/*`, the refresh cookie's check).
    #[serde(default)]
    #[schema(max_items = 10, value_type = Vec<String>)]
    #[validate(length(max = 10), custom(function = "validate::origins"))]
    pub allowed_origins: Vec<String>,
    /// `cookie` keeps the refresh token out of JavaScript's reach; it needs
    /// `allowed_origins`. Default `body`.
    #[serde(default = "body")]
    pub refresh_delivery: RefreshDelivery,
    /// A first-party client skips the consent step. Default `false`.
    #[serde(default)]
    pub first_party: bool,
    /// Where `/oauth/logout` may send the user afterwards.
    #[serde(default)]
    #[schema(max_items = 10, value_type = Vec<String>)]
    #[validate(length(max = 10), custom(function = "validate::redirect_uris"))]
    pub post_logout_redirect_uris: Vec<String>,
}

fn body() -> RefreshDelivery {
    RefreshDelivery::Body
}

fn delivery_rule(body: &CreateClientRequest) -> Result<(), validator::ValidationError> {
    validate::delivery(body.refresh_delivery, &body.allowed_origins)
}

impl From<CreateClientRequest> for ClientSpec {
    fn from(body: CreateClientRequest) -> Self {
        Self {
            client_id: body.client_id,
            name: body.name,
            client_type: body.client_type,
            redirect_uris: body.redirect_uris,
            allowed_origins: body.allowed_origins,
            refresh_delivery: body.refresh_delivery,
            first_party: body.first_party,
            post_logout_redirect_uris: body.post_logout_redirect_uris,
        }
    }
}

/// The fields to change; the type and the secret are fixed at creation.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"redirect_uris": ["https://app.example.com/callback"]}))]
pub struct UpdateClientRequest {
    #[schema(value_type = Option<domain::ClientName>)]
    #[validate(custom(function = "validate::client_name"))]
    #[serde(default, deserialize_with = "crate::validate::not_null")]
    pub name: Option<String>,
    #[schema(min_items = 1, max_items = 10, value_type = Option<Vec<String>>)]
    #[validate(
        length(min = 1, max = 10),
        custom(function = "validate::redirect_uris")
    )]
    #[serde(default, deserialize_with = "crate::validate::not_null")]
    pub redirect_uris: Option<Vec<String>>,
    #[schema(max_items = 10, value_type = Option<Vec<String>>)]
    #[validate(length(max = 10), custom(function = "validate::origins"))]
    #[serde(default, deserialize_with = "crate::validate::not_null")]
    pub allowed_origins: Option<Vec<String>>,
    #[serde(default, deserialize_with = "crate::validate::not_null")]
    pub refresh_delivery: Option<RefreshDelivery>,
    #[serde(default, deserialize_with = "crate::validate::not_null")]
    pub first_party: Option<bool>,
    #[schema(max_items = 10, value_type = Option<Vec<String>>)]
    #[validate(length(max = 10), custom(function = "validate::redirect_uris"))]
    #[serde(default, deserialize_with = "crate::validate::not_null")]
    pub post_logout_redirect_uris: Option<Vec<String>>,
}

/// List the OAuth clients.
///
/// Requires `platform:admin` in a user's token; API keys are not accepted. Every client,
/// oldest first, with cursor pagination; secrets are never shown.
#[utoipa::path(get, path = "/api/v1/platform/clients", tag = "platform", operation_id = "list_clients",
    params(PageQuery),
    responses((status = 200, description = "Clients, oldest first", body = Page<ClientResponse>)))]
pub async fn list_clients(
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (limit, after) = (query.limit()?, query.after_id()?);
    let tx = Tx::global(&state.db, Mode::ReadOnly).await?;
    let rows = oauth_clients::list(&tx, after, limit as i64 + 1).await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, limit, |c| c.id, ClientResponse::from)))
}

/// Register an OAuth client.
///
/// Requires `platform:admin` in a user's token. A confidential client gets a generated
/// `client_secret`, returned in this response only (stored hashed).
#[utoipa::path(post, path = "/api/v1/platform/clients", tag = "platform", operation_id = "create_client",
    request_body = CreateClientRequest,
    responses(
        (status = 201, description = "Registered", body = CreatedClientResponse),
        (status = 409, description = "A client with this `client_id` exists (`client-id-taken`)", body = Problem),
    ))]
pub async fn create_client(
    state: web::Data<AppState>,
    body: Valid<CreateClientRequest>,
) -> Result<HttpResponse, ApiError> {
    let registration = Registration::parse(&body.into_inner().into())?;
    let tx = Tx::global(&state.db, Mode::ReadWrite).await?;
    let client = oauth_clients::insert(&tx, &registration.new_client()).await?;
    tx.commit().await?;
    state.client_origins.refresh(&state.db).await;
    tracing::info!(client_id = %client.client_id, "oauth client registered");
    Ok(HttpResponse::Created().json(CreatedClientResponse {
        client: client.into(),
        client_secret: registration.into_secret(),
    }))
}

/// Get an OAuth client.
///
/// Requires `platform:admin` in a user's token.
#[utoipa::path(get, path = "/api/v1/platform/clients/{client_id}", tag = "platform", operation_id = "get_client",
    params(("client_id" = String, Path)),
    responses((status = 200, description = "The client", body = ClientResponse)))]
pub async fn get_client(
    state: web::Data<AppState>,
    path: web::Path<ClientPath>,
) -> Result<HttpResponse, ApiError> {
    let tx = Tx::global(&state.db, Mode::ReadOnly).await?;
    let client = oauth_clients::find(&tx, &path.client_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(ClientResponse::from(client)))
}

/// Change an OAuth client.
///
/// Requires `platform:admin` in a user's token. Omitted fields stay as they are; a
/// `refresh_delivery` of `cookie` needs `allowed_origins` (422 otherwise).
#[utoipa::path(patch, path = "/api/v1/platform/clients/{client_id}", tag = "platform", operation_id = "update_client",
    params(("client_id" = String, Path)),
    request_body = UpdateClientRequest,
    responses((status = 200, description = "Updated", body = ClientResponse)))]
pub async fn update_client(
    state: web::Data<AppState>,
    path: web::Path<ClientPath>,
    body: Valid<UpdateClientRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let changes = OAuthClientChanges {
        name: body
            .name
            .as_deref()
            .map(ClientName::parse)
            .transpose()?
            .map(ClientName::into_inner),
        redirect_uris: body
            .redirect_uris
            .as_deref()
            .map(validate::normalise_redirect_uris)
            .transpose()?,
        allowed_origins: body
            .allowed_origins
            .as_deref()
            .map(validate::normalise_origins)
            .transpose()?,
        refresh_delivery: body.refresh_delivery,
        first_party: body.first_party,
        post_logout_redirect_uris: body
            .post_logout_redirect_uris
            .as_deref()
            .map(validate::normalise_redirect_uris)
            .transpose()?,
    };
    let tx = Tx::global(&state.db, Mode::ReadWrite).await?;
    let current = oauth_clients::find(&tx, &path.client_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    // The rule spans fields a request may change one at a time: judged on the result.
    let delivery = changes.refresh_delivery.unwrap_or(current.refresh_delivery);
    let origins = changes
        .allowed_origins
        .as_ref()
        .unwrap_or(&current.allowed_origins);
    domain::client::check_delivery(delivery, origins)?;
    let client = oauth_clients::update(&tx, &path.client_id, &changes).await?;
    tx.commit().await?;
    state.client_origins.refresh(&state.db).await;
    Ok(HttpResponse::Ok().json(ClientResponse::from(client)))
}

/// Delete an OAuth client.
///
/// Requires `platform:admin` in a user's token. The client can no longer start sign-ins
/// or redeem codes.
#[utoipa::path(delete, path = "/api/v1/platform/clients/{client_id}", tag = "platform", operation_id = "delete_client",
    params(("client_id" = String, Path)),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_client(
    state: web::Data<AppState>,
    path: web::Path<ClientPath>,
) -> Result<HttpResponse, ApiError> {
    let tx = Tx::global(&state.db, Mode::ReadWrite).await?;
    oauth_clients::delete(&tx, &path.client_id).await?;
    tx.commit().await?;
    state.client_origins.refresh(&state.db).await;
    tracing::info!(client_id = %path.client_id, "oauth client deleted");
    Ok(HttpResponse::NoContent().finish())
}
