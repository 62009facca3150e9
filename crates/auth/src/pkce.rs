//! Proof Key for Code Exchange (RFC 7636), S256 only: `plain` gives no protection against a
//! stolen code and RFC 9700 §2.1.1 says not to use it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A `code_verifier` as RFC 7636 §4.1 defines it: 43 to 128 unreserved characters.
pub fn is_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// The S256 challenge of `verifier` (§4.2).
pub fn challenge_of(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Whether `verifier` is well-formed and hashes to `challenge` (§4.6), compared in
/// constant time.
pub fn verifies(verifier: &str, challenge: &str) -> bool {
    is_verifier(verifier)
        && bool::from(
            challenge_of(verifier)
                .as_bytes()
                .ct_eq(challenge.as_bytes()),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn the_rfcs_example_verifies() {
        assert_eq!(challenge_of(VERIFIER), CHALLENGE);
        assert!(verifies(VERIFIER, CHALLENGE));
        assert!(domain::authorize::is_s256_challenge(CHALLENGE));
    }

    #[test]
    fn anything_else_does_not() {
        let other = format!("{}A", &VERIFIER[..VERIFIER.len() - 1]);
        assert!(!verifies(&other, CHALLENGE));
        // `plain`: the challenge presented as its own verifier.
        assert!(!verifies(CHALLENGE, CHALLENGE));
        assert!(!verifies("", CHALLENGE));
    }

    #[test]
    fn verifiers_are_43_to_128_unreserved_characters() {
        assert!(is_verifier(&"a".repeat(43)));
        assert!(is_verifier(&"a-._~".repeat(26)[..128]));
        assert!(!is_verifier(&"a".repeat(42)));
        assert!(!is_verifier(&"a".repeat(129)));
        assert!(!is_verifier(&format!("{}+", "a".repeat(43))));
        assert!(!is_verifier(&format!("{}=", "a".repeat(43))));
    }

    #[test]
    fn challenges_are_sha256_digests() {
        use domain::authorize::is_s256_challenge;
        assert!(!is_s256_challenge(&CHALLENGE[..42]));
        assert!(!is_s256_challenge(&format!("{}=", &CHALLENGE[..42])));
        assert!(!is_s256_challenge(
            "plain-challenges-are-not-accepted-here-at-all"
        ));
        // Every challenge of a verifier is one.
        for n in 43..60 {
            assert!(is_s256_challenge(&challenge_of(&"v".repeat(n))));
        }
    }
}
