use crate::ValidationError;
use std::fmt;

/// A tenant slug: `^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$` — 3 to 63 characters, lowercase
/// letters, digits and inner hyphens, so it is safe in a URL and a DNS label.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

impl Slug {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let bytes = raw.as_bytes();
        let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        let ok = (3..=63).contains(&bytes.len())
            && bytes.first().is_some_and(alnum)
            && bytes.last().is_some_and(alnum)
            && bytes.iter().all(|b| alnum(b) || *b == b'-');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ValidationError::new(
                "slug",
                "must be 3-63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_spec_pattern() {
        for good in ["acme", "a1b", "acme-corp", &"a".repeat(63)] {
            assert!(Slug::parse(good).is_ok(), "{good} rejected");
        }
    }

    #[test]
    fn rejects_everything_else() {
        for bad in [
            "ab",
            "-acme",
            "acme-",
            "Acme",
            "ac me",
            "acmé",
            &"a".repeat(64),
            "",
        ] {
            assert!(Slug::parse(bad).is_err(), "{bad} accepted");
        }
    }
}
