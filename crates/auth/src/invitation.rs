//! Invitation tokens: opaque, single use, shown once. base64url of the tenant id (so the
//! invitation is found inside its tenant's row-level-security context) and 256 random
//! bits; stored only as SHA-256.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::TenantId;
use uuid::Uuid;

pub fn new_token(tenant: TenantId) -> String {
    let mut bytes = [0u8; 48];
    bytes[..16].copy_from_slice(tenant.0.as_bytes());
    crate::random::fill(&mut bytes[16..]);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The tenant a token claims to be for (not proof that it is).
pub fn tenant_of(token: &str) -> Option<TenantId> {
    if token.len() != 64 {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
    Some(TenantId(Uuid::from_slice(bytes.get(..16)?).ok()?))
}

pub use crate::sessions::token_hash as hash;
