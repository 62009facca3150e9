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
    }
}
