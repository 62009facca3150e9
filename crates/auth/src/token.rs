//! Access tokens: JWTs (RFC 9068 profile: `typ: at+jwt`) signed by the newest key of a key
//! ring and verified by any of its keys, with the public halves published as a JWKS.
//!
//! Verification is strict where `jsonwebtoken`'s defaults are lax: the algorithm set is
//! pinned to the ring's one algorithm (the token's own `alg` is never trusted), `typ` must
//! be `at+jwt`, the `kid` must name a key of the ring, `iss`, `aud`, `exp`, `nbf`, `iat`,
//! `sub`, `sid` and `jti` are all required, `nbf` is checked, and leeway is 5 s, not 60.

use domain::{SessionId, TenantId, UserId};
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{
    Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, decode_header, encode,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;
use uuid::Uuid;

pub const ACCESS_TOKEN_TYP: &str = "at+jwt";
const LEEWAY_SECS: u64 = 5;
/// NIST SP 800-131A: RSA below 2048 bits is disallowed for signatures.
const MIN_RSA_BITS: usize = 2048;

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    /// The user.
    pub sub: UserId,
    /// The tenant; absent for a tenant-less token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tid: Option<TenantId>,
    /// Space-delimited scopes.
    pub scope: String,
    /// The session (refresh-token family).
    pub sid: SessionId,
    /// UUIDv7: also the issue time in milliseconds, which "not before" marks compare with.
    pub jti: Uuid,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    /// When the user authenticated for the session (OIDC Core §2), Unix seconds.
    #[serde(default)]
    pub auth_time: i64,
    /// How (RFC 8176): `pwd`, `otp`, `fed`.
    #[serde(default)]
    pub amr: Vec<String>,
}

impl AccessClaims {
    /// The issue time in Unix milliseconds, from the UUIDv7 `jti`.
    pub fn issued_at_ms(&self) -> i64 {
        self.jti
            .get_timestamp()
            .map(|ts| {
                let (secs, nanos) = ts.to_unix();
                secs as i64 * 1000 + i64::from(nanos / 1_000_000)
            })
            .unwrap_or(self.iat * 1000)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("the token is malformed")]
    Malformed,
    #[error("the token is not an access token")]
    WrongType,
    #[error("the token is signed by an unknown key")]
    UnknownKey,
    #[error("the token is signed with an algorithm that is not accepted")]
    WrongAlgorithm,
    #[error("the token signature is invalid")]
    BadSignature,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token was issued for another audience or by another issuer")]
    WrongAudienceOrIssuer,
    #[error("the token lacks a required claim")]
    MissingClaim,
}

#[derive(Debug, thiserror::Error)]
#[error("signing keys: {0}")]
pub struct KeyError(pub String);

pub(crate) struct RingKey {
    kid: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
    public: Option<Jwk>,
}

/// The signing and verifying keys. One signs (the newest), all verify.
pub struct KeyRing {
    algorithm: Algorithm,
    keys: Vec<RingKey>,
    validation: Validation,
    verified: crate::verified_tokens::VerifiedTokens,
}

impl KeyRing {
    /// HS256 with one shared secret (at least 32 bytes). Its `kid` is derived from the
    /// secret's hash, so rotating the secret changes the `kid`. Nothing is published.
    pub fn hs256(secret: &[u8], issuer: &str, audience: &str) -> Result<Self, KeyError> {
        if secret.len() < 32 {
            return Err(KeyError("an HS256 secret must be at least 32 bytes".into()));
        }
        let digest = Sha256::digest([b"gatehouse-kid:".as_slice(), secret].concat());
        let kid = format!("hs256-{}", hex(&digest[..6]));
        let key = RingKey {
            kid,
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            public: None,
        };
        Ok(Self::assemble(
            Algorithm::HS256,
            vec![key],
            issuer,
            audience,
        ))
    }

    /// EdDSA (Ed25519) or RS256 from every `*.pem` private key (PKCS#8) in `dir`; the file
    /// stem is the `kid`, and the last in name order signs.
    pub fn from_pem_dir(
        algorithm: Algorithm,
        dir: &Path,
        issuer: &str,
        audience: &str,
    ) -> Result<Self, KeyError> {
        let files = pem_files(dir)?;
        if files.is_empty() {
            return Err(KeyError(format!("no *.pem key in {}", dir.display())));
        }
        let keys = files
            .iter()
            .map(|file| {
                Self::pem_key(algorithm, &file.kid, &file.pem)
                    .map_err(|e| KeyError(format!("{}: {}", file.path.display(), e.0)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::assemble(algorithm, keys, issuer, audience))
    }

    pub(crate) fn pem_key(
        algorithm: Algorithm,
        kid: &str,
        pem: &[u8],
    ) -> Result<RingKey, KeyError> {
        let encoding = match algorithm {
            Algorithm::EdDSA => EncodingKey::from_ed_pem(pem),
            Algorithm::RS256 => EncodingKey::from_rsa_pem(pem),
            other => {
                return Err(KeyError(format!(
                    "{other:?} keys do not come from PEM files"
                )));
            }
        }
        .map_err(|e| KeyError(e.to_string()))?;
        let mut public =
            Jwk::from_encoding_key(&encoding, algorithm).map_err(|e| KeyError(e.to_string()))?;
        if let AlgorithmParameters::RSA(rsa) = &public.algorithm {
            let bits = rsa_modulus_bits(&rsa.n)?;
            if bits < MIN_RSA_BITS {
                return Err(KeyError(format!(
                    "an RSA key must have at least {MIN_RSA_BITS} bits, this one has {bits}"
                )));
            }
        }
        public.common.key_id = Some(kid.to_owned());
        public.common.public_key_use = Some(PublicKeyUse::Signature);
        let decoding = DecodingKey::from_jwk(&public).map_err(|e| KeyError(e.to_string()))?;
        Ok(RingKey {
            kid: kid.to_owned(),
            encoding,
            decoding,
            public: Some(public),
        })
    }

    pub(crate) fn assemble(
        algorithm: Algorithm,
        keys: Vec<RingKey>,
        issuer: &str,
        audience: &str,
    ) -> Self {
        Self {
            algorithm,
            keys,
            validation: strict_validation(algorithm, issuer, audience),
            verified: crate::verified_tokens::VerifiedTokens::new(8192),
        }
    }

    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The verifying key of `kid`.
    pub(crate) fn decoding_key(&self, kid: &str) -> Option<&DecodingKey> {
        self.keys.iter().find(|k| k.kid == kid).map(|k| &k.decoding)
    }

    pub fn sign(&self, claims: &AccessClaims) -> Result<String, KeyError> {
        self.sign_jwt(ACCESS_TOKEN_TYP, claims)
    }

    /// Signs `claims` with the newest key, as a JWT of type `typ`.
    pub(crate) fn sign_jwt<T: Serialize>(&self, typ: &str, claims: &T) -> Result<String, KeyError> {
        let key = self
            .keys
            .last()
            .ok_or_else(|| KeyError("empty key ring".into()))?;
        let mut header = Header::new(self.algorithm);
        header.typ = Some(typ.into());
        header.kid = Some(key.kid.clone());
        encode(&header, claims, &key.encoding).map_err(|e| KeyError(e.to_string()))
    }

    /// [`verify`](Self::verify), remembering tokens that pass (see `verified_tokens`): the
    /// request hot path.
    pub fn verify_cached(&self, token: &str) -> Result<std::sync::Arc<AccessClaims>, TokenError> {
        let now = chrono::Utc::now().timestamp();
        if let Some(claims) = self.verified.get(token, now) {
            return Ok(claims);
        }
        let claims = std::sync::Arc::new(self.verify(token)?);
        self.verified.insert(token, claims.clone(), now);
        Ok(claims)
    }

    pub fn verify(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let header = decode_header(token).map_err(|_| TokenError::Malformed)?;
        // RFC 8725 §3.1: the algorithm is ours to choose, never the token's.
        if header.alg != self.algorithm {
            return Err(TokenError::WrongAlgorithm);
        }
        // RFC 9068 §4: reject JWTs of other types (ID tokens, logout tokens, …).
        if !header.typ.as_deref().is_some_and(|t| {
            t.eq_ignore_ascii_case(ACCESS_TOKEN_TYP) || t.eq_ignore_ascii_case("application/at+jwt")
        }) {
            return Err(TokenError::WrongType);
        }
        let kid = header.kid.ok_or(TokenError::UnknownKey)?;
        let key = self
            .keys
            .iter()
            .find(|k| k.kid == kid)
            .ok_or(TokenError::UnknownKey)?;
        decode::<AccessClaims>(token, &key.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|error| {
                use jsonwebtoken::errors::ErrorKind::*;
                match error.kind() {
                    ExpiredSignature => TokenError::Expired,
                    ImmatureSignature => TokenError::NotYetValid,
                    InvalidAudience | InvalidIssuer => TokenError::WrongAudienceOrIssuer,
                    InvalidSignature => TokenError::BadSignature,
                    InvalidAlgorithm => TokenError::WrongAlgorithm,
                    MissingRequiredClaim(_) => TokenError::MissingClaim,
                    _ => TokenError::Malformed,
                }
            })
    }

    /// RFC 7517 JWK Set of the public keys (empty for HS256: a shared secret is never
    /// published).
    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: self.keys.iter().filter_map(|k| k.public.clone()).collect(),
        }
    }
}

/// The validation every verifier of Gatehouse tokens should use; public so that tests and
/// other services can build theirs from a JWKS.
pub fn strict_validation(algorithm: Algorithm, issuer: &str, audience: &str) -> Validation {
    let mut validation = Validation::new(algorithm);
    validation.algorithms = vec![algorithm];
    validation.leeway = LEEWAY_SECS;
    validation.validate_exp = true;
    validation.validate_nbf = true;
    validation.validate_aud = true;
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
    validation
}

/// The bit length of an RSA modulus given as a JWK `n` (base64url, big-endian).
fn rsa_modulus_bits(n: &str) -> Result<usize, KeyError> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(n.trim_end_matches('='))
        .map_err(|e| KeyError(format!("RSA modulus: {e}")))?;
    let Some(first) = bytes.iter().position(|&b| b != 0) else {
        return Ok(0);
    };
    Ok((bytes.len() - first) * 8 - bytes[first].leading_zeros() as usize)
}

/// One `*.pem` file of a key directory: its `kid` is the file stem.
pub(crate) struct PemFile {
    pub path: std::path::PathBuf,
    pub kid: String,
    pub pem: Vec<u8>,
}

/// Every `*.pem` of `dir`, in name order (the last one signs).
pub(crate) fn pem_files(dir: &Path) -> Result<Vec<PemFile>, KeyError> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| KeyError(format!("{}: {e}", dir.display())))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|ext| ext == "pem"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let pem =
                std::fs::read(&path).map_err(|e| KeyError(format!("{}: {e}", path.display())))?;
            let kid = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            Ok(PemFile { path, kid, pem })
        })
        .collect()
}

/// The key fixtures of the test suite (`tests/fixtures/keys/<name>`).
#[cfg(test)]
pub(crate) fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/keys")
        .join(name)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsa_keys_under_2048_bits_are_refused() {
        let error = KeyRing::from_pem_dir(Algorithm::RS256, &fixture("rsa1024"), "iss", "aud")
            .err()
            .expect("a 1024-bit key is refused");
        assert!(error.0.contains("2048"), "{error}");
        assert!(error.0.contains("1024"), "{error}");
    }

    #[test]
    fn rsa_keys_of_2048_bits_load() {
        let ring =
            KeyRing::from_pem_dir(Algorithm::RS256, &fixture("rs256"), "iss", "aud").unwrap();
        assert_eq!(ring.jwks().keys.len(), 1);
    }

    #[test]
    fn modulus_bits_ignore_leading_zero_bytes() {
        use base64::Engine;
        let encode = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
        assert_eq!(rsa_modulus_bits(&encode(&[0, 0x80, 0])).unwrap(), 16);
        assert_eq!(rsa_modulus_bits(&encode(&[0x01, 0xff])).unwrap(), 9);
    }
}
