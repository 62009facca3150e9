//! Authorization codes in Redis (SPEC §11): single use under races, replay tells the
//! session to revoke, only hashes stored, 60 s to live. Against the real Redis.

use auth::authorization_code::{CODE_TTL_SECS, CodeGrant, CodeStore, REDEEMED_TTL_SECS, Redeemed};
use domain::{SessionId, TenantId, UserId};
use gatehouse_tests::db::redis_url;
use std::time::Duration;

fn store() -> (CodeStore, auth::RedisStore) {
    let prefix = format!("ghtest:{}:", uuid::Uuid::new_v4().simple());
    let redis = auth::RedisStore::connect(&redis_url(), &prefix, Duration::from_secs(2)).unwrap();
    (CodeStore::new(redis.clone()), redis)
}

fn grant() -> CodeGrant {
    CodeGrant {
        client_id: "demo-spa".into(),
        redirect_uri: "http://127.0.0.1:5173/callback".into(),
        code_challenge: auth::pkce::challenge_of(&"v".repeat(43)),
        nonce: Some("n-0S6_WzA2Mj".into()),
        user: UserId::new(),
        tenant: Some(TenantId::new()),
        scope: "projects:read".into(),
        oidc: domain::authorize::OidcScopes {
            openid: true,
            ..Default::default()
        },
        auth: domain::Authentication {
            time: 1_764_763_200,
            methods: domain::AuthMethods::PASSWORD,
        },
    }
}

async fn all_keys(redis: &auth::RedisStore) -> Vec<(String, Vec<String>, i64)> {
    let mut conn = redis.conn();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}*", redis.keys().prefix()))
        .query_async(&mut conn)
        .await
        .unwrap();
    let mut out = Vec::new();
    for key in keys {
        let values: Vec<String> = redis::cmd("HVALS")
            .arg(&key)
            .query_async(&mut conn)
            .await
            .unwrap();
        let ttl: i64 = redis::cmd("TTL")
            .arg(&key)
            .query_async(&mut conn)
            .await
            .unwrap();
        out.push((key, values, ttl));
    }
    out
}

#[tokio::test]
async fn a_code_is_good_once_and_a_replay_names_the_session_it_started() {
    let (codes, _) = store();
    let issued = grant();
    let code = codes.issue(&issued).await.unwrap();
    assert!(code.len() >= 43, "256 bits: {code}");
    assert_eq!(
        codes.redeem(&code).await.unwrap(),
        Redeemed::Fresh(Box::new(issued))
    );
    assert_eq!(codes.redeem(&code).await.unwrap(), Redeemed::Replayed(None));
    let session = SessionId::new();
    codes.record_session(&code, session).await.unwrap();
    assert_eq!(
        codes.redeem(&code).await.unwrap(),
        Redeemed::Replayed(Some(session))
    );
    assert_eq!(
        codes.redeem("never-issued").await.unwrap(),
        Redeemed::Unknown
    );
    // A forged code one character off is another code.
    let forged = format!("{}x", &code[..code.len() - 1]);
    assert_eq!(codes.redeem(&forged).await.unwrap(), Redeemed::Unknown);
}

#[tokio::test]
async fn only_the_hash_is_stored_for_a_minute_then_ten_once_redeemed() {
    let (codes, redis) = store();
    let code = codes.issue(&grant()).await.unwrap();
    let stored = all_keys(&redis).await;
    assert_eq!(stored.len(), 1);
    let (key, values, ttl) = &stored[0];
    assert!(
        !key.contains(&code) && values.iter().all(|v| !v.contains(&code)),
        "{stored:?}"
    );
    assert!((1..=CODE_TTL_SECS as i64).contains(ttl), "ttl {ttl}");
    codes.redeem(&code).await.unwrap();
    let (_, _, ttl) = &all_keys(&redis).await[0];
    assert!(
        *ttl > CODE_TTL_SECS as i64 && *ttl <= REDEEMED_TTL_SECS as i64,
        "ttl {ttl}"
    );
    // Recording a session on an expired (here: never issued) code creates nothing.
    codes
        .record_session("gone", SessionId::new())
        .await
        .unwrap();
    assert_eq!(all_keys(&redis).await.len(), 1);
}

#[tokio::test]
async fn racing_redemptions_get_one_grant() {
    let (codes, _) = store();
    let code = codes.issue(&grant()).await.unwrap();
    let attempts = (0..24).map(|_| {
        let (codes, code) = (codes.clone(), code.clone());
        tokio::spawn(async move { codes.redeem(&code).await.unwrap() })
    });
    let outcomes = futures_util::future::join_all(attempts).await;
    let fresh = outcomes
        .iter()
        .filter(|o| matches!(o.as_ref().unwrap(), Redeemed::Fresh(_)))
        .count();
    assert_eq!(fresh, 1);
}
