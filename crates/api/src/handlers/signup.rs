use crate::config::SignupMode;
use crate::error::{ApiError, Problem};
use crate::handlers::client::ClientInfo;
use crate::handlers::tenants::{CreateTenantRequest, TenantResponse};
use crate::problems::ProblemKind;
use crate::state::AppState;
use crate::validate;
use crate::work;
use actix_web::{HttpResponse, web};
use domain::{Action, DisplayName, Email, Target, TenantId, UserId};
use persistence::repo::{tenants, users};
use persistence::{Mode, TenantTx};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;
use utoipa::ToSchema;
use validator::Validate;

#[derive(Deserialize, ToSchema, Validate)]
#[schema(example = json!({
    "email": "ada@example.com",
    "password": "correct horse battery staple",
    "display_name": "Ada Lovelace",
    "tenant": {"name": "Acme Corp", "slug": "acme"}
}))]
#[validate(schema(function = "password_rule", skip_on_field_errors = false))]
pub struct SignupRequest {
    #[schema(format = "email", max_length = 254)]
    #[validate(custom(function = "validate::email"))]
    pub email: String,
    /// At least 12 characters, at most 1024 bytes, and hard to guess (zxcvbn score ≥ 3).
    #[schema(min_length = 12, max_length = 1024, format = "password")]
    pub password: String,
    #[schema(value_type = domain::DisplayName)]
    #[validate(custom(function = "validate::display_name"))]
    pub display_name: String,
    #[validate(nested)]
    pub tenant: CreateTenantRequest,
}

fn password_rule(body: &SignupRequest) -> Result<(), validator::ValidationError> {
    let context = [
        &*body.email,
        &*body.display_name,
        &*body.tenant.name,
        &*body.tenant.slug,
    ];
    validate::new_password(&body.password, &context)
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
    pub id: UserId,
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
        (status = 429, description = "Too many sign-ups from this client", body = Problem),
        (status = 503, description = "Overloaded; retry after `Retry-After`", body = Problem),
    ))]
pub async fn sign_up(
    state: web::Data<AppState>,
    client: ClientInfo,
    body: web::Json<SignupRequest>,
) -> Result<HttpResponse, ApiError> {
    client.rate_limit(&state, "signup").await?;
    let body = validate::check(body)?;
    if state.config.signup == SignupMode::Closed {
        return Err(ApiError::Refused(
            ProblemKind::SignupClosed,
            "sign-up is closed on this deployment".into(),
        ));
    }
    let (email, display_name) = (
        Email::parse(&body.email)?,
        DisplayName::parse(&body.display_name)?,
    );
    let (tenant_name, slug) = body.tenant.parse()?;
    let secret = SecretString::from(body.password.clone());
    let hash = state.hasher.hash(secret).await?;
    let (tenant_id, user_id) = (TenantId::new(), UserId::new());
    let tx = TenantTx::begin(&state.db, tenant_id, Mode::ReadWrite).await?;
    let user = users::insert(&tx, user_id, &email, &display_name, &hash, false).await?;
    let tenant = tenants::create_with_owner(&tx, &slug, &tenant_name, user_id).await?;
    for (action, target) in [
        (Action::UserSignedUp, Target::User(user_id)),
        (Action::TenantCreated, Target::Tenant(tenant_id)),
    ] {
        work::record(&tx, user_id.0, &client, action, target, Value::Null).await?;
    }
    // SPEC §12: the address is proven by a mailed link, sent once this commits.
    let (name, address) = (display_name.as_str(), email.as_str());
    crate::handlers::email::send_verification(&state, &tx, user_id, name, address).await?;
    tx.commit().await?;
    state.mailer.wake();
    Ok(HttpResponse::Created().json(SignupResponse {
        user: user.into(),
        tenant: tenant.into(),
    }))
}
