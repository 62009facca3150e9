//! THE route tree. Each route is declared once, with who may call it; that one
//! declaration mounts the handler behind its guard and sets the route's `security`
//! requirement in the OpenAPI document (see `openapi::apply_access`).

use actix_web::web;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone; no credentials are read.
    Public,
}

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
        /// Mounts every route of the table.
        pub fn configure(cfg: &mut web::ServiceConfig) {
            $( cfg.route($path, web::$method().to($handler)); )+
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
}
