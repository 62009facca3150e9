use crate::ValidationError;
use std::fmt;

/// A tenant slug: `^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$` — 3 to 63 characters, lowercase
/// letters, digits and inner hyphens, so it is safe in a URL and a DNS label.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

impl Slug {
    /// The rule as a regular expression (the OpenAPI document's `pattern`).
    pub const PATTERN: &'static str = "^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$";

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

/// The rule as JSON Schema (SPEC §15).
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Slug {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .min_length(Some(3))
            .max_length(Some(63))
            .pattern(Some(Slug::PATTERN))
            .description(Some(
                "3-63 characters of a-z, 0-9 and `-`, starting and ending with a letter or digit.",
            ))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Slug {}

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

    #[test]
    fn slug_of_exactly_3_characters_is_accepted() {
        assert_eq!(Slug::parse("abc").unwrap().as_str(), "abc");
        assert_eq!(Slug::parse("a-1").unwrap().as_str(), "a-1");
    }

    #[test]
    fn slug_of_exactly_63_characters_is_accepted() {
        let slug = format!("a{}9", "-".repeat(61));
        assert_eq!(Slug::parse(&slug).unwrap().as_str(), slug);
    }

    #[test]
    fn slug_of_64_characters_is_rejected() {
        assert!(Slug::parse(&format!("a{}9", "b".repeat(62))).is_err());
    }

    #[test]
    fn slug_may_start_and_end_with_a_digit() {
        for good in ["1ab", "ab1", "123", "0-0", "2024-acme-9"] {
            assert_eq!(
                Slug::parse(good).map(|s| s.as_str().to_owned()),
                Ok(good.to_owned()),
                "{good} rejected"
            );
        }
    }

    #[test]
    fn slug_may_not_start_or_end_with_a_hyphen_even_when_otherwise_valid() {
        for bad in ["-ab", "ab-", "---", "-1-", "-abc-"] {
            assert!(Slug::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn slug_must_not_contain_other_characters_inside() {
        for bad in ["a_b", "a.b", "aBc", "a b", "a/b", "a@b", "aéb"] {
            assert!(Slug::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn rejection_names_the_slug_field() {
        assert_eq!(Slug::parse("A").unwrap_err().field, "slug");
    }

    #[test]
    fn displays_as_given() {
        assert_eq!(Slug::parse("acme-corp").unwrap().to_string(), "acme-corp");
    }
}
