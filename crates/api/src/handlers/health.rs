use crate::state::AppState;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
#[schema(example = json!({"status": "ok"}))]
pub struct Health {
    pub status: &'static str,
}

/// Liveness: the process answers.
///
/// Public. Always 200 with `{"status": "ok"}` while the process serves requests; it checks
/// no dependency (that is `GET /readyz`).
#[utoipa::path(get, path = "/healthz", tag = "health", operation_id = "get_health",
    responses((status = 200, description = "The process is alive", body = Health)))]
pub async fn get_health() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

#[derive(Serialize, ToSchema)]
pub struct ReadinessChecks {
    /// `ok` or `unavailable`
    pub postgres: &'static str,
    /// `ok` or `unavailable`
    pub redis: &'static str,
}

#[derive(Serialize, ToSchema)]
#[schema(example = json!({"status": "ok", "checks": {"postgres": "ok", "redis": "ok"}}))]
pub struct Readiness {
    /// `ok` when every check passes, else `unavailable`
    pub status: &'static str,
    pub checks: ReadinessChecks,
}

/// Readiness: PostgreSQL and Redis both answer.
///
/// Public. Pings PostgreSQL and Redis concurrently and reports each as `ok` or
/// `unavailable` in `checks`: 200 when both answer, else 503 with the same body.
#[utoipa::path(get, path = "/readyz", tag = "health", operation_id = "get_readiness",
    responses(
        (status = 200, description = "Ready to serve", body = Readiness),
        (status = 503, description = "A dependency is unavailable", body = Readiness),
    ))]
pub async fn get_readiness(state: web::Data<AppState>) -> HttpResponse {
    let timeout = state.config.dependency_timeout;
    let postgres = async {
        matches!(
            tokio::time::timeout(timeout, persistence::ping(&state.db)).await,
            Ok(Ok(()))
        )
    };
    let redis = async { state.redis.ping().await.is_ok() };
    let (postgres, redis) = tokio::join!(postgres, redis);
    let label = |ok: bool| if ok { "ok" } else { "unavailable" };
    let body = Readiness {
        status: label(postgres && redis),
        checks: ReadinessChecks {
            postgres: label(postgres),
            redis: label(redis),
        },
    };
    if postgres && redis {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
