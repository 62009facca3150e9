//! Resources made from the OpenAPI document: whatever a path parameter names is created
//! through the API with the document's own request examples, so tests that walk every
//! route (the authorization matrix) or every tenant table (row-level security) need no
//! fixture per route.

use crate::app::{Account, TestApp, Tokens};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use reqwest::Method;
use serde_json::Value;
use std::collections::HashMap;

/// The path parameters of one operation, made to exist (deletes consume them, so each
/// probe that may succeed gets fresh ones). Derived from the OpenAPI document, not from a
/// per-route table, so a new route is covered by itself:
///
/// - `{p}` in `/…/things/{p}`: one thing, created through the collection `/…/things` (the
///   path up to that parameter, its own parameters filled first, left to right, so a task
///   is created in the project of the same path) with the POST's documented request body
///   example (`components.schemas.*.example` or the media type's `example`). In that
///   example a `name`, `email`, `slug` or `client_id` is made unique, a date-time moves to tomorrow (a
///   fixed date in a document expires), a list of scopes becomes empty (a resource that
///   carries scopes may only be changed by a caller holding them, SPEC §5: the probes with
///   only the route's declared scope must meet the route's guard, not that rule), and a
///   `…_id` / `…_ids` field names a resource that is created the same way (`role_ids` → a
///   role made through the collection of `{role_id}`). The new resource's `id` fills the
///   parameter.
///
/// Three parameter kinds have no collection that creates them, and a rule each:
/// - `tenant_id`: the tenant under test (the caller's tenant; it is the context of every
///   probe, not something to create);
/// - `session_id`: filled per call by [`fill`] with the calling token's own session (a
///   session is made by logging in, and only the caller's own session is one it may name);
/// - `user_id`: a new member of the tenant; members have no POST: a user becomes one by
///   accepting an invitation (the harness's `add_member`, over HTTP).
pub struct Resolver<'a> {
    pub app: &'a TestApp,
    pub doc: &'a Value,
    /// The tenant under test.
    pub tenant: &'a str,
    /// Creates resources: Ada, owner, with every scope, in her tenant.
    pub owner: &'a Tokens,
    pub owner_account: &'a Account,
}

/// The parameter filled per call rather than created (see [`Resolver`]).
pub const SESSION: &str = "session_id";

impl Resolver<'_> {
    pub async fn params(&self, template: &str) -> HashMap<String, String> {
        let mut known = HashMap::new();
        self.resolve_path(template, &mut known).await;
        known
    }

    /// One of every resource the document can make under `prefix` (a path template, e.g.
    /// `/api/v1/tenants/{tenant_id}`): each path's parameters made to exist, and each
    /// collection that takes a request body posted to with its example. A POST without a
    /// body is an action, not a collection: it is left alone.
    pub async fn populate(&self, prefix: &str) {
        let paths: Vec<&String> = self.doc["paths"]
            .as_object()
            .unwrap()
            .keys()
            .filter(|path| path.starts_with(prefix))
            .collect();
        for path in paths {
            let mut known = self.params(path).await;
            let post = &self.doc["paths"][path]["post"];
            if post.get("requestBody").is_some() {
                self.create(path, "id", &mut known).await;
            }
        }
    }

    /// Fills `known` with every parameter of `template` (but the session), left to right.
    fn resolve_path<'b>(
        &'b self,
        template: &'b str,
        known: &'b mut HashMap<String, String>,
    ) -> BoxFuture<'b, ()> {
        async move {
            for (param, collection) in parameters(template) {
                if known.contains_key(&param) || param == SESSION {
                    continue;
                }
                let value = match param.as_str() {
                    "tenant_id" => self.tenant.to_owned(),
                    "user_id" => {
                        self.app
                            .add_member(
                                self.owner,
                                self.owner_account,
                                &format!("member{}@example.com", unique()),
                                &["member"],
                            )
                            .await
                            .user_id
                    }
                    _ => self.create(&collection, &param, known).await,
                };
                known.insert(param, value);
            }
        }
        .boxed()
    }

    /// One new resource of `collection` (a path template), from the POST's example;
    /// returns what names it in a path: the answer's field named like the parameter
    /// (`client_id`: a resource its caller names), else its `id`.
    pub fn create<'b>(
        &'b self,
        collection: &'b str,
        param: &'b str,
        known: &'b mut HashMap<String, String>,
    ) -> BoxFuture<'b, String> {
        async move {
            self.resolve_path(collection, known).await;
            let post = self.doc["paths"][collection]
                .get("post")
                .unwrap_or_else(|| {
                    panic!("nothing creates a resource of {collection} (no POST): add a rule for its parameter kind")
                });
            let example = request_example(self.doc, post)
                .unwrap_or_else(|| panic!("POST {collection}: the request body has no example"));
            let body = self.instantiate(example, known).await;
            let path = fill(collection, known, "");
            let response = self
                .app
                .send_with(Method::POST, &path, &self.owner.access, Some(body.clone()))
                .await;
            let status = response.status();
            let created: Value = response.json().await.unwrap();
            assert_eq!(
                status, 201,
                "POST {collection} with its documented example {body} (made unique): {created}"
            );
            created[param]
                .as_str()
                .or_else(|| created["id"].as_str())
                .unwrap_or_else(|| panic!("POST {collection} answered no `id`: {created}"))
                .to_owned()
        }
        .boxed()
    }

    /// The example, made into a request that can be sent now and again (see [`Resolver`]).
    fn instantiate<'b>(
        &'b self,
        example: &'b Value,
        known: &'b mut HashMap<String, String>,
    ) -> BoxFuture<'b, Value> {
        async move {
            let Value::Object(fields) = example else {
                return example.clone();
            };
            let mut out = serde_json::Map::new();
            for (key, value) in fields {
                let value = match (key.as_str(), value) {
                    ("name" | "slug" | "client_id", Value::String(name)) => {
                        Value::String(format!("{name}-{}", unique()))
                    }
                    ("email", Value::String(email)) => {
                        let (local, domain) = email.split_once('@').unwrap();
                        Value::String(format!("{local}.{}@{domain}", unique()))
                    }
                    (_, Value::String(text))
                        if chrono::DateTime::parse_from_rfc3339(text).is_ok() =>
                    {
                        Value::String(
                            (chrono::Utc::now() + chrono::Duration::days(1))
                                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                        )
                    }
                    (key, Value::String(_)) if key.ends_with("_id") => {
                        Value::String(self.reference(key, known).await)
                    }
                    (_, Value::Array(items))
                        if !items.is_empty() && items.iter().all(|i| self.is_scope(i)) =>
                    {
                        Value::Array(vec![])
                    }
                    (key, Value::Array(items)) if key.ends_with("_ids") => {
                        let param = key.trim_end_matches('s');
                        let mut ids = Vec::new();
                        for _ in items {
                            ids.push(Value::String(self.reference(param, known).await));
                        }
                        Value::Array(ids)
                    }
                    (_, Value::Object(_)) => self.instantiate(value, known).await,
                    _ => value.clone(),
                };
                out.insert(key.clone(), value);
            }
            Value::Object(out)
        }
        .boxed()
    }

    /// Whether `value` is a scope the document declares.
    fn is_scope(&self, value: &Value) -> bool {
        value.as_str().is_some_and(|scope| {
            self.doc["components"]["securitySchemes"]["oauth2"]["flows"]
                .as_object()
                .unwrap()
                .values()
                .any(|flow| flow["scopes"].get(scope).is_some())
        })
    }

    /// The resource a body field names (`role_id`): made as the path parameter of that
    /// name would be (the same rules), within the parameters already known; its own
    /// parents stay apart from the operation's.
    async fn reference(&self, param: &str, known: &mut HashMap<String, String>) -> String {
        if let Some(id) = known.get(param) {
            return id.clone();
        }
        let marker = format!("{{{param}}}");
        let through = self.doc["paths"]
            .as_object()
            .unwrap()
            .keys()
            .find_map(|path| path.find(&marker).map(|at| &path[..at + marker.len()]))
            .unwrap_or_else(|| panic!("no path has a parameter {marker}"));
        let mut scope = known.clone();
        self.resolve_path(through, &mut scope).await;
        scope
            .remove(param)
            .unwrap_or_else(|| panic!("{marker} cannot be made for a request body"))
    }
}

/// The parameters of a path template, each with the path before it (its collection).
pub fn parameters(template: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut offset = 0;
    while let Some(open) = template[offset..].find('{') {
        let open = offset + open;
        let close = open + template[open..].find('}').unwrap();
        out.push((
            template[open + 1..close].to_owned(),
            template[..open].trim_end_matches('/').to_owned(),
        ));
        offset = close;
    }
    out
}

/// The request body example of an operation: the media type's own, else its schema's.
pub fn request_example<'d>(doc: &'d Value, op: &'d Value) -> Option<&'d Value> {
    let media = &op["requestBody"]["content"]["application/json"];
    if let Some(example) = media.get("example") {
        return Some(example);
    }
    let schema = &media["schema"];
    let schema = match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.strip_prefix("#/components/schemas/")?;
            &doc["components"]["schemas"][name]
        }
        None => schema,
    };
    schema.get("example")
}

pub fn unique() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_owned()
}

/// `template` with its parameters from `ids` and `{session_id}` = `session`.
pub fn fill(template: &str, ids: &HashMap<String, String>, session: &str) -> String {
    let mut out = template.replace(&format!("{{{SESSION}}}"), session);
    for (name, id) in ids {
        out = out.replace(&format!("{{{name}}}"), id);
    }
    assert!(!out.contains('{'), "unfilled parameter in {out}");
    out
}
