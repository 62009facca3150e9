//! Access tokens this process has verified recently, keyed by their exact text.
//!
//! A client sends the same access token with every request for its whole lifetime; the
//! signature, header and claims checks give the same answer for the same bytes under the
//! same key ring (which does not change while the process runs). So a verified token is
//! remembered, and a later request carrying the identical text skips the base64, HMAC or
//! signature, and JSON work — but only while its time claims hold without any leeway;
//! near the edges it is verified in full again, by the strict rules. Failures are never
//! remembered, and the key is the whole token: a valid signature under another header
//! or payload is a different key, so it misses and is verified. Revocation is not cached
//! here; every request is still checked against the revocation lists.

use crate::token::AccessClaims;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

pub struct VerifiedTokens {
    map: RwLock<HashMap<Box<str>, Arc<AccessClaims>>>,
    capacity: usize,
}

impl VerifiedTokens {
    pub fn new(capacity: usize) -> Self {
        Self {
            map: RwLock::default(),
            capacity,
        }
    }

    /// The claims of `token` if it was verified before and is inside its validity now
    /// (`now` in Unix seconds).
    pub fn get(&self, token: &str, now: i64) -> Option<Arc<AccessClaims>> {
        let map = self.map.read().unwrap_or_else(|e| e.into_inner());
        map.get(token)
            .filter(|claims| claims.nbf <= now && now < claims.exp)
            .cloned()
    }

    pub fn insert(&self, token: &str, claims: Arc<AccessClaims>, now: i64) {
        let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
        if map.len() >= self.capacity {
            map.retain(|_, claims| now < claims.exp);
            if map.len() >= self.capacity {
                // Bounded memory beats a clever eviction policy: start over.
                map.clear();
            }
        }
        map.insert(token.into(), claims);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.map.read().unwrap_or_else(|e| e.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn claims(nbf: i64, exp: i64) -> Arc<AccessClaims> {
        Arc::new(AccessClaims {
            iss: "iss".into(),
            aud: "aud".into(),
            sub: domain::UserId::new(),
            tid: None,
            scope: String::new(),
            sid: domain::SessionId::new(),
            jti: Uuid::now_v7(),
            iat: nbf,
            nbf,
            exp,
            auth_time: nbf,
            amr: vec![],
        })
    }

    #[test]
    fn hits_only_the_same_text_inside_its_validity() {
        let cache = VerifiedTokens::new(8);
        cache.insert("a.b.c", claims(100, 200), 100);
        assert!(cache.get("a.b.c", 150).is_some());
        assert!(cache.get("a.b.d", 150).is_none(), "another signature");
        assert!(cache.get("a.b.c", 200).is_none(), "expired: verify again");
        assert!(
            cache.get("a.b.c", 99).is_none(),
            "not yet valid: verify again"
        );
    }

    #[test]
    fn stays_within_its_capacity() {
        let cache = VerifiedTokens::new(4);
        cache.insert("old", claims(0, 10), 0);
        for i in 0..3 {
            cache.insert(&format!("t{i}"), claims(0, 1000), 0);
        }
        cache.insert("new", claims(0, 1000), 50);
        assert_eq!(cache.len(), 4, "the expired one made room");
        for i in 0..10 {
            cache.insert(&format!("u{i}"), claims(0, 1000), 50);
        }
        assert!(cache.len() <= 4);
    }
}
