//! Logging: JSON lines in production, readable lines with `GATEHOUSE_DEV=1`. `RUST_LOG`
//! overrides the default level.

use tracing_subscriber::EnvFilter;

pub fn init(dev: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if dev {
        builder.try_init()
    } else {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init()
    };
}

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RootSpanBuilder};

/// Query parameters that carry credentials: an emailed link's `token`, a logout's
/// `id_token_hint`, an authorization `code` (SPEC §12: request logs redact them).
const SECRET_PARAMETERS: &[&str] = &["token", "id_token_hint", "code"];

/// The request span of `tracing-actix-web`, with secret query parameters replaced by
/// `[redacted]` in `http.target`.
pub struct RedactingRootSpan;

impl RootSpanBuilder for RedactingRootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let span = tracing_actix_web::root_span!(request);
        if let Some(target) = redacted_target(request.uri().path(), request.uri().query()) {
            span.record("http.target", target.as_str());
        }
        span
    }

    fn on_request_end<B: MessageBody>(
        span: Span,
        outcome: &Result<ServiceResponse<B>, actix_web::Error>,
    ) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

/// `path?query` with the secret parameters' values replaced; `None` when there are none.
fn redacted_target(path: &str, query: Option<&str>) -> Option<String> {
    let query = query?;
    let mut secret = false;
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| {
            let name = pair.split('=').next().unwrap_or_default();
            if SECRET_PARAMETERS.contains(&name) {
                secret = true;
                format!("{name}=[redacted]")
            } else {
                pair.to_owned()
            }
        })
        .collect();
    secret.then(|| format!("{path}?{}", pairs.join("&")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_parameters_are_redacted_and_the_rest_kept() {
        assert_eq!(
            redacted_target("/account/verify-email", Some("token=abc&x=1")).as_deref(),
            Some("/account/verify-email?token=[redacted]&x=1")
        );
        assert_eq!(
            redacted_target("/oauth/logout", Some("id_token_hint=eyJ&state=s")).as_deref(),
            Some("/oauth/logout?id_token_hint=[redacted]&state=s")
        );
        assert_eq!(redacted_target("/oauth/authorize", Some("state=s")), None);
        assert_eq!(redacted_target("/healthz", None), None);
    }
}
