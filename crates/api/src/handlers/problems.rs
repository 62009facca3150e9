//! `GET /problems` and `GET /problems/{kind}`: the pages a problem's `type` URI leads to
//! (RFC 9457 §3.1.1). HTML for people; outside the OpenAPI document (SPEC §15: HTML pages
//! are). Every word on them comes from `crate::problems`, never from the request.

use crate::error::ApiError;
use crate::problems::ProblemKind;
use actix_web::{HttpResponse, web};

/// Every kind, linked.
pub async fn list_problems() -> HttpResponse {
    let items: String = ProblemKind::ALL
        .iter()
        .map(|kind| {
            format!(
                "<li><a href=\"/problems/{slug}\"><code>{slug}</code></a> ({status}): {title}</li>\n",
                slug = kind.slug(),
                status = kind.status(),
                title = escape(kind.title()),
            )
        })
        .collect();
    page(
        "Problem types",
        &format!(
            "<p>Every error answer of the Gatehouse API outside <code>/oauth/*</code> is an \
             RFC 9457 problem (<code>application/problem+json</code>) whose \
             <code>type</code> ends in one of these. Branch on it, not on \
             <code>detail</code>.</p>\n<ul>\n{items}</ul>"
        ),
    )
}

/// One kind: its status, title and what a client should do.
pub async fn describe_problem(kind: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let kind = ProblemKind::from_slug(&kind).ok_or(ApiError::NotFound)?;
    Ok(page(
        kind.title(),
        &format!(
            "<dl>\n<dt>Type</dt><dd><code>{slug}</code></dd>\n<dt>Status</dt><dd>{status}</dd>\n</dl>\n\
             <p>{about}</p>\n<p><a href=\"/problems\">All problem types</a></p>",
            slug = kind.slug(),
            status = kind.status(),
            about = code_spans(&escape(kind.about())),
        ),
    ))
}

fn page(title: &str, body: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(format!(
            "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{title} · Gatehouse</title>\n</head>\n<body>\n<main>\n<h1>{title}</h1>\n\
             {body}\n</main>\n</body>\n</html>\n",
            title = escape(title),
        ))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `like this` → <code>like this</code> (the catalogue's texts mark names so).
fn code_spans(text: &str) -> String {
    let mut out = String::new();
    for (i, part) in text.split('`').enumerate() {
        if i % 2 == 1 {
            out.push_str("<code>");
            out.push_str(part);
            out.push_str("</code>");
        } else {
            out.push_str(part);
        }
    }
    out
}
