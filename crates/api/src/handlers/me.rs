use crate::error::{ApiError, Problem};
use crate::guards::Caller;
use crate::handlers::page::{Page, PageQuery, paginate};
use crate::problems::ProblemKind;
use crate::state::AppState;
use crate::validate::{self, Valid};
use actix_web::{HttpResponse, web};
use auth::password::Verification;
use auth::rate_limit::Guessed;
use domain::{DisplayName, NewPassword};
use domain::{MembershipStatus, RoleId, TenantId, TenantStatus};
use persistence::models::User;
use persistence::repo::{memberships, tenants, users};
use persistence::{Mode, Tx};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use std::fmt;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

#[derive(Debug, Serialize, ToSchema)]
pub struct TenantRef {
    pub id: TenantId,
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01930000-0000-7000-8000-000000000002", "email": "ada@example.com", "email_verified": true, "display_name": "Ada Lovelace",
    "tenant": {"id": "01930000-0000-7000-8000-000000000001", "slug": "acme", "name": "Acme Corp"},
    "scopes": ["tenant:read", "members:read"], "session_id": "01930000-0000-7000-8000-000000000003", "api_key": null
}))]
pub struct MeResponse {
    pub id: Uuid,
    pub email: Option<String>,
    /// Whether the user proved the address is theirs (SPEC §12); `null` for an API key.
    pub email_verified: Option<bool>,
    pub display_name: Option<String>,
    /// The tenant of the token; `null` for a tenant-less token.
    pub tenant: Option<TenantRef>,
    /// The scopes of the token.
    #[schema(value_type = Vec<domain::Scope>)]
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

async fn load_user(state: &AppState, caller: &Caller) -> Result<User, ApiError> {
    let tx = Tx::global(&state.db, Mode::ReadOnly).await?;
    let gone = || ApiError::Unauthorized(Some("the user no longer exists".into()));
    users::find(&tx, caller.user()).await?.ok_or_else(gone)
}

async fn me_tenant(state: &AppState, caller: &Caller) -> Result<Option<TenantRef>, ApiError> {
    let Some(id) = caller.tenant() else {
        return Ok(None);
    };
    let tx = Tx::global(&state.db, Mode::ReadOnly).await?;
    let tenant = tenants::find(&tx, id).await?;
    Ok(tenant.map(|t| TenantRef {
        id: t.id,
        slug: t.slug,
        name: t.name,
    }))
}

async fn me_response(
    state: &AppState,
    caller: &Caller,
    user: User,
) -> Result<MeResponse, ApiError> {
    Ok(MeResponse {
        id: user.id.0,
        email_verified: Some(user.email_verified_at.is_some()),
        email: Some(user.email),
        display_name: Some(user.display_name),
        tenant: me_tenant(state, caller).await?,
        api_key: None,
        scopes: caller.scopes().names(),
        session_id: caller.session().ok().map(|s| s.0),
    })
}

/// The caller: the user and their token, or the API key.
///
/// Accepts a user's access token or an API key. For a user: `id`, `email`, `display_name`,
/// the token's `tenant` (`null` for a tenant-less token), its `scopes` and `session_id`.
/// For an API key: its id (in `id` and `api_key.id`), its tenant and the scopes it acts
/// with now; `email`, `display_name` and `session_id` are `null`.
#[utoipa::path(get, path = "/api/v1/me", tag = "me", operation_id = "get_me",
    responses(
        (status = 200, description = "The caller", body = MeResponse),
    ))]
pub async fn get_me(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    if let Caller::ApiKey { key, .. } = caller {
        return Ok(HttpResponse::Ok().json(MeResponse {
            id: key.0,
            email: None,
            email_verified: None,
            display_name: None,
            tenant: me_tenant(&state, &caller).await?,
            scopes: caller.scopes().names(),
            session_id: None,
            api_key: Some(ApiKeyRef { id: key.0 }),
        }));
    }
    let user = load_user(&state, &caller).await?;
    Ok(HttpResponse::Ok().json(me_response(&state, &caller, user).await?))
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"display_name": "Ada King"}))]
pub struct UpdateMeRequest {
    #[schema(value_type = domain::DisplayName)]
    #[validate(custom(function = "validate::display_name"))]
    pub display_name: String,
}

/// Change the caller's display name.
///
/// Requires a user's access token (any tenant, any scopes); API keys are not accepted.
/// Returns the updated caller, as `GET /api/v1/me` does.
#[utoipa::path(patch, path = "/api/v1/me", tag = "me", operation_id = "update_me",
    request_body = UpdateMeRequest,
    responses(
        (status = 200, description = "Updated", body = MeResponse),
        (status = 422, description = "Invalid display name", body = Problem),
    ))]
pub async fn update_me(
    state: web::Data<AppState>,
    caller: Caller,
    body: Valid<UpdateMeRequest>,
) -> Result<HttpResponse, ApiError> {
    let display_name = DisplayName::parse(&body.display_name)?;
    let tx = Tx::global(&state.db, Mode::ReadWrite).await?;
    let user = users::update_display_name(&tx, caller.user(), &display_name).await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(me_response(&state, &caller, user).await?))
}

/// `new_password` is judged against the account's email and name once they are loaded.
#[derive(Deserialize, ToSchema, Validate)]
#[schema(example = json!({"current_password": "correct horse battery staple", "new_password": "another long and unusual passphrase"}))]
pub struct ChangePasswordRequest {
    #[schema(max_length = 1024, format = "password")]
    #[validate(length(max = 1024, message = "must be at most 1024 bytes"))]
    pub current_password: String,
    /// The password policy applies.
    #[schema(min_length = 12, max_length = 1024, format = "password")]
    pub new_password: String,
}

impl fmt::Debug for ChangePasswordRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChangePasswordRequest(<redacted>)")
    }
}

/// Change the caller's password.
///
/// Requires a user's access token; API keys are not accepted. A wrong `current_password` is
/// 403, and wrong guesses are counted and locked out like logins (429). The new password
/// must pass the password policy, judged also against the account's email and display name
/// (422). Every other session of the user is revoked (refresh and access tokens); the
/// calling session stays.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "me", operation_id = "change_password",
    request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "Changed; other sessions revoked"),
        (status = 403, description = "The current password is wrong", body = Problem),
        (status = 422, description = "The new password breaks the policy", body = Problem),
        (status = 429, description = "Too many wrong current passwords: locked out for `Retry-After` seconds", body = Problem),
        (status = 503, description = "Overloaded; retry", body = Problem),
    ))]
pub async fn change_password(
    state: web::Data<AppState>,
    caller: Caller,
    body: Valid<ChangePasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = load_user(&state, &caller).await?;
    let new_password = NewPassword::parse(&body.new_password, &[&user.email, &user.display_name])
        .map_err(|e| ApiError::validation("new_password", e.message))?;
    // A stolen access token must not become an oracle for the current password: the
    // guesses are counted (before verifying) and locked out like logins (SPEC §8).
    let subject = caller.user().to_string();
    state.count_guess(Guessed::PasswordChange, &subject).await?;
    let verdict = state
        .hasher
        .verify(
            SecretString::from(body.current_password.clone()),
            Some(user.password_hash.clone()),
        )
        .await?;
    if verdict == Verification::Invalid {
        return Err(ApiError::Refused(
            ProblemKind::IncorrectPassword,
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
    let id = caller.user();
    let current = caller.session()?;
    // The other sessions are revoked before the change commits (a request cancelled after
    // COMMIT cannot leave them alive) and again after (one started in between with the
    // old password is caught too) — SPEC §8.
    state.sessions.revoke_all(id, Some(current)).await?;
    let tx = Tx::global(&state.db, Mode::ReadWrite).await?;
    users::change_password(&tx, id, &hash).await?;
    tx.commit().await?;
    state.sessions.revoke_all(id, Some(current)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoleRef {
    pub id: RoleId,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MyTenant {
    pub tenant: TenantRef,
    /// The tenant's status: `active` or `suspended`.
    pub tenant_status: TenantStatus,
    /// The membership's status: `active` or `disabled`.
    pub status: MembershipStatus,
    pub roles: Vec<RoleRef>,
    /// The union of the roles' permissions.
    #[schema(value_type = Vec<domain::Scope>)]
    pub permissions: Vec<String>,
}

/// The caller's memberships, with their roles.
///
/// Requires a user's access token (any tenant, any scopes); API keys are not accepted.
/// Lists every tenant the user belongs to, disabled memberships and suspended tenants
/// included (see `status` and `tenant_status`), by tenant slug, with the roles held and the
/// union of their permissions. Cursor-paginated.
#[utoipa::path(get, path = "/api/v1/me/tenants", tag = "me", operation_id = "list_my_tenants",
    params(PageQuery),
    responses(
        (status = 200, description = "Memberships, by tenant slug", body = Page<MyTenant>),
        (status = 422, description = "Invalid `limit` or `cursor`", body = Problem),
    ))]
pub async fn list_my_tenants(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let user = caller.user();
    let grants =
        memberships::grants_of_user(&Tx::as_user(&state.db, user, Mode::ReadOnly).await?, user)
            .await?;
    let items: Vec<MyTenant> = grants
        .into_iter()
        .map(|g| {
            Ok(MyTenant {
                permissions: crate::facts::grant_permissions(&g).names(),
                roles: g
                    .roles
                    .iter()
                    .map(|r| RoleRef {
                        id: r.id,
                        name: r.name.clone(),
                    })
                    .collect(),
                status: g.membership.status,
                tenant_status: g.tenant.status,
                tenant: TenantRef {
                    id: g.tenant.id,
                    slug: g.tenant.slug,
                    name: g.tenant.name,
                },
            })
        })
        .collect::<Result<_, ApiError>>()?;
    Ok(HttpResponse::Ok().json(paginate(items, &query, |t| t.tenant.id.into())?))
}
