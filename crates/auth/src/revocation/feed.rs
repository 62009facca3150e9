//! The subscription that keeps a [`Mirror`] in sync, and the acknowledgements that let a
//! writer wait until every instance has applied its revocation.
//!
//! One task per process: subscribe to `<p>revocations`, load the lists with SCAN (messages
//! arriving meanwhile are applied after, in order: every change is idempotent), then apply
//! each message and acknowledge it, and send a heartbeat PING every `max_lag / 4`. The
//! PING's reply comes after every message published before it, so its arrival confirms the
//! mirror up to the moment it was sent. Any error, a missed heartbeat or a closed
//! connection ends the round: the mirror stops answering until a new round has loaded.
//!
//! While its mirror is live, an instance stamps its id into the sorted set
//! `<p>revocation:mirrors` at every heartbeat: a writer waits for the acknowledgement of
//! every instance stamped recently, not merely of the subscribers its PUBLISH reached, so
//! an instance whose subscription Redis has dropped unnoticed is waited for too (until
//! `max_lag`, when it has stopped trusting its mirror).

use super::epoch::EpochGuard;
use super::event::{Message, Revocation, Subject};
use super::mirror::Mirror;
use crate::{AuthError, RedisStore};
use futures_util::{FutureExt, StreamExt};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;
use uuid::Uuid;

/// Acknowledgements awaited by this process's writers, by event id.
#[derive(Default)]
pub struct Acks {
    pending: Mutex<HashMap<u64, Arc<Pending>>>,
}

#[derive(Default)]
struct Pending {
    /// The instances that have acknowledged.
    from: Mutex<HashSet<u64>>,
    notify: Notify,
}

impl Acks {
    /// Starts collecting acknowledgements of `id` (before it is published: they may arrive
    /// before the publisher hears back).
    pub fn expect(&self, id: u64) {
        self.lock().entry(id).or_default();
    }

    fn record(&self, id: u64, from: u64) {
        if let Some(pending) = self.lock().get(&id) {
            pending
                .from
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(from);
            pending.notify.notify_one();
        }
    }

    /// Waits until every instance of `expected` has acknowledged `id`, or `deadline`
    /// passes (by then an instance that has not applied it has stopped trusting its
    /// mirror).
    pub async fn wait(&self, id: u64, expected: &[u64], deadline: Duration) {
        let pending = self.lock().get(&id).cloned();
        if let Some(pending) = pending {
            let all = async {
                loop {
                    let done = {
                        let from = pending.from.lock().unwrap_or_else(|e| e.into_inner());
                        expected.iter().all(|instance| from.contains(instance))
                    };
                    if done {
                        break;
                    }
                    pending.notify.notified().await;
                }
            };
            let _ = tokio::time::timeout(deadline, all).await;
        }
        self.forget(id);
    }

    pub fn forget(&self, id: u64) {
        self.lock().remove(&id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Pending>>> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub fn channel(redis: &RedisStore) -> String {
    redis.keys().revocation_channel()
}

/// The sorted set of live mirrors: instance id → when last confirmed (Unix ms).
pub fn registry(redis: &RedisStore) -> String {
    redis.keys().mirror_registry()
}

/// The instance ids stamped into the registry less than `window` ago.
pub async fn live_instances(redis: &RedisStore, window: Duration) -> Result<Vec<u64>, AuthError> {
    let since = chrono::Utc::now().timestamp_millis() - window.as_millis() as i64;
    let mut conn = redis.conn();
    let ids: Vec<String> = redis
        .call(
            redis::cmd("ZRANGEBYSCORE")
                .arg(registry(redis))
                .arg(since)
                .arg("+inf")
                .query_async(&mut conn),
        )
        .await?;
    Ok(ids
        .iter()
        .filter_map(|id| u64::from_str_radix(id, 16).ok())
        .collect())
}

/// This process on the feed: the id its acknowledgements and registry stamps carry.
pub struct Feed {
    pub redis: RedisStore,
    pub mirror: Option<Arc<Mirror>>,
    pub acks: Arc<Acks>,
    pub instance: u64,
    pub max_lag: Duration,
    /// Compared at every subscription and, while the mirror is live, at every heartbeat.
    pub epoch: Option<Arc<EpochGuard>>,
}

/// Runs for the life of the process.
pub fn spawn(feed: Feed) {
    tokio::spawn(async move {
        loop {
            if let Err(error) = round(&feed).await {
                tracing::warn!(%error, "revocation feed interrupted; checking Redis per request until it is back");
            }
            if let Some(mirror) = &feed.mirror {
                mirror.set_synced(false);
            }
            tokio::time::sleep(feed.max_lag.min(Duration::from_millis(500))).await;
        }
    });
}

async fn round(feed: &Feed) -> Result<(), AuthError> {
    let Feed {
        redis,
        acks,
        instance,
        max_lag,
        ..
    } = feed;
    let (mirror, instance, max_lag) = (feed.mirror.as_deref(), *instance, *max_lag);
    let channel = channel(redis);
    let pubsub = redis.call(redis.client().get_async_pubsub()).await?;
    let (mut sink, mut stream) = pubsub.split();
    redis.call(sink.subscribe(&channel)).await?;
    // Before the lists are loaded: a Redis that lost its state is reset first (SPEC §14).
    if let Some(epoch) = &feed.epoch {
        epoch.establish().await?;
    }
    if let Some(mirror) = mirror {
        load(redis, mirror).await?;
    }
    let heartbeat = (max_lag / 4).max(Duration::from_millis(10));
    let mut ticker = tokio::time::interval(heartbeat);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut ticks = 0u64;
    loop {
        tokio::select! {
            message = stream.next() => match message {
                Some(message) => handle(redis, mirror, acks, instance, &channel, &message),
                None => return Err(AuthError::Unavailable("subscription closed".into())),
            },
            _ = ticker.tick() => {
                let sent = mirror.map(Mirror::now);
                tokio::time::timeout(max_lag, sink.ping::<redis::Value>())
                    .await
                    .map_err(|_| AuthError::Unavailable("heartbeat unanswered".into()))??;
                // The reply is in: whatever was published before the PING is queued.
                while let Some(next) = stream.next().now_or_never() {
                    match next {
                        Some(message) => handle(redis, mirror, acks, instance, &channel, &message),
                        None => return Err(AuthError::Unavailable("subscription closed".into())),
                    }
                }
                if let (Some(mirror), Some(sent)) = (mirror, sent) {
                    // Stamped before it answers: a writer must never skip a live mirror.
                    let now = chrono::Utc::now().timestamp_millis();
                    let mut pipe = redis::pipe();
                    pipe.zadd(registry(redis), format!("{instance:016x}"), now).ignore();
                    ticks += 1;
                    if ticks.is_multiple_of(240) {
                        mirror.prune(now);
                        // Instances gone for a minute leave the registry.
                        pipe.cmd("ZREMRANGEBYSCORE")
                            .arg(registry(redis))
                            .arg("-inf")
                            .arg(now - 60_000)
                            .ignore();
                    }
                    if let Some(epoch) = &feed.epoch {
                        pipe.get(epoch.sentinel_key());
                    }
                    let mut conn = redis.conn();
                    let sentinel: Vec<Option<String>> =
                        redis.call(pipe.query_async(&mut conn)).await?;
                    if let Some(epoch) = &feed.epoch {
                        let sentinel = sentinel.first().cloned().flatten();
                        if !epoch.matches(sentinel.and_then(|s| s.parse().ok())) {
                            // Flushed or replaced without dropping the subscription: stop
                            // answering, and compare (reset) in the next round.
                            return Err(AuthError::Unavailable(
                                "the Redis epoch sentinel changed".into(),
                            ));
                        }
                    }
                    mirror.set_synced(true);
                    mirror.confirm(sent);
                }
            }
        }
    }
}

fn handle(
    redis: &RedisStore,
    mirror: Option<&Mirror>,
    acks: &Acks,
    instance: u64,
    channel: &str,
    message: &redis::Msg,
) {
    let Ok(text) = message.get_payload::<String>() else {
        return;
    };
    match Message::parse(&text) {
        Some(Message::Ack { id, from }) => acks.record(id, from),
        Some(Message::Revoked { id, revocation }) => {
            if let Some(mirror) = mirror {
                mirror.apply(revocation);
            }
            // Acknowledge off the feed's task: the writer is waiting, the feed is not.
            let redis = redis.clone();
            let channel = channel.to_owned();
            tokio::spawn(async move {
                let mut conn = redis.conn();
                let ack = Message::Ack { id, from: instance }.to_string();
                let _ = redis
                    .call(
                        redis::cmd("PUBLISH")
                            .arg(&channel)
                            .arg(ack)
                            .query_async::<i64>(&mut conn),
                    )
                    .await;
            });
        }
        None => tracing::warn!("ignored a malformed message on the revocation channel"),
    }
}

/// Reads every revocation key into the mirror (SCAN: never blocks Redis).
async fn load(redis: &RedisStore, mirror: &Mirror) -> Result<(), AuthError> {
    let now = chrono::Utc::now().timestamp_millis();
    for pattern in redis.keys().revocation_patterns() {
        let mut cursor = 0u64;
        loop {
            let mut conn = redis.conn();
            let (next, keys): (u64, Vec<String>) = redis
                .call(
                    redis::cmd("SCAN")
                        .arg(cursor)
                        .arg("MATCH")
                        .arg(&pattern)
                        .arg("COUNT")
                        .arg(1000)
                        .query_async(&mut conn),
                )
                .await?;
            if !keys.is_empty() {
                let mut pipe = redis::pipe();
                for key in &keys {
                    pipe.get(key).pttl(key);
                }
                let values: Vec<(Option<String>, i64)> =
                    redis.call(pipe.query_async(&mut conn)).await?;
                for (key, (value, ttl)) in keys.iter().zip(values) {
                    let until_ms = match ttl {
                        -2 => continue,
                        -1 => i64::MAX,
                        ttl => now + ttl,
                    };
                    let Some(rest) = redis.keys().unprefixed(key) else {
                        continue;
                    };
                    if let Some(revocation) = from_key(rest, value.as_deref(), until_ms) {
                        mirror.apply(revocation);
                    }
                }
            }
            if next == 0 {
                break;
            }
            cursor = next;
        }
    }
    Ok(())
}

/// A revocation from its key (without the prefix) and value: the inverse of
/// [`crate::keys`]'s revocation keys.
fn from_key(rest: &str, value: Option<&str>, until_ms: i64) -> Option<Revocation> {
    let uuid = |s: &str| s.parse::<Uuid>().ok();
    if let Some(jti) = rest.strip_prefix("jti:") {
        return Some(Revocation::Token {
            jti: uuid(jti)?,
            until_ms,
        });
    }
    if let Some(sid) = rest
        .strip_prefix("{s:")
        .and_then(|r| r.strip_suffix("}:revoked"))
    {
        return Some(Revocation::Session {
            sid: uuid(sid)?,
            until_ms,
        });
    }
    let mark_ms = value?.parse::<i64>().ok()?;
    let subject = if let Some(user) = rest
        .strip_prefix("{u:")
        .and_then(|r| r.strip_suffix("}:nbf"))
    {
        Subject::User(uuid(user)?)
    } else {
        let (tenant, tail) = rest.strip_prefix("{t:")?.split_once("}:nbf")?;
        match tail.strip_prefix(':') {
            None if tail.is_empty() => Subject::Tenant(uuid(tenant)?),
            Some(user) => Subject::Member {
                tenant: uuid(tenant)?,
                user: uuid(user)?,
            },
            None => return None,
        }
    };
    Some(Revocation::NotBefore {
        subject,
        mark_ms,
        until_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_writer_waits_for_every_expected_instance_and_no_longer() {
        let acks = Acks::default();
        acks.expect(1);
        acks.record(1, 10);
        acks.record(1, 30);
        let started = tokio::time::Instant::now();
        acks.wait(1, &[10, 20], Duration::from_secs(1)).await;
        assert_eq!(
            started.elapsed(),
            Duration::from_secs(1),
            "instance 20 never acknowledged: waited until the deadline"
        );

        acks.expect(2);
        acks.record(2, 20);
        acks.record(2, 10);
        let started = tokio::time::Instant::now();
        acks.wait(2, &[10, 20], Duration::from_secs(1)).await;
        assert_eq!(started.elapsed(), Duration::ZERO, "all in: no waiting");

        acks.record(3, 10);
        acks.expect(4);
        acks.forget(4);
        assert!(acks.lock().is_empty(), "nothing is left behind");
    }

    #[test]
    fn keys_map_back_to_revocations() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        assert_eq!(
            from_key(&format!("jti:{a}"), Some("1"), 9),
            Some(Revocation::Token {
                jti: a,
                until_ms: 9
            })
        );
        assert_eq!(
            from_key(&format!("{{s:{a}}}:revoked"), Some("1"), 9),
            Some(Revocation::Session {
                sid: a,
                until_ms: 9
            })
        );
        assert_eq!(
            from_key(&format!("{{u:{a}}}:nbf"), Some("5"), 9),
            Some(Revocation::NotBefore {
                subject: Subject::User(a),
                mark_ms: 5,
                until_ms: 9
            })
        );
        assert_eq!(
            from_key(&format!("{{t:{a}}}:nbf"), Some("5"), 9),
            Some(Revocation::NotBefore {
                subject: Subject::Tenant(a),
                mark_ms: 5,
                until_ms: 9
            })
        );
        assert_eq!(
            from_key(&format!("{{t:{a}}}:nbf:{b}"), Some("5"), 9),
            Some(Revocation::NotBefore {
                subject: Subject::Member { tenant: a, user: b },
                mark_ms: 5,
                until_ms: 9
            })
        );
        assert_eq!(from_key(&format!("{{t:{a}}}:nbfx"), Some("5"), 9), None);
        assert_eq!(from_key(&format!("{{u:{a}}}:nbf"), Some("soon"), 9), None);
        assert_eq!(from_key("{s:nope}:revoked", Some("1"), 9), None);
    }
}
