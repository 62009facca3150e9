//! The hot pieces of a request: access-token verification, scope checks, and (with
//! `REDIS_URL` set) a refresh rotation's Lua round trip and a revocation check.
//! `cargo bench -p gatehouse-auth`.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "benchmark set-up")]

use criterion::{Criterion, criterion_group, criterion_main};
use domain::{Scope, ScopeSet, SessionId, TenantId, UserId};
use gatehouse_auth::RedisStore;
use gatehouse_auth::revocation::RevocationList;
use gatehouse_auth::sessions::{NewSession, SessionSettings, SessionStore};
use gatehouse_auth::token::{AccessClaims, KeyRing};
use std::hint::black_box;
use std::time::Duration;
use uuid::Uuid;

fn claims() -> AccessClaims {
    let now = chrono::Utc::now().timestamp();
    AccessClaims {
        iss: "http://127.0.0.1:8080".into(),
        aud: "gatehouse".into(),
        sub: domain::UserId::new(),
        tid: Some(domain::TenantId::new()),
        scope: "tenant:read members:read projects:read projects:write tasks:read tasks:write"
            .into(),
        sid: domain::SessionId::new(),
        jti: Uuid::now_v7(),
        iat: now,
        nbf: now,
        exp: now + 900,
        auth_time: now,
        amr: vec!["pwd".into()],
    }
}

fn token_verify(c: &mut Criterion) {
    let ring = KeyRing::hs256(
        b"0123456789abcdef0123456789abcdef",
        "http://127.0.0.1:8080",
        "gatehouse",
    )
    .unwrap();
    let token = ring.sign(&claims()).unwrap();
    c.bench_function("verify HS256 access token", |b| {
        b.iter(|| ring.verify(black_box(&token)).unwrap())
    });
}

fn scope_check(c: &mut Criterion) {
    let held = ScopeSet::parse_space_delimited(
        "tenant:read members:read projects:read projects:write tasks:read tasks:write",
    )
    .unwrap();
    let required: ScopeSet = [Scope::ProjectsRead].iter().collect();
    let claim = claims().scope;
    c.bench_function("parse scope claim", |b| {
        b.iter(|| ScopeSet::parse_space_delimited(black_box(&claim)).unwrap())
    });
    c.bench_function("required ⊆ held", |b| {
        b.iter(|| black_box(required).is_subset_of(black_box(held)))
    });
}

fn redis_round_trips(c: &mut Criterion) {
    let Ok(url) = std::env::var("REDIS_URL") else {
        eprintln!("REDIS_URL not set: skipping the Redis benchmarks");
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let redis = runtime.block_on(async {
        RedisStore::connect(
            &url,
            &format!("ghbench:{}:", Uuid::now_v7().simple()),
            Duration::from_secs(2),
        )
        .unwrap()
    });
    let revocations = RevocationList::new(redis.clone(), Duration::from_secs(900));
    let mirrored = runtime.block_on(async {
        RevocationList::mirrored(
            redis.clone(),
            Duration::from_secs(900),
            Duration::from_secs(1),
        )
    });
    let sessions = SessionStore::new(
        redis.clone(),
        SessionSettings {
            idle_ttl: Duration::from_secs(600),
            max_age: Duration::from_secs(600),
            reuse_grace: Duration::from_secs(2),
            access_ttl: Duration::from_secs(900),
        },
        revocations.clone(),
    );
    let sid = SessionId::new();
    let mut current = SessionStore::new_refresh_token(sid);
    let session = NewSession {
        kind: gatehouse_auth::sessions::SessionKind::Tokens,
        client_id: None,
        auth: domain::Authentication {
            time: 0,
            methods: domain::AuthMethods::PASSWORD,
        },
        user: UserId::new(),
        tenant: Some(TenantId::new()),
        scope: "tenant:read".into(),
        requested_scope: None,
        ip: None,
        user_agent: None,
    };
    runtime
        .block_on(sessions.create(sid, &session, &current))
        .unwrap();
    c.bench_function("refresh rotation (Lua round trip)", |b| {
        b.iter(|| {
            let next = SessionStore::new_refresh_token(sid);
            let outcome = runtime
                .block_on(sessions.rotate(&current, &next, b"pair", session.tenant, "tenant:read"))
                .unwrap();
            assert_eq!(outcome, gatehouse_auth::sessions::Rotation::Rotated);
            current = next;
        })
    });
    let claims = claims();
    c.bench_function("revocation check (one pipelined round trip)", |b| {
        b.iter(|| {
            runtime
                .block_on(revocations.check(black_box(&claims)))
                .unwrap()
        })
    });
    // The feed runs on the runtime's worker threads: wait until the mirror answers.
    while !mirrored.mirror_live() {
        std::thread::sleep(Duration::from_millis(10));
    }
    c.bench_function("revocation check (local mirror, live)", |b| {
        b.iter(|| {
            runtime
                .block_on(mirrored.check(black_box(&claims)))
                .unwrap()
        })
    });
}

criterion_group!(benches, token_verify, scope_check, redis_round_trips);
criterion_main!(benches);
