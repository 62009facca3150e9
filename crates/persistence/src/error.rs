use diesel::result::{DatabaseErrorKind, Error as DieselError};
use thiserror::Error;

/// The cause of an error, kept for the log (`source()`), never shown to a client.
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, Error)]
pub enum PersistenceError {
    /// The database could not be reached in time: the pool timed out, the connection broke,
    /// or the statement ran past its deadline. Maps to 503.
    #[error("database unavailable")]
    Unavailable(#[source] Cause),
    /// A unique constraint rejected the write.
    #[error("conflict on {0:?}")]
    Conflict(Unique),
    #[error("not found")]
    NotFound,
    #[error("database error")]
    Query(#[source] DieselError),
    /// A statement of the transaction failed earlier: PostgreSQL aborted it, so it cannot
    /// commit (a `COMMIT` would silently roll back).
    #[error("the transaction was aborted by an earlier failed statement")]
    Aborted,
    #[error("migration failed")]
    Migration(#[source] Cause),
}

/// The unique constraints a client can run into, told apart by name here and only here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unique {
    TenantSlug,
    UserEmail,
    RoleName,
    ClientId,
    /// A constraint with no meaning of its own to a client (a primary key, a token hash).
    Other,
}

impl Unique {
    fn from_constraint(name: Option<&str>) -> Unique {
        match name {
            Some("tenants_slug_key") => Unique::TenantSlug,
            Some("users_email_key") => Unique::UserEmail,
            Some("roles_tenant_id_name_key") => Unique::RoleName,
            Some("oauth_clients_client_id_key") => Unique::ClientId,
            _ => Unique::Other,
        }
    }
}

/// PostgreSQL's `query_canceled` (57014), raised by `statement_timeout`.
const QUERY_CANCELED: &str = "canceling statement due to statement timeout";

impl From<DieselError> for PersistenceError {
    fn from(error: DieselError) -> Self {
        match error {
            DieselError::NotFound => PersistenceError::NotFound,
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, ref info) => {
                PersistenceError::Conflict(Unique::from_constraint(info.constraint_name()))
            }
            // diesel-async reports a connection that broke mid-request (closed socket, I/O
            // error) as UnableToSendCommand: the database is unreachable, not wrong.
            DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                _,
            ) => PersistenceError::Unavailable(Box::new(error)),
            // 57014 has no kind of its own in diesel; its message is fixed by PostgreSQL.
            DieselError::DatabaseError(_, ref info) if info.message() == QUERY_CANCELED => {
                PersistenceError::Unavailable(Box::new(error))
            }
            other => PersistenceError::Query(other),
        }
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for PersistenceError {
    fn from(error: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        PersistenceError::Unavailable(Box::new(error))
    }
}
