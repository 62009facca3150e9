//! `GET /oauth/authorize` (RFC 6749 §4.1.1, RFC 7636, OIDC Core §3.1.2, SPEC §11): the
//! browser arrives here from a client. A request that names no registered client and
//! redirect URI is stopped on a page; any other fault goes back to the client; a valid
//! one continues at the login page, or straight to a code when the browser's sign-in
//! session is live and `prompt` allows.

use crate::handlers::client::ClientInfo;
use crate::signin::cookies::Cookies;
use crate::signin::flow::{self, Binding};
use crate::signin::page_error::PageError;
use crate::signin::pages::{self, LoginPage, PRODUCT};
use crate::signin::pending::{Pending, SignedIn};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use auth::login_state::LoginStates;
use domain::authorize::{self, AuthorizeError, AuthorizeParams, ClientFacts, Prompt, Refusal};
use persistence::repo::oauth_clients;
use persistence::{Mode, Tx};

pub async fn authorize(
    state: web::Data<AppState>,
    req: HttpRequest,
    client: ClientInfo,
) -> Result<HttpResponse, PageError> {
    let params = read_params(req.query_string())?;
    let registered = match &params.client_id {
        Some(id) if id.len() <= 64 => {
            oauth_clients::find(&Tx::global(&state.db, Mode::ReadOnly).await?, id).await?
        }
        _ => None,
    };
    let facts = registered.as_ref().map(|c| ClientFacts {
        redirect_uris: &c.redirect_uris,
    });
    let request = match authorize::parse(&params, facts.as_ref()) {
        Ok(request) => request,
        Err(Refusal::Page(message)) => return Err(PageError::bad_request(message)),
        Err(Refusal::Redirect {
            redirect_uri,
            state: client_state,
            error,
            description,
        }) => {
            return Ok(flow::redirect(
                &state,
                &redirect_uri,
                &[
                    ("error", Some(error.as_str())),
                    ("error_description", Some(&description)),
                    ("state", client_state.as_deref()),
                ],
            ));
        }
    };
    let Some(registered) = registered else {
        return Err(PageError::bad_request("unknown client"));
    };
    let mut pending = Pending {
        request,
        client_name: registered.name,
        first_party: registered.first_party,
        user: None,
        tenant: None,
        consented: false,
    };
    if pending.request.oidc.openid && !state.keys_for_id_tokens() {
        return Ok(flow::refuse(
            &state,
            &pending,
            AuthorizeError::InvalidScope,
            "openid is not available: this server has no key to sign ID tokens",
        ));
    }

    let cookies = Cookies::new(&state.config);
    if pending.request.prompt != Prompt::Login {
        pending.user = live_sign_in(&state, &req).await?;
    }
    if pending.user.is_none() && pending.request.prompt == Prompt::None {
        return Ok(flow::refuse(
            &state,
            &pending,
            AuthorizeError::LoginRequired,
            "the user is not signed in",
        ));
    }

    // One binding per browser, reused by its concurrent sign-ins (several tabs).
    let browser = Cookies::read(&req, &cookies.login_name())
        .filter(|b| b.len() == 43)
        .unwrap_or_else(LoginStates::new_binding);
    let csrf = state.login_states.start(&browser, &pending).await?;
    let set = vec![cookies.login(browser.clone())];
    if pending.user.is_some() {
        let binding = Binding {
            csrf: &csrf,
            browser: &browser,
        };
        return flow::proceed(&state, &client, binding, pending, set).await;
    }
    let page = LoginPage {
        product: PRODUCT,
        client_name: &pending.client_name,
        csrf: &csrf,
        email: pending.request.login_hint.as_deref().unwrap_or_default(),
        error: None,
    };
    let origin = flow::redirect_origin(&pending.request.redirect_uri);
    pages::respond(StatusCode::OK, &page, origin.as_deref(), &set)
}

/// The browser's sign-in session, if its cookie names a live one of an active user.
async fn live_sign_in(state: &AppState, req: &HttpRequest) -> Result<Option<SignedIn>, PageError> {
    let Some(session) = crate::signin::session::current(state, req).await? else {
        return Ok(None);
    };
    state.sessions.touch(&session).await?;
    Ok(Some(SignedIn {
        user: session.user,
        auth: session.auth,
        session: session.id,
    }))
}

/// The query's parameters, each at most once (RFC 6749 §3.1: "Request and response
/// parameters MUST NOT be included more than once"); a repeat is stopped here, since
/// which `redirect_uri` to trust would be ambiguous. Empty ones count as absent.
fn read_params(query: &str) -> Result<AuthorizeParams, PageError> {
    let mut params = AuthorizeParams::default();
    let mut seen = std::collections::HashSet::new();
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let slot = match name.as_ref() {
            "response_type" => &mut params.response_type,
            "client_id" => &mut params.client_id,
            "redirect_uri" => &mut params.redirect_uri,
            "state" => &mut params.state,
            "code_challenge" => &mut params.code_challenge,
            "code_challenge_method" => &mut params.code_challenge_method,
            "scope" => &mut params.scope,
            "nonce" => &mut params.nonce,
            "tenant" => &mut params.tenant,
            "login_hint" => &mut params.login_hint,
            "prompt" => &mut params.prompt,
            _ => continue,
        };
        if !seen.insert(name.clone()) {
            return Err(PageError::bad_request(format!(
                "The parameter {name} is repeated."
            )));
        }
        if !value.is_empty() {
            *slot = Some(value.into_owned());
        }
    }
    Ok(params)
}
