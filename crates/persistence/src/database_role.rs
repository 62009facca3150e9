//! What the role the server connects as may do (SPEC §8): the startup check reads it from
//! `pg_roles` and `pg_class`, so a deployment that connects as a superuser, as a role with
//! BYPASSRLS, or as the owner of the tables is caught before it serves a request.

use crate::PersistenceError;
use diesel::QueryableByName;
use diesel::sql_types::{Array, Bool, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use std::time::Duration;

/// The connected role's attributes that decide whether row-level security binds it.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct DatabaseRole {
    #[diesel(sql_type = Text)]
    pub name: String,
    /// Superusers bypass row-level security, even FORCEd.
    #[diesel(sql_type = Bool)]
    pub superuser: bool,
    #[diesel(sql_type = Bool)]
    pub bypass_rls: bool,
    /// Tables of schema `public` this role owns or whose owner it is a member of: it can
    /// ALTER or DROP them, or disable their row-level security.
    #[diesel(sql_type = Array<Text>)]
    pub owned_tables: Vec<String>,
}

const QUERY: &str = "\
SELECT r.rolname AS name, r.rolsuper AS superuser, r.rolbypassrls AS bypass_rls,
       ARRAY(SELECT c.relname::text FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
               AND pg_has_role(r.oid, c.relowner, 'MEMBER')
             ORDER BY c.relname) AS owned_tables
FROM pg_roles r WHERE r.rolname = current_user";

/// The role `database_url` connects as; one connection, closed after.
pub async fn inspect(
    database_url: &str,
    timeout: Duration,
) -> Result<DatabaseRole, PersistenceError> {
    let work = async {
        let mut conn = AsyncPgConnection::establish(database_url)
            .await
            .map_err(|e| PersistenceError::Unavailable(e.into()))?;
        Ok(diesel::sql_query(QUERY)
            .get_result::<DatabaseRole>(&mut conn)
            .await?)
    };
    tokio::time::timeout(timeout, work).await.map_err(|_| {
        PersistenceError::Unavailable("timed out inspecting the database role".into())
    })?
}
