//! OpenID Connect ID tokens (OIDC Core §2, SPEC §11): signed with an asymmetric key even
//! when access tokens are HS256, because relying parties verify them with the published
//! JWKS and never share a secret. The newest RSA key of the key directory signs as RS256
//! (OIDC Discovery §3: RS256 must be offered; off-the-shelf clients expect it), or, with
//! no RSA key there, its newest Ed25519 key as EdDSA.

use crate::token::{KeyError, KeyRing};
use jsonwebtoken::Algorithm;
use jsonwebtoken::jwk::JwkSet;
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The claims of an ID token.
#[derive(Debug, Clone, Serialize)]
pub struct IdTokenClaims {
    pub iss: String,
    /// The user id.
    pub sub: String,
    /// The client id.
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub auth_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    pub amr: Vec<String>,
    /// The refresh session the token was issued with (OIDC Front-Channel Logout §3's
    /// `sid`): what RP-initiated logout ends.
    pub sid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// What an `id_token_hint` tells (RP-Initiated Logout §2).
#[derive(Debug, Clone, Deserialize)]
pub struct IdTokenHint {
    pub sub: String,
    pub aud: String,
    pub sid: String,
}

pub struct IdTokenKeys {
    ring: KeyRing,
    issuer: String,
}

impl IdTokenKeys {
    /// The ID-token keys of `dir`: every RSA key (the last in name order signs), else every
    /// Ed25519 key; `None` when it holds neither.
    pub fn from_pem_dir(dir: &Path, issuer: &str) -> Result<Option<Self>, KeyError> {
        let files = crate::token::pem_files(dir)?;
        for algorithm in [Algorithm::RS256, Algorithm::EdDSA] {
            // A key of the other kind does not parse as this one: it is skipped.
            let keys: Vec<_> = files
                .iter()
                .filter_map(|file| KeyRing::pem_key(algorithm, &file.kid, &file.pem).ok())
                .collect();
            if !keys.is_empty() {
                return Ok(Some(Self {
                    ring: KeyRing::assemble(algorithm, keys, issuer, ""),
                    issuer: issuer.to_owned(),
                }));
            }
        }
        Ok(None)
    }

    /// One RSA key given as PKCS#8 PEM.
    pub fn from_rsa_pem(kid: &str, pem: &[u8], issuer: &str) -> Result<Self, KeyError> {
        let key = KeyRing::pem_key(Algorithm::RS256, kid, pem)?;
        Ok(Self {
            ring: KeyRing::assemble(Algorithm::RS256, vec![key], issuer, ""),
            issuer: issuer.to_owned(),
        })
    }

    /// A new RSA-2048 private key, PKCS#8 PEM (development mode's key).
    pub fn generate_rsa_pem() -> Result<String, KeyError> {
        let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048)
            .map_err(|e| KeyError(e.to_string()))?;
        Ok(key
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| KeyError(e.to_string()))?
            .to_string())
    }

    pub fn algorithm(&self) -> Algorithm {
        self.ring.algorithm()
    }

    pub fn sign(&self, claims: &IdTokenClaims) -> Result<String, KeyError> {
        self.ring.sign_jwt("JWT", claims)
    }

    /// An ID token this server signed, read as a logout hint: signature, type and issuer
    /// are checked; expiry is not (RP-Initiated Logout §2: an expired one is still a fine
    /// hint of who is logging out).
    pub fn verify_hint(&self, token: &str) -> Result<IdTokenHint, KeyError> {
        let refused = |why: &str| KeyError(why.to_owned());
        let header = jsonwebtoken::decode_header(token).map_err(|_| refused("malformed"))?;
        if header.alg != self.ring.algorithm() || header.typ.as_deref() != Some("JWT") {
            return Err(refused("not an ID token of this server"));
        }
        let kid = header.kid.ok_or_else(|| refused("no kid"))?;
        let key = self
            .ring
            .decoding_key(&kid)
            .ok_or_else(|| refused("unknown kid"))?;
        let mut validation = jsonwebtoken::Validation::new(self.ring.algorithm());
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["iss", "sub", "aud"]);
        validation.set_issuer(&[&self.issuer]);
        jsonwebtoken::decode::<IdTokenHint>(token, key, &validation)
            .map(|data| data.claims)
            .map_err(|e| KeyError(e.to_string()))
    }

    /// The public keys, for the JWKS.
    pub fn jwks(&self) -> JwkSet {
        self.ring.jwks()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::fixture;

    #[test]
    fn rsa_keys_sign_as_rs256_and_ed25519_keys_as_eddsa() {
        let rsa = IdTokenKeys::from_pem_dir(&fixture("rs256"), "iss").unwrap();
        assert_eq!(rsa.unwrap().algorithm(), Algorithm::RS256);
        let ed = IdTokenKeys::from_pem_dir(&fixture("eddsa"), "iss").unwrap();
        assert_eq!(ed.unwrap().algorithm(), Algorithm::EdDSA);
        // A key below 2048 bits is no key for this.
        assert!(
            IdTokenKeys::from_pem_dir(&fixture("rsa1024"), "iss")
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn a_generated_key_loads_and_publishes_only_its_public_half() {
        let pem = IdTokenKeys::generate_rsa_pem().unwrap();
        let keys = IdTokenKeys::from_rsa_pem("dev", pem.as_bytes(), "iss").unwrap();
        let jwks = serde_json::to_value(keys.jwks()).unwrap();
        assert_eq!(jwks["keys"][0]["kty"], "RSA");
        assert!(
            jwks["keys"][0].get("d").is_none(),
            "private exponent published"
        );
    }
}
