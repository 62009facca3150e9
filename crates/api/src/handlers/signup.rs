use crate::config::SignupMode;
use crate::error::{ApiError, Problem, Validator};
use crate::handlers::client::ClientInfo;
use crate::handlers::tenants::{CreateTenantRequest, TenantResponse, conflict, parse_tenant};
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use domain::{DisplayName, Email, NewPassword, TenantId, UserId};
use persistence::repo::audit::{self, AuditRecord};
use persistence::repo::{tenants, users};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use std::fmt;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({
    "email": "ada@example.com",
    "password": "correct horse battery staple",
    "display_name": "Ada Lovelace",
    "tenant": {"name": "Acme Corp", "slug": "acme"}
}))]
pub struct SignupRequest {
    pub email: String,
    /// At least 12 characters, at most 1024 bytes, and hard to guess (zxcvbn score ≥ 3).
    pub password: String,
    pub display_name: String,
    pub tenant: CreateTenantRequest,
}

impl fmt::Debug for SignupRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignupRequest")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserResponse {
    pub id: uuid::Uuid,
    pub email: String,
    pub display_name: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<persistence::models::User> for UserResponse {
    fn from(u: persistence::models::User) -> Self {
        Self {
            id: u.id,
            email: u.email,
            display_name: u.display_name,
            created_at: u.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignupResponse {
    pub user: UserResponse,
    pub tenant: TenantResponse,
}

/// Sign up: a new user and a new tenant they own.
///
/// Creates the user, the tenant, its four built-in roles and the owner membership in one
/// transaction. Log in afterwards with `POST /oauth/token`.
#[utoipa::path(post, path = "/api/v1/signup", tag = "signup", operation_id = "sign_up",
    request_body = SignupRequest,
    responses(
        (status = 201, description = "Signed up", body = SignupResponse),
        (status = 400, description = "Malformed JSON", body = Problem),
        (status = 403, description = "Sign-up is closed on this deployment", body = Problem),
        (status = 409, description = "The email is registered or the slug taken", body = Problem),
        (status = 422, description = "Invalid fields (see `errors`)", body = Problem),
        (status = 503, description = "Overloaded; retry after `Retry-After`", body = Problem),
    ))]
pub async fn sign_up(
    state: web::Data<AppState>,
    client: ClientInfo,
    body: web::Json<SignupRequest>,
) -> Result<HttpResponse, ApiError> {
    client.rate_limit(&state, "signup").await?;
    if state.config.signup == SignupMode::Closed {
        return Err(ApiError::Forbidden(
            "sign-up is closed on this deployment".into(),
        ));
    }
    let body = body.into_inner();
    let mut v = Validator::default();
    let email = v.check(Email::parse(&body.email));
    let display_name = v.check(DisplayName::parse(&body.display_name));
    let password = v.check(NewPassword::parse(
        &body.password,
        &[
            &body.email,
            &body.display_name,
            &body.tenant.name,
            &body.tenant.slug,
        ],
    ));
    let tenant = parse_tenant(&mut v, "tenant.", &body.tenant.name, &body.tenant.slug);
    v.finish()?;
    let (Some(email), Some(display_name), Some(password), Some((tenant_name, slug))) =
        (email, display_name, password, tenant)
    else {
        return Err(ApiError::Internal("validated input missing".into()));
    };
    let hash = state
        .hasher
        .hash(SecretString::from(password.expose().to_owned()))
        .await?;

    let tenant_id = TenantId::new();
    let user_id = UserId::new();
    let (user, tenant) = persistence::in_tenant(&state.db, tenant_id, move |conn| {
        Box::pin(async move {
            let user = users::insert(conn, user_id, &email, &display_name, &hash, false).await?;
            let tenant =
                tenants::create_with_owner(conn, tenant_id, &slug, &tenant_name, user_id).await?;
            for (action, target) in [
                ("user.signed_up", format!("user:{user_id}")),
                ("tenant.created", format!("tenant:{tenant_id}")),
            ] {
                audit::record(
                    conn,
                    tenant_id,
                    AuditRecord {
                        actor_id: Some(user_id.0),
                        action,
                        target: Some(target),
                        ip: client.ip_string(),
                        user_agent: client.user_agent.clone(),
                        details: serde_json::Value::Null,
                    },
                )
                .await?;
            }
            Ok((user, tenant))
        })
    })
    .await
    .map_err(conflict)?;
    Ok(HttpResponse::Created().json(SignupResponse {
        user: user.into(),
        tenant: tenant.into(),
    }))
}
