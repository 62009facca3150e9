//! Secrets at rest (SPEC §12): values sealed with ChaCha20-Poly1305 under a key derived
//! (HKDF-SHA256) from `GATEHOUSE_DATA_KEY` and a purpose, so one purpose's ciphertext never
//! opens as another's. Each value gets a fresh random nonce, stored in front of it.

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hkdf::Hkdf;
use sha2::Sha256;

#[derive(Clone)]
pub struct Sealer {
    cipher: ChaCha20Poly1305,
}

#[derive(Debug, thiserror::Error)]
#[error("a sealed value does not open (wrong key, or altered)")]
pub struct Unsealable;

impl Sealer {
    /// `purpose` names what is sealed, e.g. `b"outbox payload v1"`.
    pub fn new(data_key: &[u8], purpose: &[u8]) -> Self {
        let mut key = [0u8; 32];
        // 32 bytes is far below HKDF-SHA256's limit: expand cannot fail.
        let _ = Hkdf::<Sha256>::new(Some(b"gatehouse secrets at rest"), data_key)
            .expand(purpose, &mut key);
        Self {
            cipher: ChaCha20Poly1305::new(&Key::from(key)),
        }
    }

    pub fn seal(&self, plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; 12];
        crate::random::fill(&mut nonce);
        let mut out = nonce.to_vec();
        // Encryption of an in-memory buffer with a 12-byte nonce has no failure case.
        out.extend(
            self.cipher
                .encrypt(&Nonce::from(nonce), plain)
                .unwrap_or_default(),
        );
        out
    }

    pub fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, Unsealable> {
        let (nonce, ciphertext) = sealed.split_at_checked(12).ok_or(Unsealable)?;
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| Unsealable)?;
        self.cipher
            .decrypt(&Nonce::from(nonce), ciphertext)
            .map_err(|_| Unsealable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_opens_only_under_its_key_and_purpose() {
        let sealer = Sealer::new(b"0123456789abcdef0123456789abcdef", b"outbox payload v1");
        let sealed = sealer.seal(b"token=abc");
        assert!(!sealed.windows(9).any(|w| w == b"token=abc"));
        assert_eq!(sealer.open(&sealed).unwrap(), b"token=abc");
        let other = Sealer::new(b"0123456789abcdef0123456789abcdef", b"totp secret v1");
        assert!(other.open(&sealed).is_err());
        let mut altered = sealed.clone();
        altered[20] ^= 1;
        assert!(sealer.open(&altered).is_err());
    }
}
