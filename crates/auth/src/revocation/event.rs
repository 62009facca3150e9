//! What travels on the revocation channel (`<p>revocations`): one line of text per
//! message, `<event id> <kind> <fields…>`, so that `redis-cli subscribe` shows it plainly.
//!
//! | kind | fields | meaning |
//! |---|---|---|
//! | `jti` | `<jti> <until ms>` | one access token is revoked |
//! | `sid` | `<sid> <until ms>` | every access token of a session is revoked |
//! | `user` | `<uid> <mark ms> <until ms>` | the user's tokens issued before the mark are refused |
//! | `tenant` | `<tid> <mark ms> <until ms>` | the tenant's tokens issued before the mark are refused |
//! | `member` | `<tid> <uid> <mark ms> <until ms>` | one membership's tokens issued before the mark are refused |
//! | `ack` | `<instance id>` | that instance has applied the event `<event id>` |

use std::fmt;
use uuid::Uuid;

/// Whose tokens a "not before" mark applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subject {
    User(Uuid),
    Tenant(Uuid),
    Member { tenant: Uuid, user: Uuid },
}

/// One revocation, as every instance's mirror applies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revocation {
    Token {
        jti: Uuid,
        until_ms: i64,
    },
    Session {
        sid: Uuid,
        until_ms: i64,
    },
    NotBefore {
        subject: Subject,
        mark_ms: i64,
        until_ms: i64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message {
    Revoked { id: u64, revocation: Revocation },
    Ack { id: u64, from: u64 },
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Message::Ack { id, from } => write!(f, "{id:016x} ack {from:016x}"),
            Message::Revoked { id, revocation } => {
                write!(f, "{id:016x} ")?;
                match revocation {
                    Revocation::Token { jti, until_ms } => write!(f, "jti {jti} {until_ms}"),
                    Revocation::Session { sid, until_ms } => write!(f, "sid {sid} {until_ms}"),
                    Revocation::NotBefore {
                        subject,
                        mark_ms,
                        until_ms,
                    } => match subject {
                        Subject::User(u) => write!(f, "user {u} {mark_ms} {until_ms}"),
                        Subject::Tenant(t) => write!(f, "tenant {t} {mark_ms} {until_ms}"),
                        Subject::Member { tenant, user } => {
                            write!(f, "member {tenant} {user} {mark_ms} {until_ms}")
                        }
                    },
                }
            }
        }
    }
}

impl Message {
    /// `None` for anything malformed: a stray publisher cannot crash the feed.
    pub fn parse(text: &str) -> Option<Self> {
        let mut words = text.split(' ');
        let id = u64::from_str_radix(words.next()?, 16).ok()?;
        let kind = words.next()?;
        let mut uuid = || words.next()?.parse::<Uuid>().ok();
        let message = match kind {
            "ack" => Message::Ack {
                id,
                from: u64::from_str_radix(words.next()?, 16).ok()?,
            },
            "jti" | "sid" | "user" | "tenant" | "member" => {
                let first = uuid()?;
                let second = if kind == "member" { uuid() } else { None };
                let mut number = || words.next()?.parse::<i64>().ok();
                let revocation = match kind {
                    "jti" => Revocation::Token {
                        jti: first,
                        until_ms: number()?,
                    },
                    "sid" => Revocation::Session {
                        sid: first,
                        until_ms: number()?,
                    },
                    _ => {
                        let subject = match (kind, second) {
                            ("user", None) => Subject::User(first),
                            ("tenant", None) => Subject::Tenant(first),
                            (_, Some(user)) => Subject::Member {
                                tenant: first,
                                user,
                            },
                            _ => return None,
                        };
                        Revocation::NotBefore {
                            subject,
                            mark_ms: number()?,
                            until_ms: number()?,
                        }
                    }
                };
                Message::Revoked { id, revocation }
            }
            _ => return None,
        };
        words.next().is_none().then_some(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_survives_the_wire() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let messages = [
            Message::Ack { id: 7, from: 9 },
            Message::Revoked {
                id: u64::MAX,
                revocation: Revocation::Token {
                    jti: a,
                    until_ms: 1_800_000_000_000,
                },
            },
            Message::Revoked {
                id: 1,
                revocation: Revocation::Session {
                    sid: a,
                    until_ms: 5,
                },
            },
            Message::Revoked {
                id: 2,
                revocation: Revocation::NotBefore {
                    subject: Subject::User(a),
                    mark_ms: 3,
                    until_ms: 4,
                },
            },
            Message::Revoked {
                id: 3,
                revocation: Revocation::NotBefore {
                    subject: Subject::Tenant(b),
                    mark_ms: 3,
                    until_ms: 4,
                },
            },
            Message::Revoked {
                id: 4,
                revocation: Revocation::NotBefore {
                    subject: Subject::Member { tenant: a, user: b },
                    mark_ms: 3,
                    until_ms: 4,
                },
            },
        ];
        for message in messages {
            assert_eq!(Message::parse(&message.to_string()), Some(message));
        }
    }

    #[test]
    fn malformed_messages_are_ignored() {
        let a = Uuid::now_v7();
        for text in [
            "",
            "zz ack",
            "01 nope",
            "01 ack",
            "01 ack 02 extra",
            &format!("01 jti {a}"),
            &format!("01 jti {a} soon"),
            &format!("01 user {a} 1"),
            &format!("01 member {a} 1 2"),
            &format!("01 sid {a} 1 2"),
        ] {
            assert_eq!(Message::parse(text), None, "{text:?}");
        }
    }
}
