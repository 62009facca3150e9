//! `GET /metrics`: Prometheus text exposition of the server's own counters. Counting is
//! a relaxed atomic increment per request; the exposition is built on demand.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use crate::state::AppState;

const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];
const BUCKETS_MS: [u64; 8] = [1, 2, 5, 10, 25, 50, 100, 250];

#[derive(Default)]
pub struct Metrics {
    responses: [AtomicU64; 5],
    unavailable: AtomicU64,
    too_many: AtomicU64,
    latency_buckets: [AtomicU64; 8],
    latency_count: AtomicU64,
    latency_sum_us: AtomicU64,
}

impl Metrics {
    fn observe(&self, status: u16, elapsed_us: u64) {
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        self.responses[class].fetch_add(1, Ordering::Relaxed);
        match status {
            503 => self.unavailable.fetch_add(1, Ordering::Relaxed),
            429 => self.too_many.fetch_add(1, Ordering::Relaxed),
            _ => 0,
        };
        for (bucket, limit) in self.latency_buckets.iter().zip(BUCKETS_MS) {
            if elapsed_us <= limit * 1000 {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_us.fetch_add(elapsed_us, Ordering::Relaxed);
    }

    fn render(&self, revocations: &auth::revocation::RevocationList) -> String {
        let mut out = String::new();
        let (by_mirror, by_redis) = revocations.checks();
        let _ = writeln!(
            out,
            "# HELP gatehouse_revocation_checks_total Access-token revocation checks, by what answered them."
        );
        let _ = writeln!(out, "# TYPE gatehouse_revocation_checks_total counter");
        let _ = writeln!(
            out,
            "gatehouse_revocation_checks_total{{source=\"mirror\"}} {by_mirror}"
        );
        let _ = writeln!(
            out,
            "gatehouse_revocation_checks_total{{source=\"redis\"}} {by_redis}"
        );
        let _ = writeln!(
            out,
            "# HELP gatehouse_revocation_mirror_live 1 while the local mirror of the revocation lists answers checks."
        );
        let _ = writeln!(out, "# TYPE gatehouse_revocation_mirror_live gauge");
        let _ = writeln!(
            out,
            "gatehouse_revocation_mirror_live {}",
            u8::from(revocations.mirror_live())
        );
        let _ = writeln!(
            out,
            "# HELP gatehouse_http_responses_total HTTP responses by status class."
        );
        let _ = writeln!(out, "# TYPE gatehouse_http_responses_total counter");
        for (class, counter) in CLASSES.iter().zip(&self.responses) {
            let _ = writeln!(
                out,
                "gatehouse_http_responses_total{{class=\"{class}\"}} {}",
                counter.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP gatehouse_http_shed_total Requests refused with 503 (dependency down or load shed)."
        );
        let _ = writeln!(out, "# TYPE gatehouse_http_shed_total counter");
        let _ = writeln!(
            out,
            "gatehouse_http_shed_total {}",
            self.unavailable.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP gatehouse_http_rate_limited_total Requests refused with 429."
        );
        let _ = writeln!(out, "# TYPE gatehouse_http_rate_limited_total counter");
        let _ = writeln!(
            out,
            "gatehouse_http_rate_limited_total {}",
            self.too_many.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP gatehouse_http_request_duration_seconds Time to the response head."
        );
        let _ = writeln!(
            out,
            "# TYPE gatehouse_http_request_duration_seconds histogram"
        );
        for (bucket, limit) in self.latency_buckets.iter().zip(BUCKETS_MS) {
            let _ = writeln!(
                out,
                "gatehouse_http_request_duration_seconds_bucket{{le=\"{}\"}} {}",
                limit as f64 / 1000.0,
                bucket.load(Ordering::Relaxed)
            );
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "gatehouse_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            out,
            "gatehouse_http_request_duration_seconds_sum {}",
            self.latency_sum_us.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "gatehouse_http_request_duration_seconds_count {count}");
        out
    }
}

/// Counts every response.
pub async fn record<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    let metrics = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.metrics.clone());
    let started = Instant::now();
    let response = next.call(req).await?;
    if let Some(metrics) = metrics {
        metrics.observe(
            response.status().as_u16(),
            started.elapsed().as_micros() as u64,
        );
    }
    Ok(response)
}

/// Prometheus metrics of this instance.
///
/// Public. Prometheus text (format 0.0.4) of this instance's own counters since it started:
/// responses by status class, 503s and 429s, a request latency histogram, and access-token
/// revocation checks by what answered them; and the deployment's outbox (SPEC §12): mails
/// by status and how long the oldest due one has waited (left out while the database
/// cannot answer).
#[utoipa::path(get, path = "/metrics", tag = "health", operation_id = "get_metrics",
    responses((status = 200, description = "Prometheus text exposition format 0.0.4", content_type = "text/plain")))]
pub async fn get_metrics(state: web::Data<AppState>) -> HttpResponse {
    let mut body = state.metrics.render(&state.revocations);
    if let Ok(stats) = outbox_stats(&state).await {
        let _ = writeln!(
            body,
            "# HELP gatehouse_outbox_mails Mails in the outbox, by status (sent and failed ones are kept)."
        );
        let _ = writeln!(body, "# TYPE gatehouse_outbox_mails gauge");
        for (status, count) in [
            ("queued", stats.queued),
            ("sent", stats.sent),
            ("failed", stats.failed),
        ] {
            let _ = writeln!(
                body,
                "gatehouse_outbox_mails{{status=\"{status}\"}} {count}"
            );
        }
        let _ = writeln!(
            body,
            "# HELP gatehouse_outbox_oldest_due_seconds How long the oldest mail due for sending has waited."
        );
        let _ = writeln!(body, "# TYPE gatehouse_outbox_oldest_due_seconds gauge");
        let _ = writeln!(
            body,
            "gatehouse_outbox_oldest_due_seconds {}",
            stats.oldest_due_secs
        );
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(body)
}

async fn outbox_stats(
    state: &AppState,
) -> Result<persistence::repo::outbox::OutboxStats, persistence::PersistenceError> {
    let tx = persistence::Tx::global(&state.db, persistence::Mode::ReadOnly).await?;
    persistence::repo::outbox::stats(&tx).await
}
