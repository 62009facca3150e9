//! The OpenAPI 3.1 document: operations and schemas from the `#[utoipa::path]` annotations
//! of the handlers the route table mounts (`routes::Operations`), security schemes from the permission catalog, and each operation's
//! `security` from the route table (never written by hand).

use crate::guards::Access;
use crate::routes;
use domain::Scope;
use utoipa::openapi::RefOr;
use utoipa::openapi::content::Content;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{Object, Ref, Type};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, Flow, HttpAuthScheme, HttpBuilder, OAuth2, Password, Scopes,
    SecurityScheme,
};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Gatehouse",
        description = "Identity, tenancy and role-based access control for multi-tenant SaaS.\n\n\
            Use **Authorize** with the OAuth2 password flow (email as username) to try every operation.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    servers((url = "/", description = "The deployment serving this document")),
    components(schemas(crate::error::Problem, crate::error::FieldError)),
    modifiers(&SecuritySchemes),
    tags(
        (name = "health", description = "Liveness and readiness"),
        (name = "discovery", description = "Keys and metadata for token verifiers"),
        (name = "oauth", description = "OAuth 2.0 token and revocation endpoints (form-encoded, RFC 6749 / 7009)"),
        (name = "signup", description = "Self-service sign-up"),
        (name = "me", description = "The caller"),
        (name = "sessions", description = "The caller's sessions"),
        (name = "tenants", description = "Tenants"),
        (name = "permissions", description = "The permission catalog"),
        (name = "members", description = "A tenant's members"),
        (name = "invitations", description = "Invitations to a tenant"),
        (name = "roles", description = "A tenant's roles"),
        (name = "api-keys", description = "A tenant's API keys (machine-to-machine)"),
        (name = "audit", description = "A tenant's audit log"),
        (name = "projects", description = "Projects (sample tenant resource)"),
        (name = "tasks", description = "Tasks of a project"),
        (name = "platform", description = "Platform operators"),
    )
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let scopes = Scopes::from_iter(Scope::ALL.iter().map(|s| (s.as_str(), s.description())));
        components.add_security_scheme(
            "oauth2",
            SecurityScheme::OAuth2(OAuth2::with_description(
                [Flow::Password(Password::with_refresh_url("/oauth/token", scopes, "/oauth/token"))],
                "OAuth2 password grant (first-party clients only; RFC 9700 §2.4). Username is the email.",
            )),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-API-Key",
                "Tenant API key `gk_<id>_<secret>` for machine-to-machine calls",
            ))),
        );
    }
}

/// Sets each operation's `security` from its route declaration.
fn apply_access(openapi: &mut utoipa::openapi::OpenApi) {
    for decl in routes::declarations() {
        let Some(item) = openapi.paths.paths.get_mut(&decl.path) else {
            continue;
        };
        let operation = match decl.method {
            "get" => item.get.as_mut(),
            "post" => item.post.as_mut(),
            "put" => item.put.as_mut(),
            "patch" => item.patch.as_mut(),
            "delete" => item.delete.as_mut(),
            _ => None,
        };
        let Some(operation) = operation else { continue };
        standard_responses(operation, decl.access);
        operation.security = match decl.access {
            // `security: []`: explicitly open, not forgotten.
            Access::Public => Some(Vec::new()),
            Access::User => Some(vec![
                SecurityRequirement::new::<_, _, &str>("oauth2", []),
                SecurityRequirement::new::<_, _, &str>("bearer", []),
            ]),
            Access::UserOrApiKey => Some(vec![
                SecurityRequirement::new::<_, _, &str>("oauth2", []),
                SecurityRequirement::new::<_, _, &str>("bearer", []),
                SecurityRequirement::new::<_, _, &str>("api_key", []),
            ]),
            scoped => Some(
                scoped
                    .alternatives()
                    .into_iter()
                    .flat_map(|scopes| {
                        let names = scopes.names();
                        let mut alternatives = vec![
                            SecurityRequirement::new("oauth2", names.clone()),
                            SecurityRequirement::new("bearer", names.clone()),
                        ];
                        if scoped.accepts_api_keys() {
                            alternatives.push(SecurityRequirement::new("api_key", names));
                        }
                        alternatives
                    })
                    .collect(),
            ),
        };
    }
}

/// The refusals every guarded operation can answer, from its declared access (SPEC §15):
/// 401 for any route that reads credentials, 403 for one that demands scopes or a tenant.
/// A handler's own, more specific wording of the same status stays.
fn standard_responses(operation: &mut Operation, access: Access) {
    let responses = &mut operation.responses.responses;
    if access != Access::Public {
        let challenge = HeaderBuilder::new()
            .schema(Some(Object::with_type(Type::String)))
            .description(Some(
                "RFC 6750 challenge; `error=\"invalid_token\"` when a credential was refused",
            ))
            .build();
        let unauthorized = problem("No valid credentials").build();
        let entry = responses.entry("401".into()).or_insert(unauthorized.into());
        if let RefOr::T(response) = entry {
            response
                .headers
                .insert("WWW-Authenticate".into(), challenge.into());
        }
    }
    if access != Access::Public && !responses.contains_key("503") {
        let unavailable =
            "A dependency (PostgreSQL or Redis) cannot answer; retry after `Retry-After`";
        responses.insert("503".into(), problem(unavailable).build().into());
    }
    if access.accepts_api_keys() && !responses.contains_key("429") {
        let limited = "Too many failed API keys from this address; retry after `Retry-After`";
        responses.insert("429".into(), problem(limited).build().into());
    }
    if access.is_tenant() || !access.required_scopes().is_empty() {
        const SCOPE: &str = "A required scope is missing, or the credential is for another tenant";
        match responses.get_mut("403") {
            // The handler's own reasons, and the guard's.
            Some(RefOr::T(response)) => {
                response.description =
                    format!("{}; or: {}", response.description, SCOPE.to_lowercase());
            }
            _ => {
                responses.insert("403".into(), problem(SCOPE).build().into());
            }
        }
    }
}

fn problem(description: &str) -> ResponseBuilder {
    ResponseBuilder::new().description(description).content(
        PROBLEM_MEDIA_TYPE,
        Content::new(Some(Ref::from_schema_name("Problem"))),
    )
}

/// RFC 9457 §3: problems are sent as `application/problem+json`.
const PROBLEM_MEDIA_TYPE: &str = "application/problem+json";

/// Calls `f` with the status and body of every response the document describes inline.
fn each_response(
    openapi: &mut utoipa::openapi::OpenApi,
    mut f: impl FnMut(&str, &mut utoipa::openapi::Response),
) {
    for item in openapi.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ];
        for operation in operations.into_iter().flatten() {
            for (status, response) in operation.responses.responses.iter_mut() {
                if let RefOr::T(response) = response {
                    f(status, response);
                }
            }
        }
    }
}

/// Every response whose body is a `Problem` is documented with the media type it is sent
/// with, whatever the annotation said.
fn problem_media_type(openapi: &mut utoipa::openapi::OpenApi) {
    let problem = Ref::from_schema_name("Problem").ref_location;
    each_response(openapi, |_, response| {
        let is_problem = matches!(
            response.content.get("application/json"),
            Some(RefOr::T(Content { schema: Some(RefOr::Ref(r)), .. })) if r.ref_location == problem
        );
        if is_problem && let Some(content) = response.content.shift_remove("application/json") {
            response.content.insert(PROBLEM_MEDIA_TYPE.into(), content);
        }
    });
}

/// Every response carries `X-Request-Id` (the id on the server's log lines for it); a 429
/// or 503 carries `Retry-After`.
fn response_headers(openapi: &mut utoipa::openapi::OpenApi) {
    let header = |schema: Type, description: &str| {
        HeaderBuilder::new()
            .schema(Some(Object::with_type(schema)))
            .description(Some(description))
            .build()
    };
    let request_id = header(Type::String, "The request's id, as the server logged it");
    let retry_after = header(
        Type::Integer,
        "Seconds to wait before retrying (RFC 9110 §10.2.3)",
    );
    each_response(openapi, |status, response| {
        let headers = &mut response.headers;
        headers.insert("X-Request-Id".into(), request_id.clone().into());
        if matches!(status, "429" | "503") {
            headers.insert("Retry-After".into(), retry_after.clone().into());
        }
    });
}

/// The document as served and committed.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut openapi = ApiDoc::openapi();
    openapi.merge(routes::Operations::openapi());
    problem_media_type(&mut openapi);
    apply_access(&mut openapi);
    response_headers(&mut openapi);
    drop_unused_schemas(&mut openapi);
    openapi
}

/// Schemas no operation reaches (an item type the page schema inlines) would only mislead a
/// generator: they go.
fn drop_unused_schemas(openapi: &mut utoipa::openapi::OpenApi) {
    loop {
        let text = serde_json::to_string(&*openapi).unwrap_or_default();
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        let unused: Vec<String> = components
            .schemas
            .keys()
            .filter(|name| !text.contains(&format!("\"#/components/schemas/{name}\"")))
            .cloned()
            .collect();
        if unused.is_empty() {
            return;
        }
        for name in unused {
            components.schemas.remove(&name);
        }
    }
}

/// Pretty JSON with a trailing newline: `openapi/openapi.json` byte for byte.
pub fn document_json() -> String {
    let mut json = document().to_pretty_json().unwrap_or_default();
    json.push('\n');
    json
}
