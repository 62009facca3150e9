use crate::ValidationError;
use std::fmt;

/// An email address, trimmed and lowercased: two spellings of one address are one `Email`.
///
/// The check is deliberately structural (one `@`, a non-empty local part, a dotted domain
/// without spaces, at most 254 bytes — RFC 5321's path limit); deliverability is proven by
/// invitations, not by a regex.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let email = raw.trim().to_lowercase();
        let invalid = || ValidationError::new("email", "must be a valid email address");
        if email.is_empty() || email.len() > 254 {
            return Err(invalid());
        }
        let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
        let domain_ok = !domain.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '@');
        if !(domain_ok && local_ok) {
            return Err(invalid());
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_whitespace() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
    }

    #[test]
    fn rejects_malformed_addresses() {
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "ada@exa mple.com",
            "ada@@example.com",
            "ada@.example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} accepted");
        }
    }

    /// A local part of `local_len` bytes and a dotted domain that together make an address
    /// of exactly `total` bytes.
    fn address_of_length(local_len: usize, total: usize) -> String {
        let domain_len = total - local_len - 1;
        // "x…x.com": labels of letters, one dot, never at either end.
        let domain = format!("{}.com", "d".repeat(domain_len - 4));
        let address = format!("{}@{domain}", "l".repeat(local_len));
        assert_eq!(address.len(), total);
        address
    }

    #[test]
    fn address_of_exactly_254_bytes_is_accepted() {
        let address = address_of_length(10, 254);
        assert_eq!(Email::parse(&address).unwrap().as_str(), address);
    }

    #[test]
    fn address_of_255_bytes_is_rejected() {
        assert!(Email::parse(&address_of_length(10, 255)).is_err());
    }

    #[test]
    fn length_limit_applies_after_trimming() {
        let address = address_of_length(10, 254);
        assert!(Email::parse(&format!("   {address}   ")).is_ok());
    }

    #[test]
    fn local_part_of_exactly_64_bytes_is_accepted() {
        let address = format!("{}@example.com", "l".repeat(64));
        assert_eq!(Email::parse(&address).unwrap().as_str(), address);
    }

    #[test]
    fn local_part_of_65_bytes_is_rejected() {
        assert!(Email::parse(&format!("{}@example.com", "l".repeat(65))).is_err());
    }

    #[test]
    fn well_formed_addresses_are_accepted_as_given() {
        for good in [
            "ada@example.com",
            "a@b.c",
            "ada.lovelace+gatehouse@mail.example.co.uk",
            "ada@my-example.com",
            "ada_l@example-1.io",
            "ada@exämple.com",
        ] {
            assert_eq!(
                Email::parse(good).map(|e| e.as_str().to_owned()),
                Ok(good.to_owned()),
                "{good} rejected"
            );
        }
    }

    #[test]
    fn domain_must_contain_a_dot() {
        assert!(Email::parse("ada@localhost").is_err());
    }

    #[test]
    fn domain_must_not_start_or_end_with_a_dot() {
        assert!(Email::parse("ada@.example.com").is_err());
        assert!(Email::parse("ada@example.com.").is_err());
    }

    #[test]
    fn domain_must_not_contain_an_empty_label() {
        assert!(Email::parse("ada@example..com").is_err());
    }

    #[test]
    fn domain_allows_only_letters_digits_dots_and_hyphens() {
        for bad in [
            "ada@exa_mple.com",
            "ada@exa+mple.com",
            "ada@exa/mple.com",
            "ada@exa@mple.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn local_part_must_not_contain_whitespace_or_control_characters() {
        for bad in [
            "a b@example.com",
            "a\tb@example.com",
            "a\u{7}b@example.com",
            "a\u{85}b@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn a_valid_domain_does_not_excuse_an_invalid_local_part() {
        assert!(Email::parse("a\u{7}b@example.com").is_err());
        assert!(Email::parse(&format!("{}@example.com", "l".repeat(65))).is_err());
    }

    #[test]
    fn a_valid_local_part_does_not_excuse_an_invalid_domain() {
        assert!(Email::parse("ada@exa_mple.com").is_err());
    }

    #[test]
    fn two_spellings_of_one_address_are_equal() {
        assert_eq!(
            Email::parse("ADA@example.com").unwrap(),
            Email::parse(" ada@EXAMPLE.com").unwrap()
        );
    }

    #[test]
    fn rejection_names_the_email_field() {
        let error = Email::parse("nope").unwrap_err();
        assert_eq!(error.field, "email");
        assert_eq!(error.message, "must be a valid email address");
    }

    #[test]
    fn displays_as_the_normalised_address() {
        assert_eq!(
            Email::parse(" Ada@Example.com").unwrap().to_string(),
            "ada@example.com"
        );
    }
}
