use crate::error::{ApiError, Problem, Validator};
use crate::guards::TenantContext;
use crate::guards::authenticate::{authenticate, bearer_token};
use crate::handlers::client::ClientInfo;
use crate::handlers::members::{acts_as_owner, is_owner_role};
use crate::handlers::page::{Page, PageQuery};
use crate::handlers::roles::check_escalation;
use crate::handlers::trail;
use crate::state::AppState;
use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpRequest, HttpResponse, web};
use auth::password::Verification;
use auth::rate_limit::Guessed;
use chrono::{DateTime, Duration, Utc};
use domain::{DisplayName, Email, NewPassword, RoleId, ScopeSet, UserId, UserStatus};
use persistence::models::{Invitation, NewInvitation};
use persistence::repo::audit::{self, AuditRecord};
use persistence::repo::{invitations, memberships, roles, users};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use std::fmt;
use utoipa::ToSchema;
use uuid::Uuid;

const INVITATION_TTL_DAYS: i64 = 7;

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationResponse {
    pub id: Uuid,
    pub email: String,
    pub role_ids: Vec<Uuid>,
    pub expires_at: DateTime<Utc>,
    pub created_by: Option<Uuid>,
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

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"email": "grace@example.com", "role_ids": ["01930000-0000-7000-8000-0000000000c1"]}))]
pub struct CreateInvitationRequest {
    pub email: String,
    pub role_ids: Vec<Uuid>,
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"token": "AZNgW2V1...", "password": "a long and unusual passphrase", "display_name": "Grace"}))]
pub struct AcceptInvitationRequest {
    pub token: String,
    /// For a new account: its password (the policy applies).
    pub password: Option<String>,
    /// For a new account.
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

/// Open invitations.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/invitations", tag = "invitations", operation_id = "list_invitations",
    params(("tenant_id" = Uuid, Path), PageQuery),
    responses((status = 200, description = "Open invitations (tokens are never shown again)", body = inline(Page<InvitationResponse>))))]
pub async fn list_invitations(
    state: web::Data<AppState>,
    ctx: TenantContext,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (limit, after) = (query.limit()?, query.after_id()?);
    let tenant = ctx.tenant;
    let rows = persistence::in_tenant(&state.db, tenant, move |conn| {
        Box::pin(invitations::list_open(
            conn,
            tenant,
            after,
            limit as i64 + 1,
        ))
    })
    .await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(
        rows,
        limit,
        |i| i.id,
        InvitationResponse::from,
    )))
}

/// Invite someone by email with roles. The token is in the response, once.
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
    state: web::Data<AppState>,
    ctx: TenantContext,
    client: ClientInfo,
    body: web::Json<CreateInvitationRequest>,
) -> Result<HttpResponse, ApiError> {
    let email = Email::parse(&body.email)?;
    let mut role_ids = body.role_ids.clone();
    role_ids.sort();
    role_ids.dedup();
    let tenant = ctx.tenant;
    let token = auth::invitation::new_token(tenant);
    let token_hash = auth::invitation::hash(&token);
    let invitation = persistence::in_tenant(&state.db, tenant, move |conn| {
        Box::pin(async move {
            let found = roles::find_many(conn, tenant, &role_ids).await?;
            if found.len() != role_ids.len() {
                return Ok(Err(ApiError::validation(
                    "role_ids",
                    "contains a role that does not exist in this tenant",
                )));
            }
            let granted = found
                .iter()
                .map(|r| ScopeSet::parse_names(&r.permissions).unwrap_or_default())
                .fold(ScopeSet::EMPTY, ScopeSet::union);
            if let Err(e) = check_escalation(&ctx, granted) {
                return Ok(Err(e));
            }
            if found.iter().any(is_owner_role) && !acts_as_owner(conn, &ctx).await? {
                return Ok(Err(ApiError::Forbidden(
                    "only an owner may grant `owner`".into(),
                )));
            }
            if let Some(user) = users::find_by_email(conn, &email).await?
                && memberships::find_member(conn, tenant, UserId(user.id))
                    .await?
                    .is_some()
            {
                return Ok(Err(ApiError::Conflict(
                    "this email is already a member".into(),
                )));
            }
            let invitation = invitations::insert(
                conn,
                NewInvitation {
                    id: Uuid::now_v7(),
                    tenant_id: tenant.0,
                    email: email.as_str(),
                    role_ids,
                    token_hash,
                    expires_at: Utc::now() + Duration::days(INVITATION_TTL_DAYS),
                    created_by: ctx.created_by(),
                },
            )
            .await?;
            audit::record(
                conn,
                tenant,
                trail::by(
                    &ctx,
                    &client,
                    "member.invited",
                    format!("invitation:{}", invitation.id),
                    serde_json::json!({"email": invitation.email}),
                ),
            )
            .await?;
            Ok(Ok(invitation))
        })
    })
    .await??;
    Ok(HttpResponse::Created()
        .insert_header((CACHE_CONTROL, "no-store"))
        .json(CreatedInvitation {
            invitation: invitation.into(),
            token,
        }))
}

/// Revoke an open invitation.
#[utoipa::path(delete, path = "/api/v1/tenants/{tenant_id}/invitations/{invitation_id}", tag = "invitations", operation_id = "revoke_invitation",
    params(("tenant_id" = Uuid, Path), ("invitation_id" = Uuid, Path)),
    responses((status = 204, description = "Revoked"), (status = 404, description = "No open invitation with this id in this tenant", body = Problem)))]
pub async fn revoke_invitation(
    state: web::Data<AppState>,
    ctx: TenantContext,
    client: ClientInfo,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let tenant = ctx.tenant;
    let deleted = persistence::in_tenant(&state.db, tenant, move |conn| {
        Box::pin(async move {
            let deleted = invitations::delete_open(conn, tenant, id).await?;
            if deleted {
                audit::record(
                    conn,
                    tenant,
                    trail::by(
                        &ctx,
                        &client,
                        "invitation.revoked",
                        format!("invitation:{id}"),
                        serde_json::Value::Null,
                    ),
                )
                .await?;
            }
            Ok(deleted)
        })
    })
    .await?;
    if deleted {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::NotFound)
    }
}

fn no_invitation() -> ApiError {
    ApiError::NotFound
}

/// Accept an invitation.
///
/// A new email creates the account (`password` and `display_name` required); an existing
/// account must prove itself with its own bearer token. Single use; expires after 7 days.
#[utoipa::path(post, path = "/api/v1/invitations/accept", tag = "invitations", operation_id = "accept_invitation",
    request_body = AcceptInvitationRequest,
    responses(
        (status = 201, description = "Joined the tenant", body = AcceptedInvitation),
        (status = 401, description = "The email has an account: send its bearer token or its password", body = Problem),
        (status = 403, description = "The bearer token is another user's", body = Problem),
        (status = 404, description = "No open invitation matches the token (unknown, used, revoked or expired)", body = Problem),
        (status = 409, description = "Already a member", body = Problem),
        (status = 422, description = "Missing or invalid password / display name", body = Problem),
    ))]
pub async fn accept_invitation(
    state: web::Data<AppState>,
    req: HttpRequest,
    client: ClientInfo,
    body: web::Json<AcceptInvitationRequest>,
) -> Result<HttpResponse, ApiError> {
    client.rate_limit(&state, "accept").await?;
    let body = body.into_inner();
    let tenant = auth::invitation::tenant_of(&body.token).ok_or_else(no_invitation)?;
    let token_hash = auth::invitation::hash(&body.token);
    let lookup_hash = token_hash.clone();
    let invitation = persistence::in_tenant(&state.db, tenant, move |conn| {
        Box::pin(async move { invitations::find_by_hash(conn, tenant, &lookup_hash).await })
    })
    .await?
    .filter(|i| i.accepted_at.is_none() && i.expires_at > Utc::now())
    .ok_or_else(no_invitation)?;
    let email = Email::parse(&invitation.email)?;
    let lookup = email.clone();
    let existing = persistence::global(&state.db, move |conn| {
        Box::pin(async move { users::find_by_email(conn, &lookup).await })
    })
    .await?;

    // Either the existing account, proven by its bearer token or its password, or a new
    // one. Until one of those proves the caller, a registered and an unregistered email
    // get the same answers (SPEC §8), so an invitation cannot probe who has an account.
    let (user_id, new_user) = match bearer_token(req.headers())? {
        Some(_) => {
            let principal = authenticate(&state, req.headers()).await?;
            match existing {
                Some(user)
                    if principal.api_key.is_none()
                        && principal.user.0 == user.id
                        && UserStatus::parse(&user.status) == Some(UserStatus::Active) =>
                {
                    (UserId(user.id), None)
                }
                _ => {
                    return Err(ApiError::Forbidden(
                        "this invitation is for another account".into(),
                    ));
                }
            }
        }
        None => {
            let mut v = Validator::default();
            let display_name = v.check(DisplayName::parse(
                body.display_name.as_deref().unwrap_or_default(),
            ));
            let password = v.check(NewPassword::parse(
                body.password.as_deref().unwrap_or_default(),
                &[
                    email.as_str(),
                    body.display_name.as_deref().unwrap_or_default(),
                ],
            ));
            v.finish()?;
            let (Some(display_name), Some(password)) = (display_name, password) else {
                return Err(ApiError::Internal("validated input missing".into()));
            };
            // Guessing an account's password through an invitation is a login attempt.
            state
                .lockout
                .attempt(Guessed::Login, email.as_str())
                .await??;
            let secret = SecretString::from(password.expose().to_owned());
            match existing {
                // The account's own password proves the caller; either way one argon2
                // run, as for a new account.
                Some(user) => {
                    let verdict = state
                        .hasher
                        .verify(secret, Some(user.password_hash.clone()))
                        .await?;
                    if verdict == Verification::Invalid
                        || UserStatus::parse(&user.status) != Some(UserStatus::Active)
                    {
                        return Err(ApiError::Unauthorized(Some(
                            "this email has an account: sign in and send its bearer token, \
                             or send its password"
                                .into(),
                        )));
                    }
                    state
                        .lockout
                        .succeeded(Guessed::Login, email.as_str())
                        .await?;
                    (UserId(user.id), None)
                }
                None => {
                    let hash = state.hasher.hash(secret).await?;
                    (UserId::new(), Some((display_name, hash)))
                }
            }
        }
    };
    let created_user = new_user.is_some();
    persistence::in_tenant(&state.db, tenant, move |conn| {
        Box::pin(async move {
            if let Some((display_name, hash)) = &new_user {
                users::insert(conn, user_id, &email, display_name, hash, false).await?;
            } else if memberships::find_member(conn, tenant, user_id)
                .await?
                .is_some()
            {
                return Ok(Err(ApiError::Conflict(
                    "already a member of this tenant".into(),
                )));
            }
            // Single use: the claim is an UPDATE ... WHERE accepted_at IS NULL.
            let Some(claimed) = invitations::claim(conn, tenant, &token_hash, user_id.0).await?
            else {
                return Ok(Err(no_invitation()));
            };
            let still_there = roles::find_many(conn, tenant, &claimed.role_ids).await?;
            let role_ids: Vec<RoleId> = still_there.iter().map(|r| RoleId(r.id)).collect();
            memberships::insert(conn, tenant, user_id, &role_ids).await?;
            audit::record(
                conn,
                tenant,
                AuditRecord {
                    actor_id: Some(user_id.0),
                    action: "member.joined",
                    target: Some(format!("invitation:{}", claimed.id)),
                    ip: client.ip_string(),
                    user_agent: client.user_agent.clone(),
                    details: serde_json::json!({"created_user": new_user.is_some()}),
                },
            )
            .await?;
            Ok(Ok(()))
        })
    })
    .await
    .map_err(crate::handlers::tenants::conflict)??;
    Ok(HttpResponse::Created().json(AcceptedInvitation {
        tenant_id: tenant.0,
        user_id: user_id.0,
        created_user,
    }))
}
