use crate::error::{ApiError, Problem, Validator};
use crate::guards::Principal;
use crate::handlers::page::{Page, PageQuery, paginate};
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use auth::password::Verification;
use auth::rate_limit::Guessed;
use domain::{DisplayName, NewPassword};
use persistence::models::User;
use persistence::repo::{memberships, tenants, users};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use std::fmt;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct TenantRef {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01930000-0000-7000-8000-000000000002", "email": "ada@example.com", "display_name": "Ada Lovelace",
    "tenant": {"id": "01930000-0000-7000-8000-000000000001", "slug": "acme", "name": "Acme Corp"},
    "scopes": ["tenant:read", "members:read"], "session_id": "01930000-0000-7000-8000-000000000003"
}))]
pub struct MeResponse {
    pub id: Uuid,
    pub email: Option<String>,
    pub display_name: Option<String>,
    /// The tenant of the token; `null` for a tenant-less token.
    pub tenant: Option<TenantRef>,
    /// The scopes of the token.
    pub scopes: Vec<String>,
    /// The session of a user's token; `null` for an API key.
    pub session_id: Option<Uuid>,
    /// With an API key: the key (`id`, `email` and `display_name` are then the key's).
    pub api_key: Option<ApiKeyRef>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyRef {
    pub id: Uuid,
}

async fn load_user(state: &AppState, principal: &Principal) -> Result<User, ApiError> {
    let id = principal.user;
    persistence::global(&state.db, move |conn| Box::pin(users::find(conn, id)))
        .await?
        .ok_or(ApiError::Unauthorized(Some(
            "the user no longer exists".into(),
        )))
}

async fn me_tenant(state: &AppState, principal: &Principal) -> Result<Option<TenantRef>, ApiError> {
    Ok(match principal.tenant {
        Some(id) => persistence::global(&state.db, move |conn| Box::pin(tenants::find(conn, id)))
            .await?
            .map(|t| TenantRef {
                id: t.id,
                slug: t.slug,
                name: t.name,
            }),
        None => None,
    })
}

async fn me_response(
    state: &AppState,
    principal: &Principal,
    user: User,
) -> Result<MeResponse, ApiError> {
    Ok(MeResponse {
        id: user.id,
        email: Some(user.email),
        display_name: Some(user.display_name),
        tenant: me_tenant(state, principal).await?,
        api_key: None,
        scopes: principal.scopes.names(),
        session_id: principal.session.map(|s| s.0),
    })
}

/// The caller: user, token tenant, scopes and session; or, with an API key, the key and its tenant.
#[utoipa::path(get, path = "/api/v1/me", tag = "me", operation_id = "get_me",
    responses(
        (status = 200, description = "The caller", body = MeResponse),
        (status = 401, description = "No valid token", body = Problem),
    ))]
pub async fn get_me(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, ApiError> {
    if let Some(key) = principal.api_key {
        return Ok(HttpResponse::Ok().json(MeResponse {
            id: key,
            email: None,
            display_name: None,
            tenant: me_tenant(&state, &principal).await?,
            scopes: principal.scopes.names(),
            session_id: None,
            api_key: Some(ApiKeyRef { id: key }),
        }));
    }
    let user = load_user(&state, &principal).await?;
    Ok(HttpResponse::Ok().json(me_response(&state, &principal, user).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"display_name": "Ada King"}))]
pub struct UpdateMeRequest {
    pub display_name: String,
}

/// Change the caller's display name.
#[utoipa::path(patch, path = "/api/v1/me", tag = "me", operation_id = "update_me",
    request_body = UpdateMeRequest,
    responses(
        (status = 200, description = "Updated", body = MeResponse),
        (status = 401, description = "No valid token", body = Problem),
        (status = 422, description = "Invalid display name", body = Problem),
    ))]
pub async fn update_me(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Json<UpdateMeRequest>,
) -> Result<HttpResponse, ApiError> {
    let display_name = DisplayName::parse(&body.display_name)?;
    let id = principal.user;
    let user = persistence::global(&state.db, move |conn| {
        Box::pin(async move { users::update_display_name(conn, id, &display_name).await })
    })
    .await?;
    Ok(HttpResponse::Ok().json(me_response(&state, &principal, user).await?))
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"current_password": "correct horse battery staple", "new_password": "another long and unusual passphrase"}))]
pub struct ChangePasswordRequest {
    pub current_password: String,
    /// The password policy applies.
    pub new_password: String,
}

impl fmt::Debug for ChangePasswordRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChangePasswordRequest(<redacted>)")
    }
}

/// Change the caller's password; every other session is revoked, this one stays.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "me", operation_id = "change_password",
    request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "Changed; other sessions revoked"),
        (status = 401, description = "No valid token", body = Problem),
        (status = 403, description = "The current password is wrong", body = Problem),
        (status = 422, description = "The new password breaks the policy", body = Problem),
        (status = 503, description = "Overloaded; retry", body = Problem),
    ))]
pub async fn change_password(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Json<ChangePasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = load_user(&state, &principal).await?;
    let mut v = Validator::default();
    let new_password = v.check_as(
        "new_password",
        NewPassword::parse(&body.new_password, &[&user.email, &user.display_name]),
    );
    v.finish()?;
    let Some(new_password) = new_password else {
        return Err(ApiError::Internal("validated input missing".into()));
    };
    // A stolen access token must not become an oracle for the current password: the
    // guesses are counted (before verifying) and locked out like logins (SPEC §8).
    let subject = principal.user.to_string();
    state
        .lockout
        .attempt(Guessed::PasswordChange, &subject)
        .await??;
    let verdict = state
        .hasher
        .verify(
            SecretString::from(body.current_password.clone()),
            Some(user.password_hash.clone()),
        )
        .await?;
    if verdict == Verification::Invalid {
        return Err(ApiError::Forbidden(
            "the current password is incorrect".into(),
        ));
    }
    state
        .lockout
        .succeeded(Guessed::PasswordChange, &subject)
        .await?;
    let hash = state
        .hasher
        .hash(SecretString::from(new_password.expose().to_owned()))
        .await?;
    let id = principal.user;
    let current = principal.session()?;
    // The other sessions are revoked before the change commits (a request cancelled after
    // COMMIT cannot leave them alive) and again after (one started in between with the
    // old password is caught too) — SPEC §8.
    state.sessions.revoke_all(id, Some(current)).await?;
    persistence::global(&state.db, move |conn| {
        Box::pin(async move { users::change_password(conn, id, &hash).await })
    })
    .await?;
    state.sessions.revoke_all(id, Some(current)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoleRef {
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MyTenant {
    pub tenant: TenantRef,
    /// The tenant's status: `active` or `suspended`.
    pub tenant_status: String,
    /// The membership's status: `active` or `disabled`.
    pub status: String,
    pub roles: Vec<RoleRef>,
    /// The union of the roles' permissions.
    pub permissions: Vec<String>,
}

/// The caller's memberships, with their roles.
#[utoipa::path(get, path = "/api/v1/me/tenants", tag = "me", operation_id = "list_my_tenants",
    params(PageQuery),
    responses(
        (status = 200, description = "Memberships, by tenant slug", body = inline(Page<MyTenant>)),
        (status = 401, description = "No valid token", body = Problem),
        (status = 422, description = "Invalid `limit` or `cursor`", body = Problem),
    ))]
pub async fn list_my_tenants(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let user = principal.user;
    let grants = persistence::as_user(&state.db, user, move |conn| {
        Box::pin(memberships::grants_of_user(conn, user))
    })
    .await?;
    let items: Vec<MyTenant> = grants
        .into_iter()
        .map(|g| MyTenant {
            permissions: g.permissions().names(),
            roles: g
                .roles
                .iter()
                .map(|r| RoleRef {
                    id: r.id,
                    name: r.name.clone(),
                })
                .collect(),
            status: g.membership.status,
            tenant_status: g.tenant.status.clone(),
            tenant: TenantRef {
                id: g.tenant.id,
                slug: g.tenant.slug,
                name: g.tenant.name,
            },
        })
        .collect();
    Ok(HttpResponse::Ok().json(paginate(items, &query, |t| t.tenant.slug.clone())?))
}
