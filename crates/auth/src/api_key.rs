//! API keys: `gk_<key_id>_<secret>`. The key id (8 × [a-z0-9]) is public and finds the
//! key; the secret (256 random bits, hex) is stored only as SHA-256 and compared in
//! constant time.

use sha2::{Digest, Sha256};
use std::fmt;
use subtle::ConstantTimeEq;

const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

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

pub fn generate() -> GeneratedKey {
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
    let secret: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    GeneratedKey {
        full: format!("gk_{key_id}_{secret}"),
        secret_hash: hash_secret(&secret),
        key_id,
    }
}

/// Splits a presented key into (key id, secret); `None` for anything malformed.
pub fn parse(presented: &str) -> Option<(&str, &str)> {
    let rest = presented.strip_prefix("gk_")?;
    let (key_id, secret) = rest.split_once('_')?;
    let id_ok = key_id.len() == 8 && key_id.bytes().all(|b| ALPHABET.contains(&b));
    let secret_ok = secret.len() == 64
        && secret
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
    (id_ok && secret_ok).then_some((key_id, secret))
}

pub fn hash_secret(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
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

    #[test]
    fn generated_keys_parse_and_verify() {
        let key = generate();
        let (id, secret) = parse(&key.full).unwrap();
        assert_eq!(id, key.key_id);
        assert!(verify(secret, &key.secret_hash));
        assert!(!verify(&"0".repeat(64), &key.secret_hash));
        assert!(!format!("{key:?}").contains(secret));
    }

    #[test]
    fn malformed_keys_are_refused() {
        for bad in [
            "",
            "gk_",
            "gk_abc_def",
            "xx_abcdefgh_",
            &format!("gk_ABCDEFGH_{}", "a".repeat(64)),
            &format!("gk_abcdefgh_{}", "g".repeat(64)),
        ] {
            assert!(parse(bad).is_none(), "{bad}");
        }
    }
}
