//! A sign-in between the login page's steps, as kept in `auth::login_state`.

use domain::authorize::AuthorizationRequest;
use domain::{Authentication, SessionId, TenantId, UserId};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    /// What `/oauth/authorize` was asked, parsed.
    pub request: AuthorizationRequest,
    /// The client's name and whether it skips consent, as registered when it started.
    pub client_name: String,
    pub first_party: bool,
    /// Who signed in, how and with which sign-in session, once known.
    pub user: Option<SignedIn>,
    /// The tenant chosen (`Some(None)`: tenant-less), once known.
    pub tenant: Option<Option<TenantId>>,
    pub consented: bool,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct SignedIn {
    pub user: UserId,
    pub auth: Authentication,
    pub session: SessionId,
}
