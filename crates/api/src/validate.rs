//! Request bodies are parsed, then validated as a whole (`validator`), before a handler
//! sees them: every invalid field is reported in one 422. The field rules are the
//! domain's (`domain::names`, `domain::Email`, …): the functions here only adapt them to
//! `validator`, so there is one set of name, slug, email and length rules.

use crate::error::{ApiError, FieldError};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use domain::{
    ApiKeyName, Description, DisplayName, Email, NewPassword, ProjectName, RoleName, Scope,
    ScopeSet, Slug, TaskTitle, TenantName,
};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use std::borrow::Cow;
use std::ops::Deref;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

/// A JSON body that deserialized and passed its `Validate` rules.
#[derive(Debug)]
pub struct Valid<T>(pub T);

impl<T> Valid<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Valid<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + Validate + 'static> FromRequest for Valid<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = web::Json::<T>::from_request(req, payload);
        Box::pin(async move {
            let body = json.await?.into_inner();
            body.validate().map_err(invalid)?;
            Ok(Valid(body))
        })
    }
}

/// Validates a body taken as plain `web::Json`, for a handler that must do something first
/// (a rate limit counts malformed attempts too).
pub fn check<T: Validate>(body: web::Json<T>) -> Result<T, ApiError> {
    let body = body.into_inner();
    body.validate().map_err(invalid)?;
    Ok(body)
}

/// Every failed rule as a `{field, message}` of one 422, nested fields as `outer.inner`.
pub fn invalid(errors: ValidationErrors) -> ApiError {
    let mut fields = Vec::new();
    collect(&errors, "", &mut fields);
    fields.sort_by(|a, b| a.field.cmp(&b.field));
    ApiError::Validation(fields)
}

/// The struct-level rules (`#[validate(schema(..))]`) that `validator` files under
/// `__all__`; ours name their field in the error's code.
const STRUCT_LEVEL: &str = "__all__";

fn collect(errors: &ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
    for (field, kind) in errors.errors() {
        let join = |field: &str| {
            if prefix.is_empty() {
                field.to_owned()
            } else {
                format!("{prefix}.{field}")
            }
        };
        let path = join(field);
        match kind {
            ValidationErrorsKind::Field(list) => out.extend(list.iter().map(|e| FieldError {
                field: if field == STRUCT_LEVEL {
                    join(&e.code)
                } else {
                    path.clone()
                },
                message: e.message.as_deref().unwrap_or(e.code.as_ref()).to_owned(),
            })),
            ValidationErrorsKind::Struct(inner) => collect(inner, &path, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    collect(inner, &format!("{path}[{index}]"), out);
                }
            }
        }
    }
}

/// A domain rule's verdict as `validator` reports it.
fn rule<T>(verdict: Result<T, domain::ValidationError>) -> Result<(), validator::ValidationError> {
    verdict.map(drop).map_err(|error| {
        validator::ValidationError::new("invalid").with_message(Cow::Owned(error.message))
    })
}

pub fn project_name(raw: &str) -> Result<(), validator::ValidationError> {
    rule(ProjectName::parse(raw))
}

pub fn task_title(raw: &str) -> Result<(), validator::ValidationError> {
    rule(TaskTitle::parse(raw))
}

pub fn description(raw: &str) -> Result<(), validator::ValidationError> {
    rule(Description::parse(raw))
}

pub fn role_name(raw: &str) -> Result<(), validator::ValidationError> {
    rule(RoleName::parse(raw))
}

pub fn api_key_name(raw: &str) -> Result<(), validator::ValidationError> {
    rule(ApiKeyName::parse(raw))
}

pub fn tenant_name(raw: &str) -> Result<(), validator::ValidationError> {
    rule(TenantName::parse(raw))
}

pub fn display_name(raw: &str) -> Result<(), validator::ValidationError> {
    rule(DisplayName::parse(raw))
}

pub fn slug(raw: &str) -> Result<(), validator::ValidationError> {
    rule(Slug::parse(raw))
}

pub fn email(raw: &str) -> Result<(), validator::ValidationError> {
    rule(Email::parse(raw))
}

pub fn client_id(raw: &str) -> Result<(), validator::ValidationError> {
    rule(domain::ClientId::parse(raw))
}

pub fn client_name(raw: &str) -> Result<(), validator::ValidationError> {
    rule(domain::ClientName::parse(raw))
}

pub fn redirect_uris(uris: &[String]) -> Result<(), validator::ValidationError> {
    rule(normalised(
        uris,
        domain::RedirectUri::parse,
        domain::RedirectUri::as_str,
    ))
}

pub fn origins(origins: &[String]) -> Result<(), validator::ValidationError> {
    rule(normalised(
        origins,
        domain::ClientOrigin::parse,
        domain::ClientOrigin::as_str,
    ))
}

/// Redirect URIs as stored and compared: normalised, each once.
pub fn normalise_redirect_uris(uris: &[String]) -> Result<Vec<String>, domain::ValidationError> {
    normalised(
        uris,
        domain::RedirectUri::parse,
        domain::RedirectUri::as_str,
    )
}

/// Origins as stored and compared: normalised, each once.
pub fn normalise_origins(origins: &[String]) -> Result<Vec<String>, domain::ValidationError> {
    normalised(
        origins,
        domain::ClientOrigin::parse,
        domain::ClientOrigin::as_str,
    )
}

/// A cookie client has an origin (a struct-level rule: the error's code names the field).
pub fn delivery(
    delivery: domain::RefreshDelivery,
    origins: &[String],
) -> Result<(), validator::ValidationError> {
    struct_level(domain::client::check_delivery(delivery, origins))
}

fn normalised<T>(
    raw: &[String],
    parse: fn(&str) -> Result<T, domain::ValidationError>,
    text: fn(&T) -> &str,
) -> Result<Vec<String>, domain::ValidationError> {
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for item in raw {
        let value = parse(item)?;
        let value = text(&value).to_owned();
        if !out.contains(&value) {
            out.push(value);
        }
    }
    Ok(out)
}

/// A new password, judged against the other things the person typed (a struct-level rule:
/// the error's code names the field).
pub fn new_password(raw: &str, context: &[&str]) -> Result<(), validator::ValidationError> {
    struct_level(NewPassword::parse(raw, context))
}

/// A domain rule's verdict as a struct-level `validator` error, whose code names the field
/// (see `collect`).
fn struct_level<T>(
    verdict: Result<T, domain::ValidationError>,
) -> Result<(), validator::ValidationError> {
    verdict.map(drop).map_err(|error| {
        validator::ValidationError::new(error.field).with_message(Cow::Owned(error.message))
    })
}

/// A moment that has not passed yet (an expiry).
pub fn in_the_future(at: &chrono::DateTime<chrono::Utc>) -> Result<(), validator::ValidationError> {
    if *at > chrono::Utc::now() {
        Ok(())
    } else {
        Err(validator::ValidationError::new("past").with_message("must be in the future".into()))
    }
}

/// Names of the permission catalog that a tenant role or key can hold.
pub fn tenant_scopes(names: &[String]) -> Result<(), validator::ValidationError> {
    rule(parse_tenant_scopes(names, "permissions"))
}

/// Parses names of tenant scopes (never `platform:admin`).
pub fn parse_tenant_scopes(
    names: &[String],
    field: &'static str,
) -> Result<ScopeSet, domain::ValidationError> {
    let set = ScopeSet::parse_names(names)
        .map_err(|e| domain::ValidationError::new(field, e.to_string()))?;
    if !set.is_subset_of(ScopeSet::all_tenant()) {
        return Err(domain::ValidationError::new(
            field,
            format!("{} is not a tenant permission", Scope::PlatformAdmin),
        ));
    }
    Ok(set)
}

/// For an optional field of a JSON request: absent is `None` (with `#[serde(default)]`),
/// an explicit `null` is refused — the document says the field may be left out, not that
/// it may be null (SPEC §15: a typed client then omits it), and a request that breaks the
/// document must not be accepted.
pub fn not_null<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    use serde::Deserialize;
    use serde::de::Error;
    Option::<T>::deserialize(deserializer)?
        .map(Some)
        .ok_or_else(|| D::Error::custom("must not be null: leave the field out instead"))
}
