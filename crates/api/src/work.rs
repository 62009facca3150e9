//! The unit of work a tenant handler holds: the tenant's transaction, who acts, from where,
//! and what must happen once it commits. A handler reads as straight-line `?` code —
//! parse, call the repository, audit, commit, respond:
//!
//! ```ignore
//! pub async fn delete_project(work: TenantWork, id: PathId<ProjectId>) -> Result<HttpResponse, ApiError> {
//!     projects::delete(&work.tx, *id).await?.ok_or(ApiError::NotFound)?;
//!     work.audit(Action::ProjectDeleted, Target::Project(*id), Value::Null).await?;
//!     work.commit().await?;
//!     Ok(HttpResponse::NoContent().finish())
//! }
//! ```
//!
//! Returning early (`?`) drops the value and rolls the transaction back.

use crate::error::ApiError;
use crate::guards::{Caller, TenantContext};
use crate::handlers::client::ClientInfo;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::Method;
use actix_web::{FromRequest, HttpRequest, web};
use auth::revocation::Affected;
use domain::policy::Actor;
use domain::{Action, ScopeSet, Target, TenantId};
use futures_util::future::LocalBoxFuture;
use persistence::repo::audit::{self, AuditRecord};
use persistence::repo::memberships;
use persistence::{Mode, TenantTx};

/// See the module documentation.
pub struct TenantWork {
    pub tx: TenantTx,
    pub caller: Caller,
    pub client: ClientInfo,
    state: web::Data<AppState>,
    /// Tokens to stop once the change is committed (written before too: SPEC §8).
    revoke_after_commit: Vec<Affected>,
}

impl TenantWork {
    pub fn tenant(&self) -> TenantId {
        self.tx.tenant()
    }

    pub fn scopes(&self) -> ScopeSet {
        self.caller.scopes()
    }

    /// The caller as the authorization rules see them: their scopes, and whether they are
    /// a user acting as an active owner of the tenant (an API key never is).
    pub async fn actor(&self) -> Result<Actor, ApiError> {
        let is_owner = match self.caller.own_user() {
            Some(user) => memberships::find_member(&self.tx, user)
                .await?
                .is_some_and(|m| crate::facts::is_active_owner(&m)),
            None => false,
        };
        Ok(Actor {
            scopes: self.scopes(),
            is_owner,
        })
    }

    /// Records `action` on `target` in the tenant's audit log, in this transaction: the
    /// record and the change commit together or not at all.
    pub async fn audit(
        &self,
        action: Action,
        target: Target,
        details: serde_json::Value,
    ) -> Result<(), ApiError> {
        record(
            &self.tx,
            self.caller.actor(),
            &self.client,
            action,
            target,
            details,
        )
        .await
    }

    /// Stops the tokens of `affected` with this change: marked now, before the commit (so
    /// a request cancelled after COMMIT cannot leave them alive), and again after it (so
    /// no token issued in between outlives the change).
    pub async fn revoke(&mut self, affected: Vec<Affected>) -> Result<(), ApiError> {
        self.state.revocations.before_commit(&affected).await?;
        self.revoke_after_commit.extend(affected);
        Ok(())
    }

    /// Commits, then does the work that waits for the commit.
    pub async fn commit(self) -> Result<(), ApiError> {
        self.tx.commit().await?;
        if !self.revoke_after_commit.is_empty() {
            self.state
                .revocations
                .mark(&self.revoke_after_commit)
                .await?;
        }
        Ok(())
    }
}

/// Records `action` by `actor` (a user, or an API key) from `client` in `tx`'s tenant: the
/// one way an audit record is written, for routes outside a tenant (sign-up, login,
/// accepting an invitation) as for [`TenantWork::audit`].
pub async fn record(
    tx: &TenantTx,
    actor: uuid::Uuid,
    client: &ClientInfo,
    action: Action,
    target: Target,
    details: serde_json::Value,
) -> Result<(), ApiError> {
    let record = AuditRecord {
        actor_id: Some(actor),
        action,
        target,
        ip: client.ip_string(),
        user_agent: client.user_agent.clone(),
        details,
    };
    Ok(audit::record(tx, record).await?)
}

/// Built from the guard's [`TenantContext`]: fails closed outside the tenant guard. Reads
/// (`GET`, `HEAD`) run `READ ONLY`.
impl FromRequest for TenantWork {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let context = TenantContext::from_request(req, payload).into_inner();
        let client = ClientInfo::from_request(req, payload).into_inner();
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let mode = if matches!(*req.method(), Method::GET | Method::HEAD) {
            Mode::ReadOnly
        } else {
            Mode::ReadWrite
        };
        Box::pin(async move {
            let (context, client) = (context?, client?);
            let state =
                state.ok_or_else(|| ApiError::Internal("application state missing".into()))?;
            let tx = TenantTx::begin(&state.db, context.tenant, mode).await?;
            Ok(TenantWork {
                tx,
                caller: context.caller,
                client,
                state,
                revoke_after_commit: Vec::new(),
            })
        })
    }
}
