//! The headers every response carries, set in one middleware at the outermost layer
//! (inside only the tracing logger, whose request id it echoes).
//!
//! Being outermost matters: a guard's 401/403, the router's 404/405, a 413, a 429 and a
//! 503 are produced by inner services (the guards answer with responses, not `Err`, so the
//! CORS layer decorates them too; an `Err` that still arrives here gets the headers on the
//! response it carries), so no response leaves without:
//! - `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`, `X-Frame-Options:
//!   DENY`, and HSTS when configured;
//! - `X-Request-Id` (the id of the request's tracing span, so a client can quote it);
//! - `Cache-Control: no-store` when the request carried credentials (RFC 9111 §5.2.2.5:
//!   a shared cache must never keep a response made for one caller);
//! - a `Content-Security-Policy`: strict for HTML pages (SPEC §8), `default-src 'none'`
//!   for everything else (an API response is never a document to render).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use tracing_actix_web::RequestId;

/// For HTML pages (Swagger UI today, the login pages later): scripts, styles, images and
/// fetches from this origin only; no framing (clickjacking); forms post only here.
pub const HTML_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

/// For every other response.
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// The middleware's settings, derived once from the config.
#[derive(Debug, Clone)]
pub struct ResponseHeaders {
    hsts: Option<HeaderValue>,
}

impl ResponseHeaders {
    pub fn new(hsts_secs: u64) -> Self {
        let hsts = (hsts_secs > 0)
            .then(|| format!("max-age={hsts_secs}; includeSubDomains"))
            .and_then(|v| HeaderValue::from_str(&v).ok());
        Self { hsts }
    }

    fn apply(&self, headers: &mut HeaderMap, request_id: Option<&str>, authenticated: bool) {
        let set = |headers: &mut HeaderMap, name: HeaderName, value: &'static str| {
            headers.insert(name, HeaderValue::from_static(value));
        };
        set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
        set(headers, header::REFERRER_POLICY, "no-referrer");
        set(headers, header::X_FRAME_OPTIONS, "DENY");
        if let Some(hsts) = &self.hsts {
            headers.insert(header::STRICT_TRANSPORT_SECURITY, hsts.clone());
        }
        if let Some(id) = request_id.and_then(|id| HeaderValue::from_str(id).ok()) {
            headers.insert(HeaderName::from_static("x-request-id"), id);
        }
        if authenticated {
            set(headers, header::CACHE_CONTROL, "no-store");
        }
        let is_html = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"));
        // A page with a policy of its own (the sign-in pages: no script at all, forms
        // allowed to redirect to their client) keeps it.
        if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
            let csp = if is_html { HTML_CSP } else { API_CSP };
            set(headers, header::CONTENT_SECURITY_POLICY, csp);
        }
    }
}

/// Whether the request presents credentials of any kind.
fn carries_credentials(req: &ServiceRequest) -> bool {
    let headers = req.headers();
    headers.contains_key(header::AUTHORIZATION)
        || headers.contains_key("x-api-key")
        || headers.contains_key(header::COOKIE)
}

pub async fn set_response_headers<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    let settings = req
        .app_data::<web::Data<ResponseHeaders>>()
        .cloned()
        .unwrap_or_else(|| web::Data::new(ResponseHeaders::new(0)));
    let request_id = req.extensions().get::<RequestId>().map(|id| id.to_string());
    let authenticated = carries_credentials(&req);
    match next.call(req).await {
        Ok(mut response) => {
            settings.apply(response.headers_mut(), request_id.as_deref(), authenticated);
            Ok(response)
        }
        // An error still unanswered (the request is gone with it: actix's router needs
        // sole ownership of it, so it cannot be kept aside): its response, decorated,
        // travels inside the error.
        Err(error) => {
            let mut response = error.error_response();
            settings.apply(response.headers_mut(), request_id.as_deref(), authenticated);
            Err(InternalError::from_response(error.to_string(), response).into())
        }
    }
}
