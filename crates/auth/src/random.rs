//! Secure randomness from the operating system.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Fills `bytes` from the OS CSPRNG. The OS source failing is not recoverable: nothing
/// secret may ever be made from anything weaker.
pub fn fill(bytes: &mut [u8]) {
    #[expect(
        clippy::expect_used,
        reason = "no safe fallback exists for a failing OS RNG"
    )]
    getrandom::fill(bytes).expect("the operating system's random source failed");
}

/// `n` random bytes, base64url without padding.
pub fn token(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}
