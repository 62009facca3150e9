//! The app factory, shared by `gatehouse serve` and the test harness.

use crate::config::Config;
use crate::error::ApiError;
use crate::state::AppState;
use crate::{extract, openapi, routes};
use actix_cors::Cors;
use actix_web::ResponseError;
use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::{DefaultHeaders, ErrorHandlerResponse, ErrorHandlers, Next, from_fn};
use actix_web::{App, HttpMessage, HttpServer, web};
use auth::RedisStore;
use persistence::PoolSettings;
use secrecy::ExposeSecret;
use std::net::TcpListener;
use tracing_actix_web::{RequestId, TracingLogger};
use utoipa_swagger_ui::SwaggerUi;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Persistence(#[from] persistence::PersistenceError),
    #[error(transparent)]
    Auth(#[from] auth::AuthError),
}

pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Builds the state and binds the listener; nothing is served until
    /// [`run_until_stopped`](Self::run_until_stopped).
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        let state = build_state(config)?;
        // SPEC §14: before serving, check that Redis still holds the state PostgreSQL
        // expects (reset if it lost it). Either may be down at start: then the revocation
        // feed compares once they answer, and token checks fail closed until it has.
        if let Err(error) = state.revocations.establish_epoch().await {
            tracing::warn!(%error, "could not compare the Redis epoch at start; will retry");
        }
        state.api_keys.spawn_flusher(state.config.api_key_touch);
        let listener =
            TcpListener::bind(state.config.bind).map_err(|source| StartupError::Bind {
                addr: state.config.bind.to_string(),
                source,
            })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartupError::Bind {
                addr: state.config.bind.to_string(),
                source,
            })?
            .port();
        let workers = state.config.http_workers;
        let server_state = state.clone();
        let server = HttpServer::new(move || build_app(server_state.for_worker(workers)))
            .workers(workers)
            .shutdown_timeout(10)
            .listen(listener)
            .map_err(|source| StartupError::Bind {
                addr: port.to_string(),
                source,
            })?
            .run();
        Ok(Self { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGINT/SIGTERM, then drains in-flight requests (graceful shutdown).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

pub fn build_state(config: Config) -> Result<AppState, StartupError> {
    // Requests use their worker's own pool (`AppState::for_worker`); this one serves
    // background work (API key lookups and stamps), so a few connections do.
    let db = persistence::build_pool(
        config.database_url(),
        &PoolSettings {
            max_size: crate::state::SHARED_DB_CONNECTIONS,
            timeout: config.dependency_timeout,
        },
    )?;
    let redis = RedisStore::connect(
        config.redis_url.expose_secret(),
        &config.redis_prefix,
        config.dependency_timeout,
    )?;
    Ok(AppState::new(config, db, redis)?)
}

fn build_app(
    state: AppState,
) -> App<
    impl actix_web::dev::ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let config = state.config.clone();
    let mut security_headers = DefaultHeaders::new()
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::REFERRER_POLICY, "no-referrer"));
    if config.hsts_secs > 0 {
        security_headers = security_headers.add((
            header::STRICT_TRANSPORT_SECURITY,
            format!("max-age={}; includeSubDomains", config.hsts_secs),
        ));
    }
    App::new()
        .app_data(web::Data::new(state))
        .app_data(extract::json_config())
        .app_data(extract::form_config())
        .app_data(extract::path_config())
        .app_data(extract::query_config())
        .app_data(web::PayloadConfig::new(extract::JSON_LIMIT))
        .configure(routes::configure)
        .service(
            SwaggerUi::new("/docs/{_:.*}")
                .url("/openapi.json", openapi::document())
                .config(utoipa_swagger_ui::Config::default().persist_authorization(true)),
        )
        .default_service(web::to(|| async {
            Err::<actix_web::HttpResponse, _>(ApiError::NotFound)
        }))
        .wrap(ErrorHandlers::new().default_handler(problem_for_bare_errors))
        .wrap(cors(&config))
        .wrap(security_headers)
        .wrap(from_fn(crate::metrics::record))
        .wrap(from_fn(echo_request_id))
        .wrap(TracingLogger::default())
}

/// Explicit origins only; credentials allowed for them (and `*` was refused at startup).
fn cors(config: &Config) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            HeaderName::from_static("x-api-key"),
        ])
        .expose_headers([
            HeaderName::from_static("x-request-id"),
            header::WWW_AUTHENTICATE,
            header::RETRY_AFTER,
        ])
        .supports_credentials()
        .max_age(600);
    for origin in &config.cors_origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// Echoes the request id that `TracingLogger` put on the span, so a client can quote it.
async fn echo_request_id(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = req.extensions().get::<RequestId>().map(|id| id.to_string());
    let mut response = next.call(req).await?;
    if let Some(value) = id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        response
            .headers_mut()
            .insert(HeaderName::from_static("x-request-id"), value);
    }
    Ok(response)
}

/// Errors produced by actix itself (an oversized raw body, a wrong method, …) come as plain
/// text: give them the problem+json shape every other error has.
fn problem_for_bare_errors<B>(
    response: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    if is_json {
        return Ok(ErrorHandlerResponse::Response(
            response.map_into_left_body(),
        ));
    }
    let status = response.status();
    let error = match status.as_u16() {
        404 => ApiError::NotFound,
        405 => ApiError::MethodNotAllowed,
        413 => ApiError::PayloadTooLarge,
        415 => ApiError::UnsupportedMediaType("unsupported content type".into()),
        429 => ApiError::TooManyRequests {
            retry_after_secs: 1,
        },
        400..=499 => ApiError::BadRequest(
            status
                .canonical_reason()
                .unwrap_or("bad request")
                .to_lowercase(),
        ),
        503 => ApiError::Unavailable("unavailable".into()),
        _ => ApiError::Internal(format!("unhandled {status}")),
    };
    let (request, _) = response.into_parts();
    let mut replacement = error.error_response();
    // Keep the original status (e.g. 431, 408) where the mapping is coarser.
    *replacement.status_mut() = status;
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(request, replacement).map_into_right_body(),
    ))
}
