use diesel::result::{DatabaseErrorKind, Error as DieselError};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum PersistenceError {
    /// The database could not be reached in time: the pool timed out, the connection broke,
    /// or the statement ran past its deadline. Maps to 503.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A unique constraint rejected the write; carries the constraint's name.
    #[error("conflict on {0}")]
    Conflict(String),
    #[error("not found")]
    NotFound,
    #[error("database error: {0}")]
    Query(DieselError),
    #[error("migration failed: {0}")]
    Migration(String),
}

impl From<DieselError> for PersistenceError {
    fn from(error: DieselError) -> Self {
        match error {
            DieselError::NotFound => PersistenceError::NotFound,
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                PersistenceError::Conflict(info.constraint_name().unwrap_or("unique").to_owned())
            }
            // diesel-async reports a connection that broke mid-request (closed socket, I/O
            // error) as UnableToSendCommand: the database is unreachable, not wrong.
            DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                info,
            ) => PersistenceError::Unavailable(info.message().to_owned()),
            // 57014 query_canceled (statement_timeout) has no kind of its own.
            DieselError::DatabaseError(_, ref info)
                if info.message().contains("statement timeout") =>
            {
                PersistenceError::Unavailable(info.message().to_owned())
            }
            other => PersistenceError::Query(other),
        }
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for PersistenceError {
    fn from(error: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        PersistenceError::Unavailable(error.to_string())
    }
}
