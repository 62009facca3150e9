//! Extractor configuration: every malformed body, path or query becomes problem+json.

use crate::error::ApiError;
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError, UrlencodedError};
use actix_web::web;

/// JSON bodies are small in this API; anything larger is refused before it is buffered.
pub const JSON_LIMIT: usize = 64 * 1024;
pub const FORM_LIMIT: usize = 16 * 1024;

pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(JSON_LIMIT)
        .error_handler(|error, _req| {
            match error {
                JsonPayloadError::Overflow { .. }
                | JsonPayloadError::OverflowKnownLength { .. } => ApiError::PayloadTooLarge,
                JsonPayloadError::ContentType => {
                    ApiError::UnsupportedMediaType("expected Content-Type: application/json".into())
                }
                JsonPayloadError::Deserialize(e) => {
                    ApiError::BadRequest(format!("malformed JSON body: {e}"))
                }
                other => ApiError::BadRequest(format!("unreadable JSON body: {other}")),
            }
            .into()
        })
}

pub fn form_config() -> web::FormConfig {
    web::FormConfig::default()
        .limit(FORM_LIMIT)
        .error_handler(|error, _req| {
            match error {
                UrlencodedError::Overflow { .. } => ApiError::PayloadTooLarge,
                other => ApiError::BadRequest(format!("malformed form body: {other}")),
            }
            .into()
        })
}

pub fn path_config() -> web::PathConfig {
    // An unparsable id can name no resource.
    web::PathConfig::default().error_handler(|_error: PathError, _req| ApiError::NotFound.into())
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|error: QueryPayloadError, _req| {
        ApiError::BadRequest(format!("malformed query string: {error}")).into()
    })
}
