//! Who is calling, for audit records and rate limits.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::header::USER_AGENT;
use actix_web::{FromRequest, HttpRequest, web};
use std::future::{Ready, ready};
use std::net::IpAddr;

/// The client's IP (from `X-Forwarded-For` only when the peer is a trusted proxy) and
/// user agent.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}

impl ClientInfo {
    pub fn ip_string(&self) -> Option<String> {
        self.ip.map(|ip| ip.to_string())
    }
}

impl ClientInfo {
    /// Spends one of this client's requests for `scope` (`GATEHOUSE_LOGIN_RATE` a minute);
    /// 429 with `Retry-After` when none are left.
    pub async fn rate_limit(&self, state: &AppState, scope: &str) -> Result<(), ApiError> {
        let client = auth::rate_limit::client_bucket(self.ip);
        let limit = state.config.login_rate;
        let verdict = state.rate_limiter.check(scope, &client, limit).await?;
        Ok(verdict?)
    }
}

impl FromRequest for ClientInfo {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let ip = client_ip(req);
        let user_agent = req
            .headers()
            .get(USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.chars().take(256).collect());
        ready(Ok(ClientInfo { ip, user_agent }))
    }
}

/// The client's address as this deployment's trusted proxies report it.
pub fn client_ip(req: &HttpRequest) -> Option<IpAddr> {
    // Borrowed, not cloned: this runs on every request that records or limits a client.
    let state = req.app_data::<web::Data<AppState>>();
    let trusted: &[ipnet::IpNet] = state
        .map(|s| s.config.trusted_proxies.as_slice())
        .unwrap_or_default();
    req.peer_addr().map(|peer| {
        let forwarded = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','));
        client_address(peer.ip(), forwarded, trusted)
    })
}

/// The client's address, from the peer and the `X-Forwarded-For` entries (in header order).
///
/// Only a trusted proxy's word counts: walking from the right (the entry our nearest proxy
/// appended), each trusted address hands over to the one before it; the first untrusted
/// address is the client. An entry that is not a valid IP ends the walk (SPEC §8): what
/// stands left of it is client-controlled, so the last address known good (a trusted
/// proxy) is used rather than letting a client pick its rate-limit bucket and audit IP.
pub fn client_address<'a>(
    peer: IpAddr,
    forwarded: impl DoubleEndedIterator<Item = &'a str>,
    trusted: &[ipnet::IpNet],
) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut current = peer;
    if !is_trusted(&current) {
        return current;
    }
    for entry in forwarded.rev() {
        let Ok(ip) = entry.trim().parse::<IpAddr>() else {
            return current;
        };
        current = ip;
        if !is_trusted(&current) {
            return current;
        }
    }
    current
}

#[cfg(test)]
mod tests {
    use super::client_address;
    use std::net::IpAddr;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn walk(peer: &str, xff: &str, trusted: &[&str]) -> IpAddr {
        let trusted: Vec<ipnet::IpNet> = trusted.iter().map(|t| t.parse().unwrap()).collect();
        client_address(ip(peer), xff.split(','), &trusted)
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        assert_eq!(
            walk("203.0.113.9", "1.2.3.4", &["10.0.0.0/8"]),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn the_first_untrusted_address_from_the_right_is_the_client() {
        let trusted = ["10.0.0.0/8"];
        assert_eq!(
            walk("10.0.0.1", "9.9.9.9, 203.0.113.9, 10.0.0.2", &trusted),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn an_invalid_entry_stops_the_walk_at_the_last_trusted_hop() {
        let trusted = ["10.0.0.0/8"];
        assert_eq!(
            walk("10.0.0.1", "1.2.3.4, garbage", &trusted),
            ip("10.0.0.1")
        );
        assert_eq!(
            walk("10.0.0.1", "1.2.3.4, nonsense, 10.0.0.7", &trusted),
            ip("10.0.0.7")
        );
    }

    #[test]
    fn only_trusted_hops_leave_the_leftmost_one() {
        assert_eq!(
            walk("10.0.0.1", "10.0.0.3, 10.0.0.2", &["10.0.0.0/8"]),
            ip("10.0.0.3")
        );
    }
}
