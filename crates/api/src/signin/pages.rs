//! The hosted login pages (SPEC §11): askama templates in `crates/api/templates/`,
//! compiled into the binary and HTML-escaped, served with a strict CSP of their own.

use crate::signin::page_error::PageError;
use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY};
use actix_web::{HttpResponse, HttpResponseBuilder};
use askama::Template;

/// The product's name on every page.
pub const PRODUCT: &str = "Gatehouse";

/// The sign-in pages' stylesheet (`GET /assets/signin.css`).
pub const STYLESHEET: &str = include_str!("../../assets/signin.css");

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage<'a> {
    pub product: &'a str,
    pub client_name: &'a str,
    pub csrf: &'a str,
    pub email: &'a str,
    pub error: Option<&'a str>,
}

pub struct TenantOption {
    pub slug: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "tenant.html")]
pub struct TenantPage<'a> {
    pub product: &'a str,
    pub client_name: &'a str,
    pub csrf: &'a str,
    pub tenants: Vec<TenantOption>,
}

#[derive(Template)]
#[template(path = "consent.html")]
pub struct ConsentPage<'a> {
    pub product: &'a str,
    pub client_name: &'a str,
    pub csrf: &'a str,
    pub email: &'a str,
    pub tenant: Option<&'a str>,
    pub asked: Vec<String>,
}

#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage<'a> {
    pub product: &'a str,
    pub title: &'a str,
    pub message: &'a str,
    pub hint: Option<&'a str>,
}

/// No script at all; styles from this origin; forms post here and may be redirected
/// (after the last step) to `redirect_origin` only: Chromium enforces `form-action` on
/// the redirect that follows a form's submission.
fn csp(redirect_origin: Option<&str>) -> String {
    let form_action = match redirect_origin {
        Some(origin) => format!("'self' {origin}"),
        None => "'self'".to_owned(),
    };
    format!(
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action {form_action}; \
         frame-ancestors 'none'; base-uri 'none'"
    )
}

/// A page's response: never cached (it carries the sign-in's CSRF token), with `cookies`.
pub fn respond(
    status: StatusCode,
    page: &impl Template,
    redirect_origin: Option<&str>,
    cookies: &[Cookie<'static>],
) -> Result<HttpResponse, PageError> {
    let body = page
        .render()
        .map_err(|e| PageError::from(crate::error::ApiError::Internal(e.into())))?;
    let mut response = HttpResponseBuilder::new(status);
    response
        .content_type("text/html; charset=utf-8")
        .insert_header((CACHE_CONTROL, "no-store"))
        .insert_header((CONTENT_SECURITY_POLICY, csp(redirect_origin)));
    for cookie in cookies {
        response.cookie(cookie.clone());
    }
    Ok(response.body(body))
}

/// `GET /assets/signin.css`.
pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((CACHE_CONTROL, "public, max-age=3600"))
        .body(STYLESHEET)
}

/// `?token=` of an emailed link's page (`/account/*`).
#[derive(serde::Deserialize)]
pub struct LinkQuery {
    token: Option<String>,
}

impl LinkQuery {
    /// The token, if it can be one (the page only shows a form: the POST judges it).
    pub fn token(&self) -> Result<&str, PageError> {
        match self.token.as_deref() {
            Some(token) if !token.is_empty() && token.len() <= 128 => Ok(token),
            _ => Err(PageError::bad_request("This link has no valid token.")),
        }
    }
}
