use crate::error::{ApiError, Problem, Validator};
use crate::facts;
use crate::guards::authenticate::{authenticate, bearer_token};
use crate::handlers::client::ClientInfo;
use crate::handlers::page::{Page, PageQuery};
use crate::paths::InvitationPath;
use crate::problems::ProblemKind;
use crate::state::AppState;
use crate::validate::{self, Valid};
use crate::work::{self, TenantWork};
use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpRequest, HttpResponse, web};
use auth::password::Verification;
use auth::rate_limit::Guessed;
use chrono::{DateTime, Duration, Utc};
use domain::{
    Action, DisplayName, Email, InvitationId, NewPassword, RoleId, Target, TenantStatus, UserId,
    UserStatus, policy,
};
use persistence::models::Invitation;
use persistence::repo::{invitations, memberships, roles, tenants, users};
use persistence::{Mode, TenantTx, Tx};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::fmt;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

const INVITATION_TTL_DAYS: i64 = 7;

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationResponse {
    pub id: InvitationId,
    pub email: String,
    pub role_ids: Vec<RoleId>,
    pub expires_at: DateTime<Utc>,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

impl From<Invitation> for InvitationResponse {
    fn from(i: Invitation) -> Self {
        Self {
            id: i.id,
            email: i.email,
            role_ids: i.role_ids,
            expires_at: i.expires_at,
            created_by: i.created_by,
            created_at: i.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedInvitation {
    #[serde(flatten)]
    pub invitation: InvitationResponse,
    /// The single-use token to send to the invitee: shown once, never again.
    pub token: String,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"email": "grace@example.com", "role_ids": ["01930000-0000-7000-8000-0000000000c1"]}))]
pub struct CreateInvitationRequest {
    #[schema(format = "email", max_length = 254)]
    #[validate(custom(function = "validate::email"))]
    pub email: String,
    #[schema(value_type = Vec<Uuid>)]
    #[validate(length(max = 64, message = "at most 64 roles"))]
    pub role_ids: Vec<RoleId>,
}

/// `password` and `display_name` are judged once it is known whether the account is new.
#[derive(Deserialize, ToSchema, Validate)]
#[schema(example = json!({"token": "AZNgW2V1...", "password": "a long and unusual passphrase", "display_name": "Grace"}))]
pub struct AcceptInvitationRequest {
    #[schema(min_length = 1, max_length = 512)]
    #[validate(length(min = 1, max = 512, message = "must be an invitation token"))]
    pub token: String,
    /// For a new account: its password (the policy applies).
    #[schema(max_length = 1024, format = "password")]
    #[validate(length(max = 1024, message = "must be at most 1024 bytes"))]
    #[serde(default, deserialize_with = "crate::validate::not_null")]
    pub password: Option<String>,
    /// For a new account.
    #[schema(min_length = 1, max_length = 100)]
    #[serde(default, deserialize_with = "crate::validate::not_null")]
    pub display_name: Option<String>,
}

impl fmt::Debug for AcceptInvitationRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AcceptInvitationRequest(<redacted>)")
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AcceptedInvitation {
    pub tenant_id: Uuid,
    pub user_id: Uuid,
    /// Whether the invitation created the account.
    pub created_user: bool,
}

/// The tenant's open invitations.
///
/// Requires `members:read`; API keys may call it. Lists the invitations not yet accepted,
/// expired ones included (compare `expires_at`), oldest first, with cursor pagination;
/// tokens are never shown again.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/invitations", tag = "invitations", operation_id = "list_invitations",
    params(("tenant_id" = Uuid, Path), PageQuery),
    responses((status = 200, description = "Open invitations (tokens are never shown again)", body = Page<InvitationResponse>)))]
pub async fn list_invitations(
    work: TenantWork,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (limit, after) = (query.limit()?, query.after_id()?);
    let rows = invitations::list_open(&work.tx, after, limit as i64 + 1).await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(
        rows,
        limit,
        |i| i.id,
        InvitationResponse::from,
    )))
}

/// Invite someone by email with roles; the token is shown once.
///
/// Requires `members:write`; API keys may call it. Every role must exist in the tenant
/// (422) and grant only permissions the caller holds, and only an owner using their own
/// token may invite with `owner` (403); an email that is already a member is 409. The
/// invitation expires after 7 days, and its `token`, for the invitee to send to
/// `POST /api/v1/invitations/accept`, is returned only in this response
/// (`Cache-Control: no-store`); audited as `member.invited`.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant_id}/invitations", tag = "invitations", operation_id = "create_invitation",
    params(("tenant_id" = Uuid, Path)),
    request_body = CreateInvitationRequest,
    responses(
        (status = 201, description = "Created; `token` is shown only here", body = CreatedInvitation),
        (status = 403, description = "A role with permissions the caller does not hold, or `owner` by a non-owner", body = Problem),
        (status = 409, description = "Already a member", body = Problem),
        (status = 422, description = "Invalid email or unknown role", body = Problem),
    ))]
pub async fn create_invitation(
    work: TenantWork,
    body: Valid<CreateInvitationRequest>,
) -> Result<HttpResponse, ApiError> {
    let email = Email::parse(&body.email)?;
    let role_ids: Vec<RoleId> = body
        .role_ids
        .iter()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let found = roles::find_many(&work.tx, &role_ids).await?;
    if found.len() != role_ids.len() {
        let message = "contains a role that does not exist in this tenant";
        return Err(ApiError::validation("role_ids", message));
    }
    policy::invite(work.actor().await?, &facts::role_grants(&found))?;
    if let Some(user) = users::find_by_email(&work.tx, &email).await?
        && memberships::find_member(&work.tx, user.id).await?.is_some()
    {
        return Err(ApiError::Refused(
            ProblemKind::AlreadyMember,
            "this email is already a member".into(),
        ));
    }
    let token = auth::invitation::new_token(work.tenant());
    let expires_at = Utc::now() + Duration::days(INVITATION_TTL_DAYS);
    let hash = auth::invitation::hash(&token);
    let invitation = invitations::insert(
        &work.tx,
        &email,
        &role_ids,
        hash,
        expires_at,
        work.caller.user(),
    )
    .await?;
    let target = Target::Invitation(invitation.id);
    work.audit(
        Action::MemberInvited,
        target,
        json!({"email": invitation.email}),
    )
    .await?;
    work.commit().await?;
    let created = CreatedInvitation {
        invitation: invitation.into(),
        token,
    };
    Ok(HttpResponse::Created()
        .insert_header((CACHE_CONTROL, "no-store"))
        .json(created))
}

/// Revoke an open invitation.
///
/// Requires `members:write`; API keys may call it. Deletes the invitation, so its token
/// stops working. An accepted invitation, an unknown id or another tenant's is 404; audited
/// as `invitation.revoked`.
#[utoipa::path(delete, path = "/api/v1/tenants/{tenant_id}/invitations/{invitation_id}", tag = "invitations", operation_id = "revoke_invitation",
    params(("tenant_id" = Uuid, Path), ("invitation_id" = Uuid, Path)),
    responses((status = 204, description = "Revoked"), (status = 404, description = "No open invitation with this id in this tenant", body = Problem)))]
pub async fn revoke_invitation(
    work: TenantWork,
    path: web::Path<InvitationPath>,
) -> Result<HttpResponse, ApiError> {
    invitations::delete_open(&work.tx, path.invitation_id).await?;
    let target = Target::Invitation(path.invitation_id);
    work.audit(Action::InvitationRevoked, target, Value::Null)
        .await?;
    work.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

fn no_invitation() -> ApiError {
    ApiError::NotFound
}

/// Accept an invitation.
///
/// A new email creates the account (`password` and `display_name` required); an existing
/// account proves itself with its own bearer token or, without one, with its password
/// (the body is then checked as for a new account, `display_name` included). Single use;
/// expires after 7 days.
#[utoipa::path(post, path = "/api/v1/invitations/accept", tag = "invitations", operation_id = "accept_invitation",
    request_body = AcceptInvitationRequest,
    responses(
        (status = 201, description = "Joined the tenant", body = AcceptedInvitation),
        (status = 401, description = "The email has an account: send its bearer token or its password", body = Problem),
        (status = 403, description = "The bearer token is another user's (`invitation-mismatch`), or the tenant is suspended (`tenant-suspended`)", body = Problem),
        (status = 404, description = "No open invitation matches the token (unknown, used, revoked or expired)", body = Problem),
        (status = 409, description = "Already a member", body = Problem),
        (status = 422, description = "Missing or invalid password / display name", body = Problem),
        (status = 429, description = "Too many attempts from this client, or failed passwords for this email", body = Problem),
        (status = 503, description = "Overloaded or a dependency is down; retry after `Retry-After`", body = Problem),
    ))]
pub async fn accept_invitation(
    state: web::Data<AppState>,
    req: HttpRequest,
    client: ClientInfo,
    body: web::Json<AcceptInvitationRequest>,
) -> Result<HttpResponse, ApiError> {
    client.rate_limit(&state, "accept").await?;
    let body = validate::check(body)?;
    let tenant = auth::invitation::tenant_of(&body.token).ok_or_else(no_invitation)?;
    let token_hash = auth::invitation::hash(&body.token);
    let read = TenantTx::begin(&state.db, tenant, Mode::ReadOnly).await?;
    let (invitation, inviting) = futures_util::future::try_join(
        invitations::find_by_hash(&read, &token_hash),
        tenants::find(&read, tenant),
    )
    .await?;
    let invitation = invitation
        .filter(|i| i.accepted_at.is_none() && i.expires_at > Utc::now())
        .ok_or_else(no_invitation)?;
    // A suspended tenant gains no members; the invitation stays for when it is back.
    if inviting.is_none_or(|t| t.status != TenantStatus::Active) {
        return Err(ApiError::Refused(
            ProblemKind::TenantSuspended,
            "the tenant is suspended".into(),
        ));
    }
    drop(read);
    let email = Email::parse(&invitation.email)?;
    let (user_id, new_user) = accepting_user(&state, &req, &body, &email).await?;
    let tx = TenantTx::begin(&state.db, tenant, Mode::ReadWrite).await?;
    if let Some((display_name, hash)) = &new_user {
        users::insert(&tx, user_id, &email, display_name, hash, false).await?;
    } else if memberships::find_member(&tx, user_id).await?.is_some() {
        return Err(ApiError::Refused(
            ProblemKind::AlreadyMember,
            "already a member of this tenant".into(),
        ));
    }
    // Single use: the claim is an UPDATE ... WHERE accepted_at IS NULL.
    let claimed = invitations::claim(&tx, &token_hash, user_id)
        .await?
        .ok_or_else(no_invitation)?;
    let still_there = roles::find_many(&tx, &claimed.role_ids).await?;
    let role_ids: Vec<RoleId> = still_there.iter().map(|r| r.id).collect();
    memberships::insert(&tx, user_id, &role_ids).await?;
    let target = Target::Invitation(claimed.id);
    let details = json!({"created_user": new_user.is_some()});
    work::record(
        &tx,
        user_id.0,
        &client,
        Action::MemberJoined,
        target,
        details,
    )
    .await?;
    tx.commit().await?;
    let accepted = AcceptedInvitation {
        tenant_id: tenant.0,
        user_id: user_id.0,
        created_user: new_user.is_some(),
    };
    Ok(HttpResponse::Created().json(accepted))
}

/// Who accepts: the existing account, proven by its bearer token or its password, or a new
/// one. Until one of those proves the caller, a registered and an unregistered email get
/// the same answers (SPEC §8), so an invitation cannot probe who has an account.
async fn accepting_user(
    state: &AppState,
    req: &HttpRequest,
    body: &AcceptInvitationRequest,
    email: &Email,
) -> Result<(UserId, Option<(DisplayName, String)>), ApiError> {
    let existing =
        users::find_by_email(&Tx::global(&state.db, Mode::ReadOnly).await?, email).await?;
    if bearer_token(req.headers())?.is_some() {
        let caller = authenticate(state, req.headers()).await?;
        return match existing {
            Some(user)
                if caller.own_user() == Some(user.id) && user.status == UserStatus::Active =>
            {
                Ok((user.id, None))
            }
            _ => Err(ApiError::Refused(
                ProblemKind::InvitationMismatch,
                "this invitation is for another account".into(),
            )),
        };
    }
    let display_name_raw = body.display_name.as_deref().unwrap_or_default();
    let mut v = Validator::default();
    let display_name = v.check(DisplayName::parse(display_name_raw));
    let password = v.check(NewPassword::parse(
        body.password.as_deref().unwrap_or_default(),
        &[email.as_str(), display_name_raw],
    ));
    v.finish()?;
    let (Some(display_name), Some(password)) = (display_name, password) else {
        return Err(ApiError::validation("password", "is required"));
    };
    // Guessing an account's password through an invitation is a login attempt.
    state.count_guess(Guessed::Login, email.as_str()).await?;
    let secret = SecretString::from(password.expose().to_owned());
    let Some(user) = existing else {
        let hash = state.hasher.hash(secret).await?;
        return Ok((UserId::new(), Some((display_name, hash))));
    };
    // The account's own password proves the caller; either way one argon2 run, as for a
    // new account.
    let verdict = state
        .hasher
        .verify(secret, Some(user.password_hash.clone()))
        .await?;
    if verdict == Verification::Invalid || user.status != UserStatus::Active {
        return Err(ApiError::Unauthorized(Some(
            "this email has an account: sign in and send its bearer token, or send its password"
                .into(),
        )));
    }
    state
        .lockout
        .succeeded(Guessed::Login, email.as_str())
        .await?;
    Ok((user.id, None))
}
