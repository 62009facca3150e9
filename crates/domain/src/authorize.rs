//! The authorization request (`GET /oauth/authorize`, RFC 6749 §4.1.1, RFC 7636 §4.3,
//! OIDC Core §3.1.2.1, SPEC §11), parsed into what the sign-in needs or refused the way
//! RFC 6749 §4.1.2.1 requires: an unknown client or an unregistered redirect URI is told
//! to the user and never redirected (the URI may be an attacker's); every other fault is
//! redirected back to the client with an error code and the request's `state`.

use crate::client::RedirectUri;
use crate::permission::{ScopeSet, UnknownScope};
use serde::{Deserialize, Serialize};

/// The request's parameters as sent (each at most once: the HTTP layer refuses repeats).
#[derive(Debug, Default, Clone)]
pub struct AuthorizeParams {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub scope: Option<String>,
    pub nonce: Option<String>,
    pub tenant: Option<String>,
    pub login_hint: Option<String>,
    pub prompt: Option<String>,
}

/// What the parser needs to know of the client the request names.
pub struct ClientFacts<'a> {
    pub redirect_uris: &'a [String],
}

/// OIDC scopes: a set apart from the permission catalog (SPEC §11).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OidcScopes {
    pub openid: bool,
    pub email: bool,
    pub profile: bool,
}

impl OidcScopes {
    /// Sets `name`'s flag if it is an OIDC scope; `false` for any other name.
    fn take(&mut self, name: &str) -> bool {
        match name {
            "openid" => self.openid = true,
            "email" => self.email = true,
            "profile" => self.profile = true,
            _ => return false,
        }
        true
    }

    pub fn names(self) -> impl Iterator<Item = &'static str> {
        [
            (self.openid, "openid"),
            (self.email, "email"),
            (self.profile, "profile"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
    }

    pub fn is_subset_of(self, other: OidcScopes) -> bool {
        (!self.openid || other.openid)
            && (!self.email || other.email)
            && (!self.profile || other.profile)
    }

    /// `scope` on the wire: the permissions, then the OIDC scopes (SPEC §11: carried in
    /// the access token's `scope` when requested).
    pub fn with_permissions(self, permissions: ScopeSet) -> String {
        let mut scope = permissions.to_string();
        for name in self.names() {
            if !scope.is_empty() {
                scope.push(' ');
            }
            scope.push_str(name);
        }
        scope
    }
}

/// A token's space-delimited `scope` split into the permission catalog's part and the
/// OIDC scopes beside it; any other name is unknown.
pub fn split_scope(text: &str) -> Result<(ScopeSet, OidcScopes), UnknownScope> {
    let mut oidc = OidcScopes::default();
    let permissions: Vec<&str> = text
        .split(' ')
        .filter(|name| !name.is_empty() && !oidc.take(name))
        .collect();
    Ok((ScopeSet::parse_names(&permissions)?, oidc))
}

/// `prompt` (OIDC Core §3.1.2.1): `login` asks for the password again, `none` must not
/// show anything.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Prompt {
    #[default]
    Default,
    Login,
    None,
}

/// A request that may proceed to sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub state: Option<String>,
    /// The S256 challenge (RFC 7636).
    pub code_challenge: String,
    /// The permissions asked for; `None`: all the user holds in the tenant (also when only
    /// OIDC scopes were asked for).
    pub permissions: Option<ScopeSet>,
    pub oidc: OidcScopes,
    pub nonce: Option<String>,
    pub tenant: Option<String>,
    pub login_hint: Option<String>,
    pub prompt: Prompt,
}

/// RFC 6749 §4.1.2.1 and OIDC Core §3.1.2.6 error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorizeError {
    InvalidRequest,
    UnsupportedResponseType,
    InvalidScope,
    LoginRequired,
    /// `prompt=none`, but the user must choose a tenant (OIDC Core §3.1.2.6).
    InteractionRequired,
    /// `prompt=none`, but the client needs the user's consent.
    ConsentRequired,
    AccessDenied,
}

impl AuthorizeError {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthorizeError::InvalidRequest => "invalid_request",
            AuthorizeError::UnsupportedResponseType => "unsupported_response_type",
            AuthorizeError::InvalidScope => "invalid_scope",
            AuthorizeError::LoginRequired => "login_required",
            AuthorizeError::InteractionRequired => "interaction_required",
            AuthorizeError::ConsentRequired => "consent_required",
            AuthorizeError::AccessDenied => "access_denied",
        }
    }
}

/// Why a request cannot proceed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Shown to the user on a page of the authorization server (400), never redirected.
    Page(&'static str),
    /// Sent back to `redirect_uri` with `error`, `error_description` and `state`.
    Redirect {
        redirect_uri: String,
        state: Option<String>,
        error: AuthorizeError,
        description: String,
    },
}

const MAX_STATE: usize = 1024;
const MAX_NONCE: usize = 256;
const MAX_HINT: usize = 254;

/// Parses `params` for `client` (`None`: no client has that `client_id`).
pub fn parse(
    params: &AuthorizeParams,
    client: Option<&ClientFacts<'_>>,
) -> Result<AuthorizationRequest, Refusal> {
    let client_id = params
        .client_id
        .as_deref()
        .ok_or(Refusal::Page("The request names no client (client_id)."))?;
    let client = client.ok_or(Refusal::Page(
        "No application is registered with this client_id.",
    ))?;
    // §3.1.2.3 would allow omitting it with one registered URI; RFC 9700 §2.1 wants the
    // exact URI every time.
    let raw_uri = params.redirect_uri.as_deref().ok_or(Refusal::Page(
        "The request names no redirect_uri, so there is nowhere safe to return to.",
    ))?;
    let redirect_uri = RedirectUri::parse(raw_uri)
        .ok()
        .filter(|uri| client.redirect_uris.iter().any(|r| r == uri.as_str()))
        .ok_or(Refusal::Page(
            "This redirect_uri is not registered for the application, so the sign-in stops here.",
        ))?;
    let state = params.state.clone();
    let refuse = |error: AuthorizeError, description: &str| Refusal::Redirect {
        redirect_uri: redirect_uri.as_str().to_owned(),
        state: state.clone(),
        error,
        description: description.to_owned(),
    };
    use AuthorizeError::*;
    if state.as_ref().is_some_and(|s| s.len() > MAX_STATE) {
        return Err(refuse(InvalidRequest, "state is longer than 1024 bytes"));
    }
    match params.response_type.as_deref() {
        Some("code") => {}
        None => return Err(refuse(InvalidRequest, "response_type is required")),
        Some(_) => {
            return Err(refuse(
                UnsupportedResponseType,
                "only response_type=code is supported",
            ));
        }
    }
    let code_challenge = match (
        params.code_challenge.as_deref(),
        params.code_challenge_method.as_deref(),
    ) {
        (None, _) => {
            return Err(refuse(
                InvalidRequest,
                "PKCE is required: code_challenge with S256",
            ));
        }
        (Some(_), Some("S256")) => params.code_challenge.clone().unwrap_or_default(),
        (Some(_), _) => {
            return Err(refuse(
                InvalidRequest,
                "code_challenge_method must be S256 (plain is not accepted)",
            ));
        }
    };
    if !is_s256_challenge(&code_challenge) {
        return Err(refuse(
            InvalidRequest,
            "code_challenge is not an S256 challenge",
        ));
    }
    let (permissions, oidc) = parse_requested_scope(params.scope.as_deref())
        .map_err(|unknown| refuse(InvalidScope, &unknown.to_string()))?;
    let prompt = match params.prompt.as_deref() {
        None => Prompt::Default,
        Some("login") => Prompt::Login,
        Some("none") => Prompt::None,
        Some(_) => return Err(refuse(InvalidRequest, "prompt must be login or none")),
    };
    if params.nonce.as_ref().is_some_and(|n| n.len() > MAX_NONCE) {
        return Err(refuse(InvalidRequest, "nonce is longer than 256 bytes"));
    }
    if params
        .login_hint
        .as_ref()
        .is_some_and(|h| h.len() > MAX_HINT)
    {
        return Err(refuse(
            InvalidRequest,
            "login_hint is longer than 254 bytes",
        ));
    }
    Ok(AuthorizationRequest {
        client_id: client_id.to_owned(),
        redirect_uri: redirect_uri.as_str().to_owned(),
        state,
        code_challenge,
        permissions,
        oidc,
        nonce: params.nonce.clone(),
        tenant: params.tenant.clone(),
        login_hint: params.login_hint.clone(),
        prompt,
    })
}

/// An S256 `code_challenge`: 43 base64url characters, a SHA-256 digest (RFC 7636 §4.2).
pub fn is_s256_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        // 256 bits in 43 characters: the last carries 4 bits, its low 2 are zero.
        && challenge
            .bytes()
            .last()
            .is_some_and(|b| b"AEIMQUYcgkosw048".contains(&b))
}

/// The permissions and the OIDC scopes of a requested space-delimited `scope` (of an
/// authorization or token request); an unknown name is the error. Only OIDC scopes (or
/// none) means every permission: `None` (SPEC §11).
pub fn parse_requested_scope(
    scope: Option<&str>,
) -> Result<(Option<ScopeSet>, OidcScopes), UnknownScope> {
    let (set, oidc) = split_scope(scope.unwrap_or_default())?;
    let only_oidc = set.is_empty();
    Ok((if only_oidc { None } else { Some(set) }, oidc))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    const URI: &str = "https://app.example.com/callback";

    fn params() -> AuthorizeParams {
        AuthorizeParams {
            response_type: Some("code".into()),
            client_id: Some("spa".into()),
            redirect_uri: Some(URI.into()),
            state: Some("af0ifjsldkj".into()),
            code_challenge: Some(CHALLENGE.into()),
            code_challenge_method: Some("S256".into()),
            ..Default::default()
        }
    }

    fn registered() -> Vec<String> {
        vec![URI.to_owned()]
    }

    fn refusal(p: AuthorizeParams) -> Refusal {
        let uris = registered();
        parse(
            &p,
            Some(&ClientFacts {
                redirect_uris: &uris,
            }),
        )
        .unwrap_err()
    }

    fn redirected(p: AuthorizeParams) -> AuthorizeError {
        match refusal(p) {
            Refusal::Redirect {
                error,
                state,
                redirect_uri,
                ..
            } => {
                assert_eq!(redirect_uri, URI);
                assert_eq!(state.as_deref(), Some("af0ifjsldkj"), "state travels back");
                error
            }
            page => panic!("expected a redirect, got {page:?}"),
        }
    }

    #[test]
    fn a_complete_request_proceeds() {
        let uris = registered();
        let request = parse(
            &params(),
            Some(&ClientFacts {
                redirect_uris: &uris,
            }),
        )
        .unwrap();
        assert_eq!(request.redirect_uri, URI);
        assert_eq!(request.code_challenge, CHALLENGE);
        assert_eq!(request.permissions, None);
        assert_eq!(request.prompt, Prompt::Default);
    }

    #[test]
    fn unknown_clients_and_unregistered_uris_are_never_redirected_to() {
        assert!(matches!(parse(&params(), None), Err(Refusal::Page(_))));
        for uri in [
            "https://evil.example/callback",
            "https://app.example.com/callback/../x",
            "https://app.example.com/callback?extra=1",
            "https://app.example.com/callbackx",
            "http://app.example.com/callback",
            "not a uri",
        ] {
            let p = AuthorizeParams {
                redirect_uri: Some(uri.into()),
                ..params()
            };
            assert!(matches!(refusal(p), Refusal::Page(_)), "{uri}");
        }
        let p = AuthorizeParams {
            redirect_uri: None,
            ..params()
        };
        assert!(matches!(refusal(p), Refusal::Page(_)));
        let p = AuthorizeParams {
            client_id: None,
            ..params()
        };
        assert!(matches!(parse(&p, None), Err(Refusal::Page(_))));
    }

    #[test]
    fn the_registered_uri_matches_once_normalised() {
        let uris = registered();
        let p = AuthorizeParams {
            redirect_uri: Some("HTTPS://APP.example.com:443/callback".into()),
            ..params()
        };
        assert!(
            parse(
                &p,
                Some(&ClientFacts {
                    redirect_uris: &uris
                })
            )
            .is_ok()
        );
    }

    #[test]
    fn pkce_is_required_and_s256_only() {
        use AuthorizeError::*;
        assert_eq!(
            redirected(AuthorizeParams {
                code_challenge: None,
                ..params()
            }),
            InvalidRequest
        );
        for method in [None, Some("plain"), Some("s256")] {
            let p = AuthorizeParams {
                code_challenge_method: method.map(Into::into),
                ..params()
            };
            assert_eq!(redirected(p), InvalidRequest, "{method:?}");
        }
        for challenge in [
            "short",
            &"a".repeat(44),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN",
        ] {
            let p = AuthorizeParams {
                code_challenge: Some(challenge.into()),
                ..params()
            };
            assert_eq!(redirected(p), InvalidRequest, "{challenge}");
        }
    }

    #[test]
    fn other_faults_go_back_to_the_client_with_their_code() {
        use AuthorizeError::*;
        assert_eq!(
            redirected(AuthorizeParams {
                response_type: Some("token".into()),
                ..params()
            }),
            UnsupportedResponseType
        );
        assert_eq!(
            redirected(AuthorizeParams {
                response_type: None,
                ..params()
            }),
            InvalidRequest
        );
        assert_eq!(
            redirected(AuthorizeParams {
                scope: Some("projects:read nope".into()),
                ..params()
            }),
            InvalidScope
        );
        assert_eq!(
            redirected(AuthorizeParams {
                prompt: Some("consent".into()),
                ..params()
            }),
            InvalidRequest
        );
        assert_eq!(
            redirected(AuthorizeParams {
                nonce: Some("n".repeat(257)),
                ..params()
            }),
            InvalidRequest
        );
        let long_state = AuthorizeParams {
            state: Some("s".repeat(1025)),
            ..params()
        };
        assert!(matches!(
            refusal(long_state),
            Refusal::Redirect {
                error: InvalidRequest,
                ..
            }
        ));
    }

    #[test]
    fn oidc_scopes_are_apart_from_permissions() {
        let uris = registered();
        let facts = ClientFacts {
            redirect_uris: &uris,
        };
        let only_oidc = AuthorizeParams {
            scope: Some("openid email".into()),
            ..params()
        };
        let request = parse(&only_oidc, Some(&facts)).unwrap();
        assert_eq!(
            request.permissions, None,
            "only OIDC scopes: every permission"
        );
        assert!(request.oidc.openid && request.oidc.email && !request.oidc.profile);
        let mixed = AuthorizeParams {
            scope: Some("openid projects:read".into()),
            ..params()
        };
        let request = parse(&mixed, Some(&facts)).unwrap();
        assert_eq!(request.permissions.unwrap().to_string(), "projects:read");
        let prompt = AuthorizeParams {
            prompt: Some("none".into()),
            ..params()
        };
        assert_eq!(parse(&prompt, Some(&facts)).unwrap().prompt, Prompt::None);
    }
}
