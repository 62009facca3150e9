//! THE route tree. Each route is declared once, with who may call it; that one
//! declaration mounts the handler behind its guard (`guards::authenticate::enforce`) and
//! sets the route's `security` requirement in the OpenAPI document
//! (`openapi::apply_access`). A handler never checks scopes itself.

use crate::guards::Access;
use crate::guards::authenticate::enforce;
use actix_web::body::BoxBody;
use actix_web::dev::ServiceRequest;
use actix_web::middleware::{Next, from_fn};
use actix_web::web;

/// One route of the table: what the OpenAPI document and the authorization matrix test
/// read.
#[derive(Debug, Clone, Copy)]
pub struct RouteDecl {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
}

macro_rules! route_table {
    ($($method:ident $path:literal => $handler:path, $access:expr;)+) => {
        /// Mounts every route of the table behind its guard.
        pub fn configure(cfg: &mut web::ServiceConfig) {
            $(
                cfg.route(
                    $path,
                    web::$method()
                        .to($handler)
                        .wrap(from_fn(|req: ServiceRequest, next: Next<BoxBody>| enforce($access, req, next))),
                );
            )+
        }

        /// The declarations, in table order.
        pub fn declarations() -> Vec<RouteDecl> {
            vec![$(RouteDecl { method: stringify!($method), path: $path, access: $access }),+]
        }
    };
}

use crate::handlers::*;
use Access::*;

route_table! {
    get "/healthz" => health::get_health, Public;
    get "/readyz" => health::get_readiness, Public;
    get "/.well-known/jwks.json" => well_known::get_jwks, Public;
    get "/.well-known/oauth-authorization-server" => well_known::get_authorization_server_metadata, Public;
    post "/oauth/token" => oauth::issue_token, Public;
    post "/oauth/revoke" => oauth::revoke_token, Public;
    post "/api/v1/signup" => signup::sign_up, Public;

    get "/api/v1/me" => me::get_me, User;
    patch "/api/v1/me" => me::update_me, User;
    post "/api/v1/me/password" => me::change_password, User;
    get "/api/v1/me/tenants" => me::list_my_tenants, User;
    get "/api/v1/me/sessions" => sessions::list_my_sessions, User;
    delete "/api/v1/me/sessions/{session_id}" => sessions::revoke_my_session, User;
    post "/api/v1/auth/logout" => sessions::log_out, User;
    post "/api/v1/auth/logout-all" => sessions::log_out_everywhere, User;
    post "/api/v1/tenants" => tenants::create_tenant, User;
    get "/api/v1/permissions" => permissions::list_permissions, User;
}
