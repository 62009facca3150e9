//! OAuth clients (SPEC §11): the identifiers, redirect URIs and origins a client is
//! registered with. Parsed once, so every later comparison is an exact match of
//! normalised values (RFC 6749 §3.1.2.2, RFC 9700 §4.1.3: no pattern matching).

use crate::ValidationError;
use std::fmt;
use std::net::IpAddr;
use url::{Host, Url};

/// A client's public identifier: 3 to 64 of `a-z`, `0-9`, `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientId(String);

impl ClientId {
    pub const PATTERN: &'static str = "^[a-z0-9-]{3,64}$";

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let ok = (3..=64).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ValidationError::new(
                "client_id",
                "must be 3-64 characters of a-z, 0-9 and '-'",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for ClientId {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .min_length(Some(3))
            .max_length(Some(64))
            .pattern(Some(Self::PATTERN))
            .description(Some("3-64 characters of a-z, 0-9 and `-`."))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for ClientId {}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A refresh cookie is only honoured from a registered origin (SPEC §11): a client whose
/// refresh token travels in a cookie needs at least one.
pub fn check_delivery(
    delivery: crate::RefreshDelivery,
    origins: &[String],
) -> Result<(), ValidationError> {
    if delivery == crate::RefreshDelivery::Cookie && origins.is_empty() {
        return Err(ValidationError::new(
            "allowed_origins",
            "a client with refresh_delivery=cookie needs an origin",
        ));
    }
    Ok(())
}

/// Whether `url` may carry an OAuth exchange: https anywhere, plain http only to a
/// loopback address (RFC 8252 §7.3, §8.3: the IP literal, where nothing else can listen).
fn transport_ok(url: &Url) -> bool {
    match url.scheme() {
        "https" => url.host().is_some(),
        "http" => match url.host() {
            Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
            Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
            _ => false,
        },
        _ => false,
    }
}

/// A redirect URI a client registered: absolute, https (or http to a loopback IP), no
/// fragment (RFC 6749 §3.1.2), no credentials. Compared exactly, as normalised here.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RedirectUri(String);

impl RedirectUri {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let invalid = || {
            ValidationError::new(
                "redirect_uris",
                "must be absolute https URIs (http only to 127.0.0.1 or [::1]) without a \
                 fragment or credentials",
            )
        };
        let url = Url::parse(raw).map_err(|_| invalid())?;
        let ok = transport_ok(&url)
            && url.fragment().is_none()
            && url.username().is_empty()
            && url.password().is_none()
            && raw.len() <= 2000;
        if ok {
            Ok(Self(url.into()))
        } else {
            Err(invalid())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A web origin a client's pages run at (`scheme://host[:port]`, RFC 6454): what CORS and
/// the refresh cookie's `Origin` check compare against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientOrigin(String);

impl ClientOrigin {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let invalid = || {
            ValidationError::new(
                "allowed_origins",
                "must be origins like https://app.example.com (http only to 127.0.0.1 or \
                 [::1]), without a path",
            )
        };
        let url = Url::parse(raw).map_err(|_| invalid())?;
        let bare = url.path() == "/"
            && url.query().is_none()
            && url.fragment().is_none()
            && url.username().is_empty()
            && url.password().is_none()
            && !raw.ends_with('/');
        if !(transport_ok(&url) && bare) {
            return Err(invalid());
        }
        Ok(Self(url.origin().ascii_serialization()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cookie_client_needs_an_origin() {
        use crate::RefreshDelivery::{Body, Cookie};
        assert_eq!(
            check_delivery(Cookie, &[]).unwrap_err().field,
            "allowed_origins"
        );
        assert!(check_delivery(Cookie, &["https://a.example".into()]).is_ok());
        assert!(check_delivery(Body, &[]).is_ok());
    }

    #[test]
    fn client_ids_are_short_lowercase_words() {
        for good in ["swagger", "demo-spa", "a1-b2", &"x".repeat(64)] {
            assert_eq!(ClientId::parse(good).unwrap().as_str(), good);
        }
        for bad in [
            "ab",
            "Demo",
            "demo_spa",
            "demo spa",
            "",
            &"x".repeat(65),
            "dé",
        ] {
            assert_eq!(
                ClientId::parse(bad).unwrap_err().field,
                "client_id",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn redirect_uris_are_https_or_loopback_http() {
        for good in [
            "https://app.example.com/callback",
            "https://app.example.com/cb?x=1",
            "http://127.0.0.1:5173/callback",
            "http://[::1]:8080/cb",
            "https://localhost/cb",
        ] {
            assert!(RedirectUri::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "http://app.example.com/callback",
            "http://localhost:5173/cb",
            "https://app.example.com/cb#frag",
            "https://user:pw@app.example.com/cb",
            "javascript:alert(1)",
            "/relative",
            "ftp://example.com/cb",
            "http://10.0.0.1/cb",
        ] {
            assert_eq!(
                RedirectUri::parse(bad).unwrap_err().field,
                "redirect_uris",
                "{bad}"
            );
        }
    }

    #[test]
    fn redirect_uris_are_normalised_for_exact_comparison() {
        assert_eq!(
            RedirectUri::parse("HTTPS://App.Example.COM:443/cb")
                .unwrap()
                .as_str(),
            "https://app.example.com/cb"
        );
    }

    #[test]
    fn origins_have_no_path_and_are_normalised() {
        assert_eq!(
            ClientOrigin::parse("https://App.Example.com")
                .unwrap()
                .as_str(),
            "https://app.example.com"
        );
        assert_eq!(
            ClientOrigin::parse("http://127.0.0.1:5173")
                .unwrap()
                .as_str(),
            "http://127.0.0.1:5173"
        );
        for bad in [
            "https://app.example.com/",
            "https://app.example.com/path",
            "http://app.example.com",
            "https://app.example.com?x",
            "*",
            "null",
        ] {
            assert!(ClientOrigin::parse(bad).is_err(), "{bad}");
        }
    }
}
