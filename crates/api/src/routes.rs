//! THE route tree. Each route is declared once, with who may call it; that one
//! declaration mounts the handler behind its guard (`guards::authenticate::enforce`) and
//! sets the route's `security` requirement in the OpenAPI document
//! (`openapi::apply_access`). A handler never checks scopes itself. Everything under
//! `/api/v1/tenants/{tenant_id}` is also wrapped, as a whole, in the tenant guard.

use crate::guards::Access;
use crate::guards::authenticate::{enforce, tenant_guard};
use actix_web::body::BoxBody;
use actix_web::dev::ServiceRequest;
use actix_web::middleware::{Next, from_fn};
use actix_web::web;

pub const TENANT_SCOPE: &str = "/api/v1/tenants/{tenant_id}";

/// One route of the table: what the OpenAPI document and the authorization matrix test
/// read.
#[derive(Debug, Clone)]
pub struct RouteDecl {
    pub method: &'static str,
    pub path: String,
    pub access: Access,
}

macro_rules! route {
    ($method:ident, $handler:path, $access:expr) => {
        web::$method()
            .to($handler)
            .wrap(from_fn(|req: ServiceRequest, next: Next<BoxBody>| {
                enforce($access, req, next)
            }))
    };
}

macro_rules! route_table {
    (
        app {
                $($method:ident $path:literal => $handler:path, $access:expr;)+
            }
            tenant {
                $($t_method:ident $t_path:literal => $t_handler:path, $t_access:expr;)+
            }
        ) => {
            /// Mounts every route of the table behind its guards, one resource per path, so
            /// an undeclared method on a known path is 405 with `Allow`.
            pub fn configure(cfg: &mut web::ServiceConfig) {
                let mut app = Resources::default();
                $( app.add($path, stringify!($method), route!($method, $handler, $access)); )+
                let mut tenant = Resources::default();
                $( tenant.add($t_path, stringify!($t_method), route!($t_method, $t_handler, $t_access)); )+
                for resource in app.build() {
                    cfg.service(resource);
                }
                let mut scope = web::scope(TENANT_SCOPE);
                for resource in tenant.build() {
                    scope = scope.service(resource);
                }
                cfg.service(scope.wrap(from_fn(tenant_guard)));
            }

            /// Every routed operation's `#[utoipa::path]`, collected from the table: a route
            /// is documented by being declared (`openapi::document` merges these).
            #[derive(utoipa::OpenApi)]
            #[openapi(paths($($handler,)+ $($t_handler,)+))]
            pub struct Operations;

            /// The declarations, in table order, with full paths.
            pub fn declarations() -> Vec<RouteDecl> {
                vec![
                    $(RouteDecl { method: stringify!($method), path: $path.to_owned(), access: $access },)+
                    $(RouteDecl { method: stringify!($t_method), path: format!("{TENANT_SCOPE}{}", $t_path), access: $t_access },)+
                ]
            }
        };
    }

/// Routes grouped by path, in table order.
#[derive(Default)]
struct Resources(Vec<(&'static str, Vec<String>, Vec<actix_web::Route>)>);

impl Resources {
    fn add(&mut self, path: &'static str, method: &'static str, route: actix_web::Route) {
        let method = method.to_ascii_uppercase();
        match self.0.iter_mut().find(|(p, _, _)| *p == path) {
            Some((_, methods, routes)) => {
                methods.push(method);
                routes.push(route);
            }
            None => self.0.push((path, vec![method], vec![route])),
        }
    }

    fn build(self) -> Vec<actix_web::Resource> {
        self.0
            .into_iter()
            .map(|(path, methods, routes)| {
                let allow = methods.join(", ");
                let mut resource = web::resource(path);
                for route in routes {
                    resource = resource.route(route);
                }
                resource.default_service(web::to(move || {
                    let allow = allow.clone();
                    async move {
                        Err::<actix_web::HttpResponse, _>(ApiError::MethodNotAllowed { allow })
                    }
                }))
            })
            .collect()
    }
}

use crate::error::ApiError;
use crate::handlers::*;
use Access::*;
use domain::Scope::*;

route_table! {
    app {
        get "/healthz" => health::get_health, Public;
                get "/readyz" => health::get_readiness, Public;
        get "/metrics" => crate::metrics::get_metrics, Public;
        get "/.well-known/jwks.json" => well_known::get_jwks, Public;
        get "/.well-known/oauth-authorization-server" => well_known::get_authorization_server_metadata, Public;
        get "/.well-known/openid-configuration" => oidc::get_openid_configuration, Public;
        post "/oauth/token" => oauth::issue_token, Public;
        post "/oauth/revoke" => oauth::revoke_token, Public;
        get "/oauth/userinfo" => oidc::get_userinfo, OpenId;
        post "/api/v1/signup" => signup::sign_up, Public;
        post "/api/v1/invitations/accept" => invitations::accept_invitation, Public;
        post "/api/v1/email/verify" => email::verify_email, Public;
        post "/api/v1/password/forgot" => password_reset::forgot_password, Public;
        post "/api/v1/password/reset" => password_reset::reset_password, Public;

        get "/api/v1/me" => me::get_me, UserOrApiKey;
        patch "/api/v1/me" => me::update_me, User;
        post "/api/v1/me/password" => me::change_password, User;
        post "/api/v1/me/email/verify" => email::resend_verification, User;
        get "/api/v1/me/tenants" => me::list_my_tenants, User;
        get "/api/v1/me/sessions" => sessions::list_my_sessions, User;
        delete "/api/v1/me/sessions/{session_id}" => sessions::revoke_my_session, User;
        post "/api/v1/auth/logout" => sessions::log_out, User;
        post "/api/v1/auth/logout-all" => sessions::log_out_everywhere, User;
        post "/api/v1/tenants" => tenants::create_tenant, User;
        get "/api/v1/permissions" => permissions::list_permissions, User;

        get "/api/v1/platform/tenants" => platform::list_all_tenants, Scopes(&[PlatformAdmin]);
        post "/api/v1/platform/tenants/{tenant_id}/suspend" => platform::suspend_tenant, Scopes(&[PlatformAdmin]);
        post "/api/v1/platform/tenants/{tenant_id}/activate" => platform::activate_tenant, Scopes(&[PlatformAdmin]);
        get "/api/v1/platform/clients" => clients::list_clients, Scopes(&[PlatformAdmin]);
        post "/api/v1/platform/clients" => clients::create_client, Scopes(&[PlatformAdmin]);
        get "/api/v1/platform/clients/{client_id}" => clients::get_client, Scopes(&[PlatformAdmin]);
        patch "/api/v1/platform/clients/{client_id}" => clients::update_client, Scopes(&[PlatformAdmin]);
        delete "/api/v1/platform/clients/{client_id}" => clients::delete_client, Scopes(&[PlatformAdmin]);
    }

    tenant {
        get "" => tenants::get_tenant, Tenant(&[TenantRead]);
        patch "" => tenants::update_tenant, Tenant(&[TenantWrite]);

        get "/members" => members::list_members, Tenant(&[MembersRead]);
        get "/members/{user_id}" => members::get_member, Tenant(&[MembersRead]);
        patch "/members/{user_id}" => members::update_member, Tenant(&[MembersWrite]);
        delete "/members/{user_id}" => members::remove_member, Tenant(&[MembersWrite]);
        put "/members/{user_id}/roles" => members::set_member_roles, Tenant(&[RolesWrite]);

        get "/invitations" => invitations::list_invitations, Tenant(&[MembersRead]);
        post "/invitations" => invitations::create_invitation, Tenant(&[MembersWrite]);
        delete "/invitations/{invitation_id}" => invitations::revoke_invitation, Tenant(&[MembersWrite]);

        get "/roles" => roles::list_roles, Tenant(&[RolesRead]);
        get "/roles/{role_id}" => roles::get_role, Tenant(&[RolesRead]);
        post "/roles" => roles::create_role, Tenant(&[RolesWrite]);
        patch "/roles/{role_id}" => roles::update_role, Tenant(&[RolesWrite]);
        delete "/roles/{role_id}" => roles::delete_role, Tenant(&[RolesWrite]);

        get "/api-keys" => api_keys::list_api_keys, Tenant(&[ApiKeysRead]);
        post "/api-keys" => api_keys::create_api_key, Tenant(&[ApiKeysWrite]);
        delete "/api-keys/{key_id}" => api_keys::revoke_api_key, Tenant(&[ApiKeysWrite]);

        get "/audit-events" => audit::list_audit_events, Tenant(&[AuditRead]);

        get "/projects" => projects::list_projects, Tenant(&[ProjectsRead]);
        get "/projects/{project_id}" => projects::get_project, Tenant(&[ProjectsRead]);
        post "/projects" => projects::create_project, Tenant(&[ProjectsWrite]);
        patch "/projects/{project_id}" => projects::update_project, Tenant(&[ProjectsWrite]);
        delete "/projects/{project_id}" => projects::delete_project, Tenant(&[ProjectsWrite]);

        get "/projects/{project_id}/tasks" => tasks::list_tasks, Tenant(&[TasksRead]);
        get "/projects/{project_id}/tasks/{task_id}" => tasks::get_task, Tenant(&[TasksRead]);
        post "/projects/{project_id}/tasks" => tasks::create_task, Tenant(&[TasksWrite]);
        patch "/projects/{project_id}/tasks/{task_id}" => tasks::update_task, TenantAnyOf(&[ProjectsWrite, TasksWrite]);
        delete "/projects/{project_id}/tasks/{task_id}" => tasks::delete_task, TenantAnyOf(&[ProjectsWrite, TasksWrite]);
    }
}
