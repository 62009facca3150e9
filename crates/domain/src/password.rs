//! The password policy (SPEC §8): at least 12 characters, at most 1024 bytes, and a
//! zxcvbn strength score of at least 3 with the user's own details as known inputs.

use crate::ValidationError;
use std::fmt;

pub const MIN_CHARS: usize = 12;
pub const MAX_BYTES: usize = 1024;
const MIN_SCORE: u8 = 3;

/// A password that passed the policy. `Debug` never shows it.
pub struct NewPassword(String);

impl NewPassword {
    /// `user_inputs` are the user's email, display name and the like: a password built from
    /// them is weak whatever its length.
    pub fn parse(raw: &str, user_inputs: &[&str]) -> Result<Self, ValidationError> {
        let fail = |message: String| ValidationError::new("password", message);
        if raw.chars().count() < MIN_CHARS {
            return Err(fail(format!("must be at least {MIN_CHARS} characters")));
        }
        if raw.len() > MAX_BYTES {
            return Err(fail(format!("must be at most {MAX_BYTES} bytes")));
        }
        let estimate = zxcvbn::zxcvbn(raw, user_inputs);
        if u8::from(estimate.score()) < MIN_SCORE {
            let mut message = String::from("is too easy to guess");
            if let Some(feedback) = estimate.feedback() {
                if let Some(warning) = feedback.warning() {
                    message.push_str(&format!(": {warning}"));
                }
                if let Some(tip) = feedback.suggestions().first() {
                    message.push_str(&format!(". {tip}"));
                }
            }
            return Err(fail(message));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enforces_length_and_strength() {
        assert!(NewPassword::parse("short", &[]).is_err());
        assert!(NewPassword::parse("passwordpassword", &[]).is_err());
        assert!(NewPassword::parse(&"x".repeat(1025), &[]).is_err());
        assert!(
            NewPassword::parse("ada.lovelace@example.com", &["ada.lovelace@example.com"]).is_err()
        );
        assert!(NewPassword::parse("correct horse battery staple 42", &[]).is_ok());
    }

    #[test]
    fn debug_does_not_leak() {
        let p = NewPassword::parse("correct horse battery staple 42", &[]).unwrap();
        assert!(!format!("{p:?}").contains("horse"));
        assert_eq!(format!("{p:?}"), "NewPassword(<redacted>)");
    }

    /// Deterministic high-entropy ASCII text (an xorshift walk over an alphabet without
    /// look-alikes): strong by zxcvbn at any length from 11 up, so only the length rules
    /// decide whether it passes.
    fn noise(len: usize) -> String {
        const ALPHABET: &[u8] =
            b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789#$%&*+=?!";
        let mut state: u32 = 0x9e37_79b9;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                char::from(ALPHABET[state as usize % ALPHABET.len()])
            })
            .collect()
    }

    fn score(raw: &str) -> u8 {
        u8::from(zxcvbn::zxcvbn(raw, &[]).score())
    }

    fn rejection(raw: &str) -> ValidationError {
        match NewPassword::parse(raw, &[]) {
            Ok(_) => panic!("{raw:?} accepted"),
            Err(error) => error,
        }
    }

    #[test]
    fn password_of_exactly_min_length_is_accepted() {
        let raw = noise(MIN_CHARS);
        assert!(score(&raw) >= MIN_SCORE);
        assert_eq!(NewPassword::parse(&raw, &[]).unwrap().expose(), raw);
    }

    #[test]
    fn strong_password_one_character_short_is_rejected_for_length() {
        let raw = noise(MIN_CHARS - 1);
        assert!(
            score(&raw) >= MIN_SCORE,
            "the probe must fail on length alone"
        );
        let error = rejection(&raw);
        assert_eq!(error.field, "password");
        assert_eq!(error.message, "must be at least 12 characters");
    }

    #[test]
    fn minimum_length_counts_characters_not_bytes() {
        // 12 characters in 21 bytes: long enough.
        let raw = "ñkç9ü#ß2€µ¥å";
        assert_eq!(raw.chars().count(), MIN_CHARS);
        assert!(NewPassword::parse(raw, &[]).is_ok());
        // 11 characters in 19 bytes: too short, though over 12 bytes.
        let short: String = raw.chars().take(MIN_CHARS - 1).collect();
        assert!(short.len() >= MIN_CHARS);
        assert_eq!(rejection(&short).message, "must be at least 12 characters");
    }

    #[test]
    fn password_of_exactly_max_bytes_is_accepted() {
        let raw = noise(MAX_BYTES);
        assert_eq!(NewPassword::parse(&raw, &[]).unwrap().expose(), raw);
    }

    #[test]
    fn strong_password_one_byte_over_max_is_rejected_for_length() {
        let raw = noise(MAX_BYTES + 1);
        assert!(
            score(&raw) >= MIN_SCORE,
            "the probe must fail on length alone"
        );
        let error = rejection(&raw);
        assert_eq!(error.field, "password");
        assert_eq!(error.message, "must be at most 1024 bytes");
    }

    #[test]
    fn maximum_length_counts_bytes_not_characters() {
        // 513 characters, 1026 bytes.
        let raw = "é".repeat(513);
        assert!(raw.len() > MAX_BYTES);
        assert_eq!(rejection(&raw).message, "must be at most 1024 bytes");
    }

    #[test]
    fn password_scoring_exactly_the_minimum_is_accepted() {
        let raw = "greenapple77";
        assert_eq!(score(raw), MIN_SCORE);
        assert_eq!(NewPassword::parse(raw, &[]).unwrap().expose(), raw);
    }

    #[test]
    fn password_scoring_one_below_the_minimum_is_rejected_as_guessable() {
        let raw = "horsebattery";
        assert_eq!(raw.chars().count(), MIN_CHARS);
        assert_eq!(score(raw), MIN_SCORE - 1);
        let error = rejection(raw);
        assert_eq!(error.field, "password");
        assert!(
            error.message.starts_with("is too easy to guess"),
            "{}",
            error.message
        );
    }

    #[test]
    fn the_users_own_details_make_a_password_weak() {
        let raw = "ada.lovelace@example.com";
        assert!(NewPassword::parse(raw, &[]).is_ok());
        assert!(NewPassword::parse(raw, &[raw]).is_err());
    }
}
