//! From a proven user to an authorization code (SPEC §11): the tenant step, the consent
//! step, then the code and the redirect back to the client. Each step re-reads what it
//! rests on (the user, their memberships) rather than trusting what an earlier step saw.

use crate::error::ApiError;
use crate::facts;
use crate::handlers::client::ClientInfo;
use crate::signin::cookies::Cookies;
use crate::signin::page_error::PageError;
use crate::signin::pages::{self, ConsentPage, PRODUCT, TenantOption, TenantPage};
use crate::signin::pending::{Pending, SignedIn};
use crate::state::AppState;
use crate::tokens::available_scopes;
use actix_web::HttpResponse;
use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, LOCATION};
use auth::authorization_code::CodeGrant;
use domain::authorize::{AuthorizeError, Prompt};
use domain::signin::{TenantChoice, choose_tenant};
use domain::{Action, ScopeSet, Target, UserStatus, policy};
use persistence::models::User;
use persistence::repo::memberships::{self, Grant};
use persistence::repo::users;
use persistence::{Mode, TenantTx, Tx};
use url::Url;

/// Where one browser's sign-in stands: its state token and the cookie it is bound to.
pub struct Binding<'a> {
    pub csrf: &'a str,
    pub browser: &'a str,
}

/// Continues a sign-in whose user is known: asks what is still open, or finishes it.
/// `cookies` are set on whatever is answered (a new login-state or session cookie).
pub async fn proceed(
    state: &AppState,
    client: &ClientInfo,
    binding: Binding<'_>,
    mut pending: Pending,
    cookies: Vec<Cookie<'static>>,
) -> Result<HttpResponse, PageError> {
    let signed_in = pending
        .user
        .ok_or_else(|| PageError::from(ApiError::Internal("no user to proceed with".into())))?;
    let (user, grants) = user_and_grants(state, signed_in).await?;
    let Some(user) = user else {
        return Ok(refuse(
            state,
            &pending,
            AuthorizeError::AccessDenied,
            "the account is disabled",
        ));
    };
    let usable: Vec<&Grant> = grants.iter().filter(|g| facts::is_usable(g)).collect();
    let origin = redirect_origin(&pending.request.redirect_uri);

    let tenant = match pending.tenant {
        Some(chosen) => chosen,
        None => match choose_tenant(pending.request.tenant.as_deref(), &usable, |g, hint| {
            g.tenant.slug == hint || g.tenant.id.to_string() == hint
        }) {
            TenantChoice::Chosen(grant) => grant.map(|g| g.tenant.id),
            TenantChoice::NoAccess => {
                return Ok(refuse(
                    state,
                    &pending,
                    AuthorizeError::AccessDenied,
                    "the user has no access to that tenant",
                ));
            }
            TenantChoice::Ask if pending.request.prompt == Prompt::None => {
                return Ok(refuse(
                    state,
                    &pending,
                    AuthorizeError::InteractionRequired,
                    "the user must choose a tenant",
                ));
            }
            TenantChoice::Ask => {
                state
                    .login_states
                    .save(binding.csrf, binding.browser, &pending)
                    .await?;
                let page = TenantPage {
                    product: PRODUCT,
                    client_name: &pending.client_name,
                    csrf: binding.csrf,
                    tenants: usable
                        .iter()
                        .map(|g| TenantOption {
                            slug: g.tenant.slug.clone(),
                            name: g.tenant.name.clone(),
                        })
                        .collect(),
                };
                return pages::respond(StatusCode::OK, &page, origin.as_deref(), &cookies);
            }
        },
    };
    pending.tenant = Some(tenant);
    // The membership may have gone since the tenant was chosen.
    let grant = match tenant {
        Some(id) => match usable.iter().find(|g| g.tenant.id == id) {
            Some(grant) => Some(*grant),
            None => {
                return Ok(refuse(
                    state,
                    &pending,
                    AuthorizeError::AccessDenied,
                    "the user has no access to that tenant",
                ));
            }
        },
        None => None,
    };
    let scopes = policy::token_scopes(pending.request.permissions, available_scopes(&user, grant));

    if !pending.first_party && !pending.consented {
        if pending.request.prompt == Prompt::None {
            return Ok(refuse(
                state,
                &pending,
                AuthorizeError::ConsentRequired,
                "the application needs the user's consent",
            ));
        }
        state
            .login_states
            .save(binding.csrf, binding.browser, &pending)
            .await?;
        let page = ConsentPage {
            product: PRODUCT,
            client_name: &pending.client_name,
            csrf: binding.csrf,
            email: &user.email,
            tenant: grant.map(|g| g.tenant.name.as_str()),
            asked: asked(scopes, &pending),
        };
        return pages::respond(StatusCode::OK, &page, origin.as_deref(), &cookies);
    }

    // The last step: of racing submissions, one finishes the sign-in.
    let pending: Pending = state
        .login_states
        .take(binding.csrf, binding.browser)
        .await?
        .ok_or_else(PageError::expired)?;
    let request = &pending.request;
    let code = state
        .codes
        .issue(&CodeGrant {
            client_id: request.client_id.clone(),
            redirect_uri: request.redirect_uri.clone(),
            code_challenge: request.code_challenge.clone(),
            nonce: request.nonce.clone(),
            user: user.id,
            tenant,
            scope: scopes.to_string(),
            oidc: request.oidc,
            auth: signed_in.auth,
        })
        .await?;
    if let Some(tenant) = tenant {
        let tx = TenantTx::begin(&state.db, tenant, Mode::ReadWrite).await?;
        let details = serde_json::json!({
            "client_id": request.client_id,
            "scope": scopes.to_string(),
        });
        let target = Target::User(user.id);
        crate::work::record(
            &tx,
            user.id.0,
            client,
            Action::LoginSucceeded,
            target,
            details,
        )
        .await?;
        tx.commit().await?;
    }
    let mut response = redirect(
        state,
        &request.redirect_uri,
        &[
            ("code", Some(code.as_str())),
            ("state", request.state.as_deref()),
        ],
    );
    for cookie in cookies {
        response
            .add_cookie(&cookie)
            .map_err(|e| ApiError::Internal(e.into()))?;
    }
    Ok(response)
}

/// The user (if active) and their memberships, read together.
async fn user_and_grants(
    state: &AppState,
    signed_in: SignedIn,
) -> Result<(Option<User>, Vec<Grant>), PageError> {
    let tx = Tx::as_user(&state.db, signed_in.user, Mode::ReadOnly).await?;
    let (user, grants) = futures_util::future::try_join(
        users::find(&tx, signed_in.user),
        memberships::grants_of_user(&tx, signed_in.user),
    )
    .await?;
    Ok((user.filter(|u| u.status == UserStatus::Active), grants))
}

/// What the consent page lists: each permission's description, then the OIDC scopes'.
fn asked(scopes: ScopeSet, pending: &Pending) -> Vec<String> {
    let mut asked: Vec<String> = scopes.iter().map(|s| s.description().to_owned()).collect();
    let oidc = pending.request.oidc;
    if oidc.openid {
        asked.push("Know who you are (your account's identifier)".into());
    }
    if oidc.email {
        asked.push("See your email address".into());
    }
    if oidc.profile {
        asked.push("See your display name".into());
    }
    asked
}

/// RFC 6749 §4.1.2.1: an error sent back to the client's registered redirect URI, with
/// the request's `state` (the sign-in ends).
pub fn refuse(
    state: &AppState,
    pending: &Pending,
    error: AuthorizeError,
    description: &str,
) -> HttpResponse {
    let request = &pending.request;
    redirect(
        state,
        &request.redirect_uri,
        &[
            ("error", Some(error.as_str())),
            ("error_description", Some(description)),
            ("state", request.state.as_deref()),
        ],
    )
}

/// A 303 to `redirect_uri` with `params` added to its query, and `iss` (RFC 9207: the
/// client can tell which authorization server answered, against mix-up attacks).
pub fn redirect(
    state: &AppState,
    redirect_uri: &str,
    params: &[(&str, Option<&str>)],
) -> HttpResponse {
    let location = match Url::parse(redirect_uri) {
        Ok(mut url) => {
            {
                let mut query = url.query_pairs_mut();
                for (name, value) in params {
                    if let Some(value) = value {
                        query.append_pair(name, value);
                    }
                }
                query.append_pair("iss", &state.config.issuer());
            }
            url.to_string()
        }
        // Registered URIs are parsed on registration; this cannot happen.
        Err(_) => redirect_uri.to_owned(),
    };
    HttpResponse::SeeOther()
        .insert_header((LOCATION, location))
        .insert_header((CACHE_CONTROL, "no-store"))
        .finish()
}

/// The origin a page's forms may end up redirected to (its CSP `form-action`).
pub fn redirect_origin(redirect_uri: &str) -> Option<String> {
    Url::parse(redirect_uri)
        .ok()
        .map(|url| url.origin().ascii_serialization())
        .filter(|origin| origin != "null")
}

/// The cookie set after a password: the sign-in session.
pub fn session_cookie(state: &AppState, token: String) -> Cookie<'static> {
    Cookies::new(&state.config).session(token, state.sessions.settings().idle_ttl)
}
