//! API keys: `gk_<key_id>_<secret>_<checksum>`. The key id (8 × [a-z0-9]) is public and
//! finds the key; the secret (256 random bits, hex) is stored only as SHA-256 and compared
//! in constant time; the checksum (48 bits of HMAC-SHA256 of `gk_<key_id>_<secret>` under a
//! key derived from `GATEHOUSE_DATA_KEY`) lets the server refuse a forged or mistyped key
//! at once, with no database or cache lookup (SPEC §8): without the server's key nobody can
//! make a key that gets as far as a lookup.

use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use std::fmt;
use subtle::ConstantTimeEq;

const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const SECRET_HEX: usize = 64;
const CHECKSUM_HEX: usize = 12;

/// A freshly generated key; `Debug` hides the secret.
pub struct GeneratedKey {
    pub key_id: String,
    pub secret_hash: String,
    /// The whole key, shown to its creator once.
    pub full: String,
}

impl fmt::Debug for GeneratedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeneratedKey")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

/// Makes and checks keys under this deployment's checksum key. `Debug` hides the key.
#[derive(Clone)]
pub struct ApiKeyCodec {
    checksum_key: [u8; 32],
}

impl fmt::Debug for ApiKeyCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKeyCodec").finish_non_exhaustive()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl ApiKeyCodec {
    /// Derives the checksum key from the deployment's data key (HKDF-SHA256, RFC 5869,
    /// with a label of its own, so the data key's other uses never share it).
    pub fn new(data_key: &[u8]) -> Self {
        let mut checksum_key = [0u8; 32];
        // 32 bytes is far below HKDF-SHA256's 255 × 32 limit: expand cannot fail.
        let _ = Hkdf::<Sha256>::new(Some(b"gatehouse api keys"), data_key)
            .expand(b"checksum v1", &mut checksum_key);
        Self { checksum_key }
    }

    fn checksum(&self, body: &str) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.checksum_key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(body.as_bytes());
        let tag = mac.finalize().into_bytes();
        hex(&tag[..CHECKSUM_HEX / 2])
    }

    pub fn generate(&self) -> GeneratedKey {
        let mut id_bytes = [0u8; 8];
        let mut key_id = String::with_capacity(8);
        while key_id.len() < 8 {
            crate::random::fill(&mut id_bytes);
            // Rejection sampling keeps the alphabet uniform (252 = 7 × 36).
            key_id.extend(
                id_bytes
                    .iter()
                    .filter(|b| **b < 252)
                    .map(|b| ALPHABET[(*b % 36) as usize] as char),
            );
            key_id.truncate(8);
        }
        let mut secret = [0u8; 32];
        crate::random::fill(&mut secret);
        let secret = hex(&secret);
        let body = format!("gk_{key_id}_{secret}");
        GeneratedKey {
            full: format!("{body}_{}", self.checksum(&body)),
            secret_hash: hash_secret(&secret),
            key_id,
        }
    }

    /// Splits a presented key into (key id, secret); `None` for anything malformed or whose
    /// checksum is wrong (compared in constant time).
    pub fn parse<'a>(&self, presented: &'a str) -> Option<(&'a str, &'a str)> {
        let (body, checksum) = presented.rsplit_once('_')?;
        let rest = body.strip_prefix("gk_")?;
        let (key_id, secret) = rest.split_once('_')?;
        let id_ok = key_id.len() == 8 && key_id.bytes().all(|b| ALPHABET.contains(&b));
        let lower_hex = |s: &str, len: usize| {
            s.len() == len
                && s.bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        };
        if !(id_ok && lower_hex(secret, SECRET_HEX) && lower_hex(checksum, CHECKSUM_HEX)) {
            return None;
        }
        let expected = self.checksum(body);
        bool::from(expected.as_bytes().ct_eq(checksum.as_bytes())).then_some((key_id, secret))
    }
}

/// Whether a presented credential is meant as an API key (its `gk_` prefix; a JWT starts
/// with `eyJ`), so one `Authorization: Bearer` header can carry either.
pub fn looks_like_key(presented: &str) -> bool {
    presented.starts_with("gk_")
}

pub fn hash_secret(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// Constant-time comparison of a presented secret with a stored hash.
pub fn verify(secret: &str, stored_hash: &str) -> bool {
    hash_secret(secret)
        .as_bytes()
        .ct_eq(stored_hash.as_bytes())
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codec() -> ApiKeyCodec {
        ApiKeyCodec::new(b"0123456789abcdef0123456789abcdef")
    }

    #[test]
    fn generated_keys_parse_and_verify() {
        let key = codec().generate();
        let (id, secret) = codec().parse(&key.full).unwrap();
        assert_eq!(id, key.key_id);
        assert!(verify(secret, &key.secret_hash));
        assert!(!verify(&"0".repeat(64), &key.secret_hash));
        assert!(!format!("{key:?}").contains(secret));
        assert!(!format!("{:?}", codec()).contains("0123"));
    }

    #[test]
    fn a_key_with_a_wrong_checksum_is_refused() {
        let key = codec().generate();
        // One character of the secret changed: the checksum no longer matches.
        let mut forged = key.full.clone().into_bytes();
        forged[12] = if forged[12] == b'a' { b'b' } else { b'a' };
        assert!(
            codec()
                .parse(std::str::from_utf8(&forged).unwrap())
                .is_none()
        );
        // A well-formed key made without the server's key.
        let (body, _) = key.full.rsplit_once('_').unwrap();
        assert!(codec().parse(&format!("{body}_000000000000")).is_none());
        // The same key under another deployment's data key.
        let other = ApiKeyCodec::new(b"another deployment's data key!!!");
        assert!(other.parse(&key.full).is_none());
    }

    #[test]
    fn malformed_keys_are_refused() {
        for bad in [
            "",
            "gk_",
            "gk_abc_def",
            "xx_abcdefgh_",
            &format!("gk_abcdefgh_{}", "a".repeat(64)),
            &format!("gk_ABCDEFGH_{}_{}", "a".repeat(64), "0".repeat(12)),
            &format!("gk_abcdefgh_{}_{}", "g".repeat(64), "0".repeat(12)),
            &format!("gk_abcdefgh_{}_{}", "a".repeat(64), "0".repeat(11)),
        ] {
            assert!(codec().parse(bad).is_none(), "{bad}");
        }
    }
}
