//! One OAuth client registration (SPEC §11), parsed once for every way a client is made:
//! `POST /api/v1/platform/clients`, `gatehouse create-client` and the development seed.

use domain::client::check_delivery;
use domain::{ClientId, ClientName, ClientType, RefreshDelivery, ValidationError};
use persistence::repo::oauth_clients::NewOAuthClient;

/// A client as asked for, unchecked.
#[derive(Debug, Clone)]
pub struct ClientSpec {
    pub client_id: String,
    pub name: String,
    pub client_type: ClientType,
    pub redirect_uris: Vec<String>,
    pub allowed_origins: Vec<String>,
    pub refresh_delivery: RefreshDelivery,
    pub first_party: bool,
    pub post_logout_redirect_uris: Vec<String>,
}

/// A client ready to store: every rule checked, URIs and origins normalised, and a new
/// secret for a confidential client (256 random bits, stored as its SHA-256).
pub struct Registration {
    client_id: ClientId,
    name: ClientName,
    client_type: ClientType,
    redirect_uris: Vec<String>,
    allowed_origins: Vec<String>,
    refresh_delivery: RefreshDelivery,
    first_party: bool,
    post_logout_redirect_uris: Vec<String>,
    secret: Option<String>,
    secret_hash: Option<String>,
}

impl Registration {
    pub fn parse(spec: &ClientSpec) -> Result<Self, ValidationError> {
        if spec.redirect_uris.is_empty() {
            return Err(ValidationError::new(
                "redirect_uris",
                "a client needs a redirect URI",
            ));
        }
        let allowed_origins = crate::validate::normalise_origins(&spec.allowed_origins)?;
        check_delivery(spec.refresh_delivery, &allowed_origins)?;
        let secret =
            (spec.client_type == ClientType::Confidential).then(|| auth::random::token(32));
        Ok(Self {
            client_id: ClientId::parse(&spec.client_id)?,
            name: ClientName::parse(&spec.name)?,
            client_type: spec.client_type,
            redirect_uris: crate::validate::normalise_redirect_uris(&spec.redirect_uris)?,
            allowed_origins,
            refresh_delivery: spec.refresh_delivery,
            first_party: spec.first_party,
            post_logout_redirect_uris: crate::validate::normalise_redirect_uris(
                &spec.post_logout_redirect_uris,
            )?,
            secret_hash: secret.as_deref().map(auth::api_key::hash_secret),
            secret,
        })
    }

    /// The secret, for the one answer that shows it.
    pub fn into_secret(self) -> Option<String> {
        self.secret
    }

    pub fn new_client(&self) -> NewOAuthClient<'_> {
        NewOAuthClient {
            id: uuid::Uuid::now_v7(),
            client_id: self.client_id.as_str(),
            name: self.name.as_str(),
            client_type: self.client_type,
            secret_hash: self.secret_hash.as_deref(),
            redirect_uris: &self.redirect_uris,
            allowed_origins: &self.allowed_origins,
            refresh_delivery: self.refresh_delivery,
            first_party: self.first_party,
            post_logout_redirect_uris: &self.post_logout_redirect_uris,
        }
    }
}
