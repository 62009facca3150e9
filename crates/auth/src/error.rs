use thiserror::Error;

/// The cause of an error, kept for the log (`source()`).
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, Error)]
pub enum AuthError {
    /// Redis did not answer (in time). Callers must fail closed: 503, never "allowed".
    #[error("redis unavailable")]
    Unavailable(#[source] Cause),
    /// The hashing pool's queue is full: shed load with 503 + Retry-After.
    #[error("password hashing pool saturated")]
    Overloaded,
    #[error("internal error")]
    Internal(#[source] Cause),
}

impl From<redis::RedisError> for AuthError {
    fn from(error: redis::RedisError) -> Self {
        AuthError::Unavailable(Box::new(error))
    }
}
