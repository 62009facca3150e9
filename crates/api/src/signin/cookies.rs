//! The browser cookies of SPEC §11. Over https they carry the `__Host-` / `__Secure-`
//! prefixes (RFC 6265bis §4.1.3: the browser itself then refuses them without `Secure`,
//! from another host or, for `__Host-`, on a narrower path); over plain http (loopback
//! development) the same names without prefix and without `Secure`.

use crate::config::{Config, CookieSameSite};
use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite, time};
use std::time::Duration;

#[derive(Debug, Clone, Copy)]
pub struct Cookies {
    secure: bool,
    refresh_same_site: SameSite,
    refresh_idle: Duration,
}

/// The login-state cookie: binds a pending sign-in's forms to this browser.
const LOGIN: &str = "gh_login";
/// The sign-in session: a second authorization skips the password.
const SESSION: &str = "gh_session";
/// A cookie client's refresh token.
const REFRESH: &str = "gh_refresh";

impl Cookies {
    pub fn new(config: &Config) -> Self {
        Self {
            secure: config.public_url.scheme() == "https",
            refresh_same_site: match config.cookie_samesite {
                CookieSameSite::Strict => SameSite::Strict,
                CookieSameSite::Lax => SameSite::Lax,
                CookieSameSite::None => SameSite::None,
            },
            refresh_idle: config.refresh_ttl,
        }
    }

    fn host_name(&self, name: &str) -> String {
        if self.secure {
            format!("__Host-{name}")
        } else {
            name.to_owned()
        }
    }

    pub fn login_name(&self) -> String {
        self.host_name(LOGIN)
    }

    pub fn session_name(&self) -> String {
        self.host_name(SESSION)
    }

    /// The value of cookie `name` on `req`, if any.
    pub fn read(req: &HttpRequest, name: &str) -> Option<String> {
        req.cookie(name).map(|c| c.value().to_owned())
    }

    /// HttpOnly, Path=/, SameSite=Lax (Strict would drop it on the way back from an
    /// identity provider), Secure over https.
    fn host_cookie(&self, name: String, value: String, max_age: Duration) -> Cookie<'static> {
        Cookie::build(name, value)
            .path("/")
            .http_only(true)
            .secure(self.secure)
            .same_site(SameSite::Lax)
            .max_age(time::Duration::seconds(max_age.as_secs() as i64))
            .finish()
    }

    pub fn login(&self, binding: String) -> Cookie<'static> {
        self.host_cookie(
            self.login_name(),
            binding,
            auth::login_state::LOGIN_STATE_TTL,
        )
    }

    pub fn session(&self, token: String, idle: Duration) -> Cookie<'static> {
        self.host_cookie(self.session_name(), token, idle)
    }

    /// `__Secure-gh_refresh` (`gh_refresh` over http).
    pub fn refresh_name(&self) -> String {
        if self.secure {
            format!("__Secure-{REFRESH}")
        } else {
            REFRESH.to_owned()
        }
    }

    /// The refresh token of a `refresh_delivery=cookie` client: HttpOnly, sent only to
    /// `/oauth` (the token and revocation endpoints), SameSite=Strict unless configured.
    pub fn refresh(&self, token: String) -> Cookie<'static> {
        Cookie::build(self.refresh_name(), token)
            .path("/oauth")
            .http_only(true)
            .secure(self.secure)
            .same_site(self.refresh_same_site)
            .max_age(time::Duration::seconds(self.refresh_idle.as_secs() as i64))
            .finish()
    }

    pub fn refresh_removal(&self) -> Cookie<'static> {
        let mut cookie = self.refresh(String::new());
        cookie.set_max_age(time::Duration::ZERO);
        cookie
    }

    /// Clears the sign-in session cookie.
    pub fn session_removal(&self) -> Cookie<'static> {
        self.host_cookie(self.session_name(), String::new(), Duration::ZERO)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cookies(public_url: &str) -> Cookies {
        let env = [
            ("DATABASE_URL", "postgres://app@127.0.0.1/gatehouse"),
            ("REDIS_URL", "redis://127.0.0.1"),
            (
                "GATEHOUSE_JWT_SECRET",
                "Qm9vdHN0cmFwIHNlY3JldCBmb3IgdGVzdHM",
            ),
            ("GATEHOUSE_DATA_KEY", "dGVzdCBkYXRhIGtleSwgbmV2ZXIgcmV1c2Vk"),
            ("GATEHOUSE_PUBLIC_URL", public_url),
        ];
        let config = Config::from_lookup(|name| {
            env.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        })
        .unwrap_or_else(|e| panic!("{e}"));
        Cookies::new(&config)
    }

    #[test]
    fn over_https_the_cookies_are_prefixed_and_secure() {
        let https = cookies("https://id.example.com");
        let login = https.login("b".into());
        assert_eq!(login.name(), "__Host-gh_login");
        assert_eq!(
            (login.secure(), login.http_only(), login.path()),
            (Some(true), Some(true), Some("/"))
        );
        assert_eq!(login.same_site(), Some(SameSite::Lax));
        assert_eq!(
            https.session("t".into(), Duration::from_secs(60)).name(),
            "__Host-gh_session"
        );
        let refresh = https.refresh("r".into());
        assert_eq!(refresh.name(), "__Secure-gh_refresh");
        assert_eq!(refresh.path(), Some("/oauth"));
        assert_eq!(refresh.same_site(), Some(SameSite::Strict));
        assert_eq!(refresh.secure(), Some(true));
    }

    #[test]
    fn over_plain_http_they_are_neither() {
        let http = cookies("http://127.0.0.1:8080");
        let session = http.session("t".into(), Duration::from_secs(60));
        assert_eq!(session.name(), "gh_session");
        assert_eq!(session.secure(), Some(false));
        assert_eq!(http.refresh("r".into()).name(), "gh_refresh");
    }
}
