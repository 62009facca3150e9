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
    AuthorizationCode, Flow, HttpAuthScheme, HttpBuilder, OAuth2, Password, Scopes, SecurityScheme,
};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Gatehouse",
        description = "Identity, tenancy and role-based access control for multi-tenant SaaS.\n\n\
            Use **Authorize** to try every operation: the authorization code flow with PKCE signs \
            you in on Gatehouse's login page (client `swagger`); the password flow takes your email \
            as username (when the deployment allows it).",
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
        // The OIDC scopes beside the catalog (SPEC §11).
        let scopes = || {
            Scopes::from_iter(
                [
                    (
                        "openid",
                        "Sign in with OpenID Connect: an ID token and /oauth/userinfo",
                    ),
                    ("email", "The email address, in the ID token and UserInfo"),
                    ("profile", "The display name, in the ID token and UserInfo"),
                ]
                .into_iter()
                .chain(Scope::ALL.iter().map(|s| (s.as_str(), s.description()))),
            )
        };
        components.add_security_scheme(
            "oauth2",
            SecurityScheme::OAuth2(OAuth2::with_description(
                [
                    Flow::AuthorizationCode(AuthorizationCode::with_refresh_url(
                        "/oauth/authorize",
                        "/oauth/token",
                        scopes(),
                        "/oauth/token",
                    )),
                    Flow::Password(Password::with_refresh_url(
                        "/oauth/token",
                        scopes(),
                        "/oauth/token",
                    )),
                ],
                "The authorization code flow with PKCE (client `swagger` in Swagger UI; \
                 RFC 7636), or the password grant (first-party clients only, RFC 9700 §2.4; \
                 the username is the email; absent when `GATEHOUSE_PASSWORD_GRANT=off`).",
            )),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT or API key")
                    .description(Some(
                        "An access token from `/oauth/token`, or — on operations that say they \
                         accept API keys — a tenant API key `gk_<id>_<secret>_<checksum>`. Both \
                         go in `Authorization: Bearer`; `X-API-Key: gk_…` is also read, but one \
                         header for every credential is what generated clients get right.",
                    ))
                    .build(),
            ),
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
        shape_responses(&decl.path, operation);
        describe_path_parameters(&decl.path, operation);
        operation.security = Some(security(decl.access));
        if decl.access.accepts_api_keys() {
            // Machine-readable too (the authorization matrix test reads it).
            let flag = utoipa::openapi::extensions::Extensions::from_iter([(
                API_KEYS_EXTENSION,
                serde_json::Value::Bool(true),
            )]);
            operation
                .extensions
                .get_or_insert_with(Default::default)
                .merge(flag);
            let description = operation.description.get_or_insert_with(String::new);
            if !description.is_empty() {
                description.push_str("\n\n");
            }
            description.push_str("Accepts a tenant API key as the bearer credential.");
        }
    }
}

/// Set on every operation that accepts a tenant API key as its bearer credential.
pub const API_KEYS_EXTENSION: &str = "x-accepts-api-key";

/// The requirement of one declared access. Alternatives differ only in the scheme's name,
/// never in where the credential goes: every one is `Authorization: Bearer` (`oauth2` lets
/// Swagger UI sign in, `bearer` takes a pasted token or API key), so no generator can send
/// a credential where another kind is expected.
fn security(access: Access) -> Vec<SecurityRequirement> {
    match access {
        // `security: []`: explicitly open, not forgotten.
        Access::Public => Vec::new(),
        Access::User | Access::UserOrApiKey => vec![
            SecurityRequirement::new::<_, _, &str>("oauth2", []),
            SecurityRequirement::new::<_, _, &str>("bearer", []),
        ],
        Access::OpenId => vec![
            SecurityRequirement::new("oauth2", ["openid"]),
            SecurityRequirement::new("bearer", ["openid"]),
        ],
        scoped => scoped
            .alternatives()
            .into_iter()
            .flat_map(|scopes| {
                let names = scopes.names();
                [
                    SecurityRequirement::new("oauth2", names.clone()),
                    SecurityRequirement::new("bearer", names),
                ]
            })
            .collect(),
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
    let scoped = !access.required_scopes().is_empty() || access == Access::OpenId;
    if access.is_tenant() || scoped {
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

/// The answers an operation can give by its shape, whatever its handler does (SPEC §15):
/// a JSON body can be malformed (400), too large (413), of another type (415) or invalid
/// (422); a query can be malformed (400) or out of bounds (422); an id in the path can name
/// nothing (404). `default` covers the rest (a 500 carries no detail). A handler's own
/// wording of the same status stays. `/oauth/*` answers in RFC 6749's shape instead.
fn shape_responses(path: &str, operation: &mut Operation) {
    use utoipa::openapi::path::ParameterIn;
    if path.starts_with("/oauth/") {
        return;
    }
    let json_body = operation.request_body.as_ref().is_some_and(
        |body| matches!(body, RefOr::T(b) if b.content.contains_key("application/json")),
    );
    let parameters: Vec<&utoipa::openapi::path::Parameter> = operation
        .parameters
        .iter()
        .flatten()
        .filter_map(|p| match p {
            RefOr::T(p) => Some(p),
            RefOr::Ref(_) => None,
        })
        .collect();
    let has_query = parameters
        .iter()
        .any(|p| p.parameter_in == ParameterIn::Query);
    let has_id = parameters
        .iter()
        .any(|p| p.parameter_in == ParameterIn::Path && p.name != "tenant_id");
    let mut standard: Vec<(&str, &str)> = Vec::new();
    if json_body {
        standard.extend([
            (
                "400",
                "The body is not JSON of this shape (a field of the wrong type or missing)",
            ),
            ("413", "The body is larger than the server accepts"),
            ("415", "The body is not `application/json`"),
            ("422", "Some fields are invalid: `errors` lists them"),
        ]);
    }
    if has_query {
        standard.extend([
            ("400", "The query string is malformed"),
            (
                "422",
                "A query parameter is out of bounds (e.g. `limit`, `cursor`)",
            ),
        ]);
    }
    if has_id {
        standard.push(("404", "No such resource in this tenant"));
    }
    standard.push(("default", "Any other error (a 500 carries no detail)"));
    let responses = &mut operation.responses.responses;
    for (status, description) in standard {
        responses
            .entry(status.into())
            .or_insert_with(|| problem(description).build().into());
    }
}

/// Every path parameter is an id; each says whose (SPEC §15: a description on every
/// parameter), once here rather than on every operation that takes it.
fn describe_path_parameters(path: &str, operation: &mut Operation) {
    use utoipa::openapi::path::ParameterIn;
    for parameter in operation.parameters.iter_mut().flatten() {
        let RefOr::T(parameter) = parameter else {
            continue;
        };
        if parameter.parameter_in != ParameterIn::Path || parameter.description.is_some() {
            continue;
        }
        let description = match parameter.name.as_str() {
            "tenant_id" if path.starts_with(routes::TENANT_SCOPE) => {
                "The tenant's id. It must be the tenant the credential is for (403 otherwise, \
                 decided before any lookup)."
            }
            "tenant_id" => "The tenant's id.",
            "user_id" => "The member's user id.",
            "role_id" => "The role's id.",
            "key_id" => "The API key's id.",
            "invitation_id" => "The invitation's id.",
            "project_id" => "The project's id.",
            "task_id" => "The task's id (within the project of the path).",
            "session_id" => "One of the caller's sessions (`GET /api/v1/me/sessions`).",
            "client_id" => "The OAuth client's `client_id`.",
            _ => continue,
        };
        parameter.description = Some(description.into());
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
pub fn document() -> serde_json::Value {
    let mut openapi = ApiDoc::openapi();
    openapi.merge(routes::Operations::openapi());
    problem_media_type(&mut openapi);
    apply_access(&mut openapi);
    response_headers(&mut openapi);
    drop_unused_schemas(&mut openapi);
    exact_optionality(openapi)
}

/// SPEC §15, "fields always sent are required and not nullable; PATCH fields optional but
/// not nullable". utoipa reads every `Option` as "may be absent or null". Gatehouse's
/// responses send every field (a `None` as `null`; the one field skipped when empty,
/// `Problem.errors`, says `nullable = false`), so there a nullable field is required. Its
/// requests read an absent field and a `null` alike ("unchanged" in a PATCH), so there an
/// optional field is documented without `null`: a typed client then omits it rather than
/// sending `null`.
fn exact_optionality(openapi: utoipa::openapi::OpenApi) -> serde_json::Value {
    let Ok(mut doc) = serde_json::to_value(&openapi) else {
        return serde_json::Value::Null;
    };
    let reached = |part: &str| {
        let mut names = std::collections::BTreeSet::new();
        for item in doc["paths"]
            .as_object()
            .into_iter()
            .flat_map(|p| p.values())
        {
            for operation in item.as_object().into_iter().flat_map(|o| o.values()) {
                collect_refs(&operation[part], &mut names);
            }
        }
        // Through the schemas they reference, to a fixed point.
        loop {
            let before = names.len();
            for name in names.clone() {
                collect_refs(&doc["components"]["schemas"][&name], &mut names);
            }
            if names.len() == before {
                return names;
            }
        }
    };
    let (requests, responses) = (reached("requestBody"), reached("responses"));
    let Some(schemas) = doc["components"]["schemas"].as_object_mut() else {
        return doc;
    };
    for (name, schema) in schemas.iter_mut() {
        if responses.contains(name) {
            settle_optional(schema, Direction::Response);
        } else if requests.contains(name) {
            settle_optional(schema, Direction::Request);
        }
    }
    doc
}

#[derive(Clone, Copy)]
enum Direction {
    Request,
    Response,
}

/// One schema and the inline schemas within it (page items, nested objects).
fn settle_optional(schema: &mut serde_json::Value, direction: Direction) {
    use serde_json::Value;
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        let required: Vec<&str> = schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let nullable_optional: Vec<String> = properties
            .iter()
            .filter(|(field, property)| {
                !required.contains(&field.as_str()) && is_nullable(property)
            })
            .map(|(field, _)| field.clone())
            .collect();
        match direction {
            Direction::Response => match schema.get_mut("required").and_then(Value::as_array_mut) {
                Some(list) => list.extend(nullable_optional.into_iter().map(Value::from)),
                None if !nullable_optional.is_empty() => {
                    schema["required"] = nullable_optional.into()
                }
                None => {}
            },
            Direction::Request => {
                for field in nullable_optional {
                    strip_null(&mut schema["properties"][&field]);
                }
            }
        }
    }
    if let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        properties.values_mut().for_each(|p| {
            hoist_description(p);
            settle_optional(p, direction)
        });
    }
    if let Some(items) = schema.get_mut("items") {
        settle_optional(items, direction);
    }
    for combinator in ["oneOf", "anyOf", "allOf"] {
        if let Some(arms) = schema.get_mut(combinator).and_then(Value::as_array_mut) {
            arms.iter_mut()
                .for_each(|arm| settle_optional(arm, direction));
        }
    }
}

/// utoipa puts an `Option<Named>` field's description beside the `$ref` inside `oneOf`,
/// where generators do not look: it belongs to the property.
fn hoist_description(property: &mut serde_json::Value) {
    let hoisted = property
        .get_mut("oneOf")
        .and_then(serde_json::Value::as_array_mut)
        .and_then(|arms| {
            arms.iter_mut()
                .filter_map(serde_json::Value::as_object_mut)
                .find_map(|arm| arm.remove("description"))
        });
    if let (Some(description), Some(map)) = (hoisted, property.as_object_mut()) {
        map.entry("description").or_insert(description);
    }
}

fn collect_refs(value: &serde_json::Value, names: &mut std::collections::BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner.as_str()) {
                    ("$ref", Some(target)) => {
                        if let Some(name) = target.strip_prefix("#/components/schemas/") {
                            names.insert(name.to_owned());
                        }
                    }
                    _ => collect_refs(inner, names),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_refs(v, names)),
        _ => {}
    }
}

/// `type: [T, "null"]`, or `oneOf: [{$ref}, {type: "null"}]`.
fn is_nullable(property: &serde_json::Value) -> bool {
    let null = |v: &serde_json::Value| v.as_str() == Some("null");
    property["type"]
        .as_array()
        .is_some_and(|t| t.iter().any(null))
        || property["oneOf"]
            .as_array()
            .is_some_and(|arms| arms.iter().any(|arm| null(&arm["type"])))
}

fn strip_null(property: &mut serde_json::Value) {
    let null = |v: &serde_json::Value| v.as_str() == Some("null");
    if let Some(types) = property
        .get_mut("type")
        .and_then(serde_json::Value::as_array_mut)
    {
        types.retain(|t| !null(t));
        if types.len() == 1 {
            property["type"] = types[0].clone();
        }
    }
    if let Some(arms) = property
        .get_mut("oneOf")
        .and_then(serde_json::Value::as_array_mut)
    {
        arms.retain(|arm| !null(&arm["type"]));
        if arms.len() == 1 {
            let only = arms[0].clone();
            let map = property.as_object_mut();
            if let Some(map) = map {
                map.remove("oneOf");
                if let Some(fields) = only.as_object() {
                    map.extend(fields.clone());
                }
            }
        }
    }
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
/// The document a deployment serves: without the password grant and its flow when
/// `GATEHOUSE_PASSWORD_GRANT=off` (SPEC §11), so no client is generated for what it refuses.
pub fn document_for(config: &crate::Config) -> serde_json::Value {
    let mut doc = document();
    if !config.password_grant {
        if let Some(flows) = doc["components"]["securitySchemes"]["oauth2"]["flows"].as_object_mut()
        {
            flows.remove("password");
        }
        let password = "#/components/schemas/PasswordGrantRequest";
        let token = &mut doc["components"]["schemas"]["TokenRequest"];
        if let Some(one_of) = token["oneOf"].as_array_mut() {
            one_of.retain(|schema| schema["$ref"] != password);
        }
        if let Some(mapping) = token["discriminator"]["mapping"].as_object_mut() {
            mapping.remove("password");
        }
        if let Some(schemas) = doc["components"]["schemas"].as_object_mut() {
            schemas.remove("PasswordGrantRequest");
        }
    }
    doc
}

pub fn document_json() -> String {
    let mut json = serde_json::to_string_pretty(&document()).unwrap_or_default();
    json.push('\n');
    json
}
