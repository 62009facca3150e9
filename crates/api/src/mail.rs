//! Transactional email (SPEC §12): the outbox's writer and its sender.
//!
//! A change that sends mail writes an outbox row in its own unit of work
//! ([`Mailer::enqueue`]): the mail exists exactly when the change committed. Every
//! instance runs a sender ([`Mailer::spawn_sender`]) that claims due rows with `FOR UPDATE
//! SKIP LOCKED`, renders them (text + HTML), sends them over SMTP with `lettre`, and marks
//! them sent; a failure is retried with exponential backoff for 24 hours, then the row is
//! `failed` (logged, and counted on `/metrics`). A crash between sending and marking sent
//! resends the mail with the same `Message-ID`. The parameters may carry a one-time token:
//! they are sealed under `GATEHOUSE_DATA_KEY` and wiped once the mail is sent. Without
//! `GATEHOUSE_SMTP_URL`, development mode prints each mail, links included, to the log;
//! outside it, mail waits in the outbox until an SMTP server is configured.

use crate::config::Config;
use crate::error::ApiError;
use askama::Template;
use auth::sealed::Sealer;
use chrono::{DateTime, Utc};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use persistence::repo::outbox::{self, NewMail, QueuedMail};
use persistence::{Mode, PgPool, Tx};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use url::Url;
use uuid::Uuid;

/// How long a mail is retried before it is given up.
const GIVE_UP_AFTER: chrono::TimeDelta = chrono::TimeDelta::hours(24);
/// The longest wait between two attempts.
const MAX_BACKOFF_SECS: i64 = 15 * 60;
/// How often an idle sender looks for due mail (it is also woken by each enqueue here).
const POLL: Duration = Duration::from_secs(1);
const BATCH: i64 = 20;

/// A mail's template and parameters, as the outbox keeps them (sealed).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Mail {
    /// SPEC §12: confirm the address (sent at signup, and on request).
    VerifyEmail {
        name: String,
        email: String,
        link: String,
    },
    /// SPEC §12: someone asked to reset the password of `email`. The request path writes
    /// only this, for known and unknown addresses alike (the same work, the same answer);
    /// the sender looks the address up and, for an account, makes the reset token and
    /// sends [`Mail::PasswordReset`] — or nothing.
    PasswordResetRequest { email: String },
    PasswordReset {
        name: String,
        email: String,
        link: String,
    },
    /// SPEC §12: the notice after a reset.
    PasswordChanged { name: String, email: String },
}

impl Mail {
    fn kind(&self) -> &'static str {
        match self {
            Mail::VerifyEmail { .. } => "verify_email",
            Mail::PasswordResetRequest { .. } => "password_reset_request",
            Mail::PasswordReset { .. } => "password_reset",
            Mail::PasswordChanged { .. } => "password_changed",
        }
    }
}

/// Two templates (text, HTML) over the same fields.
macro_rules! mail_templates {
    ($($text:ident: $text_path:literal, $html:ident: $html_path:literal { $($field:ident),* };)+) => {$(
        #[derive(Template)]
        #[template(path = $text_path)]
        struct $text<'a> { $($field: &'a str,)* product: &'a str }
        #[derive(Template)]
        #[template(path = $html_path)]
        struct $html<'a> { $($field: &'a str,)* product: &'a str }
    )+};
}

/// Renders a pair of [`mail_templates!`] over the same fields: `(text, html)`.
macro_rules! both {
    ($text:ident, $html:ident { $($field:ident),* } $product:expr) => {
        (
            $text { $($field,)* product: $product }.render()?,
            $html { $($field,)* product: $product }.render()?,
        )
    };
}

mail_templates! {
    VerifyEmailText: "mail/verify_email.txt", VerifyEmailHtml: "mail/verify_email.html" { name, email, link };
    PasswordResetText: "mail/password_reset.txt", PasswordResetHtml: "mail/password_reset.html" { name, email, link };
    PasswordChangedText: "mail/password_changed.txt", PasswordChangedHtml: "mail/password_changed.html" { name, email };
}

/// SPEC §12: a reset link lives 30 minutes.
const RESET_TTL: chrono::TimeDelta = chrono::TimeDelta::minutes(30);

/// A rendered mail.
struct Rendered {
    subject: String,
    text: String,
    html: String,
}

#[derive(Clone)]
pub struct Mailer {
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
    product: String,
    /// Where the `/account/*` pages are (`GATEHOUSE_APP_URL`, else the public URL).
    links: Url,
    /// The host part of every `Message-ID`.
    host: String,
    sealer: Sealer,
    dev: bool,
    wake: Arc<Notify>,
}

#[derive(Debug, thiserror::Error)]
#[error("mail configuration: {0}")]
pub struct MailConfigError(String);

impl Mailer {
    pub fn new(config: &Config) -> Result<Self, MailConfigError> {
        let transport = match &config.smtp_url {
            Some(url) => Some(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
                    .map_err(|e| MailConfigError(format!("GATEHOUSE_SMTP_URL: {e}")))?
                    .timeout(Some(Duration::from_secs(10)))
                    .build(),
            ),
            None => None,
        };
        let from = config
            .mail_from
            .parse()
            .map_err(|e| MailConfigError(format!("GATEHOUSE_MAIL_FROM: {e}")))?;
        Ok(Self {
            transport,
            from,
            product: config.product_name.clone(),
            links: config
                .app_url
                .clone()
                .unwrap_or_else(|| config.public_url.clone()),
            host: config
                .public_url
                .host_str()
                .unwrap_or("localhost")
                .to_owned(),
            sealer: Sealer::new(config.data_key.expose_secret(), b"outbox payload v1"),
            dev: config.dev,
            wake: Arc::default(),
        })
    }

    /// `{links}/account/<page>?token=…` (SPEC §12's page paths).
    pub fn link(&self, page: &str, token: &str) -> String {
        let mut url = self.links.clone();
        url.set_path(&format!("/account/{page}"));
        url.query_pairs_mut().clear().append_pair("token", token);
        url.to_string()
    }

    /// Writes `mail` to `recipient` into the outbox, in `tx`: it is sent once `tx`
    /// commits (call [`wake`](Self::wake) then), and never if it does not.
    pub async fn enqueue(&self, tx: &Tx, recipient: &str, mail: &Mail) -> Result<(), ApiError> {
        let payload = serde_json::to_vec(mail).map_err(|e| ApiError::Internal(e.into()))?;
        let id = Uuid::now_v7();
        outbox::enqueue(
            tx,
            &NewMail {
                id,
                kind: mail.kind(),
                recipient,
                payload: self.sealer.seal(&payload),
                message_id: format!("<{id}@{}>", self.host),
            },
        )
        .await?;
        Ok(())
    }

    /// Sends what was just committed now rather than at the next poll.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// The sender of this instance, until the process ends.
    pub fn spawn_sender(&self, db: PgPool) {
        if self.transport.is_none() && !self.dev {
            tracing::warn!(
                "no GATEHOUSE_SMTP_URL: mail is kept in the outbox until an SMTP server is configured"
            );
            return;
        }
        let mailer = self.clone();
        tokio::spawn(async move {
            loop {
                match mailer.send_due(&db).await {
                    // A full batch: more may be due.
                    Ok(sent) if sent as i64 == BATCH => continue,
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "outbox: sending failed; retrying"),
                }
                let _ = tokio::time::timeout(POLL, mailer.wake.notified()).await;
            }
        });
    }

    /// One batch: claimed, sent, settled, in one unit of work (the row locks keep other
    /// instances' senders off these rows meanwhile). How many were claimed.
    pub async fn send_due(&self, db: &PgPool) -> Result<usize, ApiError> {
        let tx = Tx::global(db, Mode::ReadWrite).await?;
        let due = outbox::claim_due(&tx, BATCH).await?;
        for mail in &due {
            match self.deliver(db, mail).await {
                Ok(()) => outbox::mark_sent(&tx, mail.id).await?,
                Err(error) => {
                    let now = Utc::now();
                    if now - mail.created_at > GIVE_UP_AFTER {
                        tracing::error!(mail = %mail.id, kind = %mail.kind, %error, "outbox: mail given up after 24 hours");
                        outbox::mark_failed(&tx, mail.id, &error).await?;
                    } else {
                        let next = next_attempt(now, mail.attempts);
                        tracing::warn!(mail = %mail.id, kind = %mail.kind, %error, %next, "outbox: mail not sent; will retry");
                        outbox::mark_retry(&tx, mail.id, next, &error).await?;
                    }
                }
            }
        }
        tx.commit().await?;
        Ok(due.len())
    }

    async fn deliver(&self, db: &PgPool, queued: &QueuedMail) -> Result<(), String> {
        let sealed = queued.payload.as_deref().ok_or("no payload")?;
        let plain = self
            .sealer
            .open(sealed)
            .map_err(|e| format!("{e} (was GATEHOUSE_DATA_KEY changed?)"))?;
        let mail: Mail = serde_json::from_slice(&plain).map_err(|e| e.to_string())?;
        let Some(mail) = self.resolve(db, mail).await.map_err(|e| e.to_string())? else {
            return Ok(()); // nothing to send (an address without an account)
        };
        let rendered = self.render(&mail).map_err(|e| e.to_string())?;
        let Some(transport) = &self.transport else {
            // Development mode without SMTP: the mail, links included, goes to the log.
            tracing::info!(
                to = %queued.recipient,
                subject = %rendered.subject,
                "mail (development mode, not sent):\n{}",
                rendered.text
            );
            return Ok(());
        };
        let to: Mailbox = queued
            .recipient
            .parse()
            .map_err(|e| format!("recipient: {e}"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(rendered.subject)
            .message_id(Some(queued.message_id.clone()))
            .multipart(MultiPart::alternative_plain_html(
                rendered.text,
                rendered.html,
            ))
            .map_err(|e| e.to_string())?;
        transport
            .send(message)
            .await
            .map(drop)
            .map_err(|e| e.to_string())
    }

    /// What a queued mail becomes at sending time: a reset request turns into the reset
    /// mail of the account with that address (a fresh token, which voids the older
    /// unused ones: each attempt's link is the only live one), or into nothing. The token
    /// is committed in a unit of work of its own, before the mail can leave: a link must
    /// never arrive before its token exists.
    async fn resolve(&self, db: &PgPool, mail: Mail) -> Result<Option<Mail>, ApiError> {
        let Mail::PasswordResetRequest { email } = mail else {
            return Ok(Some(mail));
        };
        let Ok(address) = domain::Email::parse(&email) else {
            return Ok(None);
        };
        let tx = Tx::global(db, Mode::ReadWrite).await?;
        let user = persistence::repo::users::find_by_email(&tx, &address)
            .await?
            .filter(|u| u.status == domain::UserStatus::Active);
        let Some(user) = user else {
            return Ok(None);
        };
        use persistence::repo::email_tokens;
        email_tokens::void_unused(&tx, user.id, "password_reset").await?;
        let token = auth::random::token(32);
        let hash = auth::sessions::token_hash(&token);
        let expires = Utc::now() + RESET_TTL;
        email_tokens::insert(&tx, &hash, user.id, "password_reset", &user.email, expires).await?;
        tx.commit().await?;
        Ok(Some(Mail::PasswordReset {
            name: user.display_name,
            email: user.email,
            link: self.link("reset-password", &token),
        }))
    }

    fn render(&self, mail: &Mail) -> Result<Rendered, askama::Error> {
        let product = self.product.as_str();
        let (subject, (text, html)) = match mail {
            Mail::PasswordResetRequest { .. } => {
                return Err(askama::Error::Custom(
                    "a reset request is resolved before it is rendered".into(),
                ));
            }
            Mail::VerifyEmail { name, email, link } => (
                format!("Confirm your email address for {product}"),
                both!(VerifyEmailText, VerifyEmailHtml { name, email, link } product),
            ),
            Mail::PasswordReset { name, email, link } => (
                format!("Reset your {product} password"),
                both!(PasswordResetText, PasswordResetHtml { name, email, link } product),
            ),
            Mail::PasswordChanged { name, email } => (
                format!("Your {product} password was changed"),
                both!(PasswordChangedText, PasswordChangedHtml { name, email } product),
            ),
        };
        Ok(Rendered {
            subject,
            text,
            html,
        })
    }
}

/// Exponential backoff: 1 s, 2 s, 4 s, … up to 15 minutes between attempts.
fn next_attempt(now: DateTime<Utc>, attempts: i32) -> DateTime<Utc> {
    let secs = 1i64
        .checked_shl(attempts.clamp(0, 30) as u32)
        .unwrap_or(MAX_BACKOFF_SECS)
        .min(MAX_BACKOFF_SECS);
    now + chrono::TimeDelta::seconds(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_up_to_fifteen_minutes() {
        let now = Utc::now();
        let waits: Vec<i64> = [0, 1, 2, 3, 10, 40]
            .iter()
            .map(|&n| (next_attempt(now, n) - now).num_seconds())
            .collect();
        assert_eq!(waits, [1, 2, 4, 8, 900, 900]);
    }
}
