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
        let client = self
            .ip
            .map(|ip| ip.to_string())
            .unwrap_or_else(|| "unknown".into());
        match state
            .rate_limiter
            .check(scope, &client, state.config.login_rate)
            .await?
        {
            Ok(()) => Ok(()),
            Err(wait) => Err(ApiError::TooManyRequests {
                retry_after_secs: wait.secs(),
            }),
        }
    }
}

impl FromRequest for ClientInfo {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // Borrowed, not cloned: this runs on every request that records or limits a client.
        let state = req.app_data::<web::Data<AppState>>();
        let trusted: &[ipnet::IpNet] = state
            .map(|s| s.config.trusted_proxies.as_slice())
            .unwrap_or_default();
        let peer = req.peer_addr().map(|a| a.ip());
        let ip = match peer {
            Some(peer) if trusted.iter().any(|net| net.contains(&peer)) => {
                // Walk X-Forwarded-For from the right, skipping our own proxies: the first
                // address not trusted is the client (the left part is client-controlled).
                let forwarded: Vec<IpAddr> = req
                    .headers()
                    .get_all("x-forwarded-for")
                    .filter_map(|v| v.to_str().ok())
                    .flat_map(|v| v.split(','))
                    .filter_map(|s| s.trim().parse().ok())
                    .collect();
                forwarded
                    .iter()
                    .rev()
                    .find(|ip| !trusted.iter().any(|net| net.contains(*ip)))
                    .copied()
                    .or(forwarded.first().copied())
                    .or(Some(peer))
            }
            other => other,
        };
        let user_agent = req
            .headers()
            .get(USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.chars().take(256).collect());
        ready(Ok(ClientInfo { ip, user_agent }))
    }
}
