use crate::config::Config;
use auth::RedisStore;
use persistence::PgPool;
use std::sync::Arc;

/// Everything a handler may reach, built once at startup.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: PgPool,
    pub redis: RedisStore,
}
