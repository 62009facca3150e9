//! The app factory, shared by `gatehouse serve` and the test harness.

use crate::client_origins::ClientOrigins;
use crate::config::Config;
use crate::error::ApiError;
use crate::headers::{ResponseHeaders, set_response_headers};
use crate::state::AppState;
use crate::{extract, handlers, openapi, routes};
use actix_cors::Cors;
use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers, from_fn};
use actix_web::{App, HttpServer, web};
use auth::RedisStore;
use persistence::PoolSettings;
use secrecy::ExposeSecret;
use std::net::TcpListener;
use tracing_actix_web::TracingLogger;
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
    #[error(
        "refusing to serve as database role `{role}`: {problem}, so row-level security does \
         not apply to it; connect DATABASE_URL as a role without SUPERUSER or BYPASSRLS \
         (README, \"Database roles\")"
    )]
    UnsafeDatabaseRole { role: String, problem: &'static str },
}

/// SPEC §8: the role `DATABASE_URL` connects as must be bound by row-level security.
/// Refuses a superuser or a role with BYPASSRLS; warns when the role owns (or is a member
/// of the owner of) the tables it serves, since it could then ALTER them or drop their
/// policies. `gatehouse serve` calls this before [`Application::build`]; a database that
/// cannot be reached is an error too, since the role could not be checked.
pub async fn check_database_role(
    config: &Config,
) -> Result<persistence::database_role::DatabaseRole, StartupError> {
    let role =
        persistence::database_role::inspect(config.database_url(), config.dependency_timeout)
            .await?;
    judge_database_role(&role)?;
    Ok(role)
}

/// The rule of [`check_database_role`], on the facts it read.
pub fn judge_database_role(
    role: &persistence::database_role::DatabaseRole,
) -> Result<(), StartupError> {
    let refuse = |problem| {
        Err(StartupError::UnsafeDatabaseRole {
            role: role.name.clone(),
            problem,
        })
    };
    if role.superuser {
        return refuse("it is a superuser");
    }
    if role.bypass_rls {
        return refuse("it has BYPASSRLS");
    }
    if !role.owned_tables.is_empty() {
        tracing::warn!(
            role = %role.name,
            tables = role.owned_tables.len(),
            "the database role owns the tables it serves (or is a member of their owner): \
             it could alter them or disable their row-level security. Run migrations as an \
             owner role (GATEHOUSE_MIGRATION_DATABASE_URL) and serve as a role that owns \
             nothing (README, \"Database roles\")"
        );
    }
    Ok(())
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
        state.client_origins.refresh(&state.db).await;
        state.client_origins.spawn_reloader(state.db.clone());
        state.mailer.spawn_sender(state.db.clone());
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
    let origins = state.client_origins.clone();
    App::new()
        .app_data(web::Data::new(state))
        .app_data(web::Data::new(ResponseHeaders::new(config.hsts_secs)))
        .app_data(extract::json_config())
        .app_data(extract::form_config())
        .app_data(extract::path_config())
        .app_data(extract::query_config())
        .app_data(web::PayloadConfig::new(extract::JSON_LIMIT))
        .configure(routes::configure)
        // The browser sign-in (HTML, outside the OpenAPI document like every page).
        .service(web::resource("/oauth/authorize").get(handlers::authorize::authorize))
        .service(web::resource("/oauth/logout").get(handlers::oidc::log_out))
        .service(web::resource("/login/password").post(handlers::login::submit_password))
        .service(web::resource("/login/tenant").post(handlers::login::submit_tenant))
        .service(web::resource("/login/consent").post(handlers::login::submit_consent))
        .service(
            web::resource("/account/verify-email")
                .get(handlers::email::verify_email_page)
                .post(handlers::email::verify_email_submit),
        )
        .service(
            web::resource("/account/reset-password")
                .get(handlers::password_reset::reset_password_page)
                .post(handlers::password_reset::reset_password_submit),
        )
        .service(web::resource("/assets/signin.css").get(crate::signin::pages::stylesheet))
        .service(web::resource("/problems").get(handlers::problems::list_problems))
        .service(web::resource("/problems/{kind}").get(handlers::problems::describe_problem))
        .service(
            SwaggerUi::new("/docs/{_:.*}")
                .external_urls_from_iter_unchecked([(
                    "/openapi.json",
                    openapi::document_for(&config),
                )])
                .config(utoipa_swagger_ui::Config::default().persist_authorization(true))
                // The authorization code flow with PKCE, as the registered public client
                // `swagger` (SPEC §11); its redirect is Swagger UI's own page.
                .oauth(
                    utoipa_swagger_ui::oauth::Config::new()
                        .client_id("swagger")
                        .use_pkce_with_authorization_code_grant(true),
                ),
        )
        .default_service(web::to(|| async {
            Err::<actix_web::HttpResponse, _>(ApiError::NotFound)
        }))
        .wrap(ErrorHandlers::new().default_handler(problem_for_bare_errors))
        .wrap(cors(&config, origins))
        .wrap(from_fn(crate::metrics::record))
        // Outermost but for the logger (whose request id it echoes): see `headers`.
        .wrap(from_fn(set_response_headers))
        .wrap(TracingLogger::<crate::telemetry::RedactingRootSpan>::new())
}

/// Explicit origins only; credentials allowed for them (and `*` was refused at startup).
/// `/oauth/*` also answers the registered OAuth clients' origins (SPEC §11).
fn cors(config: &Config, clients: ClientOrigins) -> Cors {
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
    // SPEC §11: the registered clients' origins, for the OAuth endpoints and the API only
    // (never the login pages, whose forms must come from Gatehouse itself).
    cors.allowed_origin_fn(move |origin, request| {
        let path = request.uri.path();
        (path.starts_with("/oauth/") || path.starts_with("/api/v1/"))
            && origin.to_str().is_ok_and(|origin| clients.allows(origin))
    })
}

/// Every error answer leaves as a problem whose `type` is under the configured public URL
/// (SPEC §15). Ours are rendered again here, where the configuration is at hand; those of
/// actix itself (an oversized raw body, a wrong method, …) come as plain text and get the
/// problem shape every other error has.
fn problem_for_bare_errors<B>(
    response: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let public_url = response
        .request()
        .app_data::<web::Data<AppState>>()
        .map(|state| state.config.issuer())
        .unwrap_or_default();
    let status = response.status();
    let ours = response
        .response()
        .error()
        .and_then(|e| e.as_error::<ApiError>());
    if let Some(mut problem) = ours.map(|error| error.problem(&public_url)) {
        // Only the body changes: the response keeps its headers, and its error, which the
        // request logger reports.
        problem.status = status.as_u16();
        let body = serde_json::to_string(&problem).unwrap_or_default();
        return Ok(ErrorHandlerResponse::Response(
            response.map_body(|_, _| EitherBody::right(BoxBody::new(body))),
        ));
    }
    // JSON is already a problem or an OAuth error; HTML is a sign-in page's error page.
    let is_final = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json") || v.starts_with("text/html"));
    if is_final {
        return Ok(ErrorHandlerResponse::Response(
            response.map_into_left_body(),
        ));
    }
    let error = match status.as_u16() {
        404 => ApiError::NotFound,
        405 => ApiError::MethodNotAllowed {
            allow: response
                .headers()
                .get(header::ALLOW)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
        },
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
        _ => ApiError::Internal(format!("unhandled {status}").into()),
    };
    let (request, _) = response.into_parts();
    let mut replacement = error.problem_response(&public_url);
    // Keep the original status (e.g. 431, 408) where the mapping is coarser.
    *replacement.status_mut() = status;
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(request, replacement).map_into_right_body(),
    ))
}
