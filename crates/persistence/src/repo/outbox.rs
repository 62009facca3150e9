//! The outbox (SPEC §12): emails written in the unit of work of the change that causes
//! them, claimed by the senders of every instance with `FOR UPDATE SKIP LOCKED`.

use crate::schema::outbox;
use crate::{PersistenceError, Tx};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

/// A mail to send.
pub struct NewMail<'a> {
    pub kind: &'a str,
    pub recipient: &'a str,
    /// The template's parameters, sealed by the caller.
    pub payload: Vec<u8>,
    /// `<id@host>`, fixed now so every attempt sends the same message.
    pub message_id: String,
    pub id: Uuid,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox, check_for_backend(diesel::pg::Pg))]
pub struct QueuedMail {
    pub id: Uuid,
    pub kind: String,
    pub recipient: String,
    pub payload: Option<Vec<u8>>,
    pub message_id: String,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
}

pub async fn enqueue(tx: &Tx, mail: &NewMail<'_>) -> Result<(), PersistenceError> {
    diesel::insert_into(outbox::table)
        .values((
            outbox::id.eq(mail.id),
            outbox::kind.eq(mail.kind),
            outbox::recipient.eq(mail.recipient),
            outbox::payload.eq(Some(&mail.payload)),
            outbox::message_id.eq(&mail.message_id),
        ))
        .execute(&mut tx.conn())
        .await?;
    Ok(())
}

/// Up to `limit` due mails, locked for this unit of work; rows another sender holds are
/// skipped, not waited for.
pub async fn claim_due(tx: &Tx, limit: i64) -> Result<Vec<QueuedMail>, PersistenceError> {
    Ok(outbox::table
        .filter(outbox::status.eq("queued"))
        .filter(outbox::next_attempt_at.le(diesel::dsl::now))
        .order(outbox::next_attempt_at)
        .limit(limit)
        .select(QueuedMail::as_select())
        .for_update()
        .skip_locked()
        .load(&mut tx.conn())
        .await?)
}

/// Sent: its parameters (and any token in them) are wiped.
pub async fn mark_sent(tx: &Tx, id: Uuid) -> Result<(), PersistenceError> {
    diesel::update(outbox::table.find(id))
        .set((
            outbox::status.eq("sent"),
            outbox::payload.eq(None::<Vec<u8>>),
            outbox::sent_at.eq(diesel::dsl::now),
            outbox::attempts.eq(outbox::attempts + 1),
            outbox::last_error.eq(None::<String>),
        ))
        .execute(&mut tx.conn())
        .await?;
    Ok(())
}

/// A failed attempt: retried at `next_attempt_at`.
pub async fn mark_retry(
    tx: &Tx,
    id: Uuid,
    next_attempt_at: DateTime<Utc>,
    error: &str,
) -> Result<(), PersistenceError> {
    diesel::update(outbox::table.find(id))
        .set((
            outbox::attempts.eq(outbox::attempts + 1),
            outbox::next_attempt_at.eq(next_attempt_at),
            outbox::last_error.eq(Some(error)),
        ))
        .execute(&mut tx.conn())
        .await?;
    Ok(())
}

/// Given up on (its retries ran out): wiped like a sent one.
pub async fn mark_failed(tx: &Tx, id: Uuid, error: &str) -> Result<(), PersistenceError> {
    diesel::update(outbox::table.find(id))
        .set((
            outbox::status.eq("failed"),
            outbox::payload.eq(None::<Vec<u8>>),
            outbox::attempts.eq(outbox::attempts + 1),
            outbox::last_error.eq(Some(error)),
        ))
        .execute(&mut tx.conn())
        .await?;
    Ok(())
}

/// What `/metrics` shows of the outbox.
#[derive(Debug, Default, Clone, Copy)]
pub struct OutboxStats {
    pub queued: i64,
    pub sent: i64,
    pub failed: i64,
    /// How long the oldest due mail has waited, in seconds (0 when none is due).
    pub oldest_due_secs: f64,
}

pub async fn stats(tx: &Tx) -> Result<OutboxStats, PersistenceError> {
    use diesel::dsl::{count_star, min};
    let counts: Vec<(String, i64)> = outbox::table
        .group_by(outbox::status)
        .select((outbox::status, count_star()))
        .load(&mut tx.conn())
        .await?;
    let oldest: Option<DateTime<Utc>> = outbox::table
        .filter(outbox::status.eq("queued"))
        .filter(outbox::next_attempt_at.le(diesel::dsl::now))
        .select(min(outbox::created_at))
        .first(&mut tx.conn())
        .await?;
    let count = |status: &str| {
        counts
            .iter()
            .find(|(s, _)| s == status)
            .map_or(0, |(_, n)| *n)
    };
    Ok(OutboxStats {
        queued: count("queued"),
        sent: count("sent"),
        failed: count("failed"),
        oldest_due_secs: oldest.map_or(0.0, |at| {
            (Utc::now() - at).num_milliseconds().max(0) as f64 / 1000.0
        }),
    })
}
