//! Cursor pagination: `limit` (1..=100, default 20) and an opaque `cursor`; answers
//! `{"items": [...], "next_cursor": "..." | null}`.

use crate::error::ApiError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]{21}[AQgw]$")]
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl PageQuery {
    pub fn limit(&self) -> Result<usize, ApiError> {
        match self.limit {
            None => Ok(20),
            Some(n @ 1..=100) => Ok(n as usize),
            Some(_) => Err(ApiError::validation("limit", "must be between 1 and 100")),
        }
    }

    /// The id the previous page ended at (keyset pagination over UUIDv7 ids). A cursor is
    /// the id's 16 bytes in unpadded base64url: 22 characters, the last one carrying only
    /// two bits, so every string the documented pattern admits is a cursor.
    pub fn after_id(&self) -> Result<Option<uuid::Uuid>, ApiError> {
        self.cursor
            .as_deref()
            .map(|c| {
                URL_SAFE_NO_PAD
                    .decode(c)
                    .ok()
                    .and_then(|bytes| uuid::Uuid::from_slice(&bytes).ok())
                    .ok_or_else(|| {
                        ApiError::validation("cursor", "is not a cursor this API issued")
                    })
            })
            .transpose()
    }
}

impl<T> Page<T> {
    /// A page from up to `limit + 1` rows: the extra row only says there is a next page.
    pub fn from_rows<R, K: Into<uuid::Uuid>>(
        mut rows: Vec<R>,
        limit: usize,
        key: impl Fn(&R) -> K,
        map: impl Fn(R) -> T,
    ) -> Self {
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next_cursor = if more {
            rows.last().map(|r| cursor_for(key(r).into()))
        } else {
            None
        };
        Page {
            items: rows.into_iter().map(map).collect(),
            next_cursor,
        }
    }
}

pub fn cursor_for(id: uuid::Uuid) -> String {
    URL_SAFE_NO_PAD.encode(id.as_bytes())
}

/// Pages a list already sorted by `key`, for lists that are small by nature (a user's
/// own tenants and sessions).
pub fn paginate<T>(
    items: Vec<T>,
    query: &PageQuery,
    key: impl Fn(&T) -> uuid::Uuid,
) -> Result<Page<T>, ApiError> {
    let limit = query.limit()?;
    let after = query.after_id()?;
    let mut rest: Vec<T> = match after {
        Some(after) => {
            let position = items.iter().position(|item| key(item) == after);
            match position {
                Some(index) => items.into_iter().skip(index + 1).collect(),
                None => Vec::new(),
            }
        }
        None => items,
    };
    let next_cursor = if rest.len() > limit {
        rest.get(limit - 1).map(|item| cursor_for(key(item)))
    } else {
        None
    };
    rest.truncate(limit);
    Ok(Page {
        items: rest,
        next_cursor,
    })
}
