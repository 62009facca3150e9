use thiserror::Error;

#[derive(Debug, Error)]
pub enum AuthError {
    /// Redis did not answer (in time). Callers must fail closed: 503, never "allowed".
    #[error("redis unavailable: {0}")]
    Unavailable(String),
    /// The hashing pool's queue is full: shed load with 503 + Retry-After.
    #[error("password hashing pool saturated")]
    Overloaded,
    #[error("internal: {0}")]
    Internal(String),
}

impl From<redis::RedisError> for AuthError {
    fn from(error: redis::RedisError) -> Self {
        AuthError::Unavailable(error.to_string())
    }
}
