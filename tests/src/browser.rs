//! A browser, as far as the sign-in pages need one: a cookie jar (what `Set-Cookie` sets,
//! sent back on every request to the app), no automatic redirects (a test reads each
//! `Location`), and the login page's forms filled in by name. The real thing (headless
//! Chromium) drives the demo SPA in `tests/e2e`.

use crate::TestApp;
use std::collections::BTreeMap;

pub const REDIRECT: &str = "https://app.example.com/callback";
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

/// One response, read whole.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub headers: reqwest::header::HeaderMap,
    /// Every `Set-Cookie` of the response, verbatim.
    pub set_cookies: Vec<String>,
    pub body: String,
}

impl Page {
    /// The hidden `csrf` field of the page's form.
    pub fn csrf(&self) -> String {
        hidden(&self.body, "csrf").expect("the page has a csrf field")
    }

    /// The query parameters of the redirect `Location`.
    pub fn redirect_params(&self) -> BTreeMap<String, String> {
        let location = self.location.as_deref().expect("a redirect");
        url::Url::parse(location)
            .expect("an absolute Location")
            .query_pairs()
            .into_owned()
            .collect()
    }

    /// The `Set-Cookie` for cookie `name`.
    pub fn set_cookie(&self, name: &str) -> Option<&str> {
        self.set_cookies
            .iter()
            .find(|c| c.starts_with(&format!("{name}=")))
            .map(String::as_str)
    }
}

fn hidden(body: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body.find(&marker)? + marker.len();
    let end = body[start..].find('"')? + start;
    Some(body[start..end].to_owned())
}

pub struct Browser<'a> {
    app: &'a TestApp,
    pub jar: BTreeMap<String, String>,
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            jar: BTreeMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn read(&mut self, response: reqwest::Response) -> Page {
        let headers = response.headers().clone();
        let set_cookies: Vec<String> = headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        for cookie in &set_cookies {
            let pair = cookie.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            let removed = value.is_empty() || cookie.contains("Max-Age=0");
            if removed {
                self.jar.remove(name);
            } else {
                self.jar.insert(name.to_owned(), value.to_owned());
            }
        }
        Page {
            status: response.status().as_u16(),
            location: headers
                .get("location")
                .map(|v| v.to_str().unwrap().to_owned()),
            headers,
            set_cookies,
            body: response.text().await.unwrap(),
        }
    }

    /// GET `path` (with its query) of the app.
    pub async fn get(&mut self, path: &str) -> Page {
        let mut request = self.app.client.get(self.app.url(path));
        if !self.jar.is_empty() {
            request = request.header("cookie", self.cookie_header());
        }
        let response = request.send().await.unwrap();
        self.read(response).await
    }

    /// Submits a form to `action` as a browser would (form-encoded, with its cookies).
    pub async fn post(&mut self, action: &str, fields: &[(&str, &str)]) -> Page {
        let mut request = self.app.client.post(self.app.url(action)).form(fields);
        if !self.jar.is_empty() {
            request = request.header("cookie", self.cookie_header());
        }
        let response = request.send().await.unwrap();
        self.read(response).await
    }

    /// A `fetch` from a page of `origin` with credentials (the SPA calling `/oauth/*`).
    pub async fn fetch_form(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        origin: Option<&str>,
    ) -> Page {
        let mut request = self.app.client.post(self.app.url(path)).form(fields);
        if !self.jar.is_empty() {
            request = request.header("cookie", self.cookie_header());
        }
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        let response = request.send().await.unwrap();
        self.read(response).await
    }

    /// Opens the authorization endpoint for `client_id` with PKCE (S256 of [`VERIFIER`])
    /// and `state=xyz`; `extra` parameters replace those (an empty value removes one) or
    /// are added.
    pub async fn authorize(&mut self, client_id: &str, extra: &[(&str, &str)]) -> Page {
        let challenge = auth::pkce::challenge_of(VERIFIER);
        let mut params = vec![
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", REDIRECT),
            ("state", "xyz"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ];
        for (name, value) in extra {
            params.retain(|(n, _)| n != name);
            params.push((name, value));
        }
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in params.into_iter().filter(|(_, v)| !v.is_empty()) {
            query.append_pair(name, value);
        }
        self.get(&format!("/oauth/authorize?{}", query.finish()))
            .await
    }

    /// Fills in the login page's password form.
    pub async fn submit_password(&mut self, page: &Page, email: &str, password: &str) -> Page {
        let csrf = page.csrf();
        self.post(
            "/login/password",
            &[("csrf", &csrf), ("email", email), ("password", password)],
        )
        .await
    }
}

/// The key directory whose RSA key signs ID tokens in tests (access tokens stay HS256).
pub fn id_token_key_dir() -> String {
    format!("{}/fixtures/keys/rs256", env!("CARGO_MANIFEST_DIR"))
}

/// An app that can sign ID tokens, with `clients` registered.
pub async fn oidc_app(clients: &[api::cli::ClientSpec]) -> TestApp {
    let app = TestApp::builder()
        .env("GATEHOUSE_JWT_KEY_DIR", &id_token_key_dir())
        .spawn()
        .await;
    for spec in clients {
        app.register_client(spec).await;
    }
    app
}

/// A public, first-party client that redirects to [`REDIRECT`] and gets its refresh token
/// in the body: change what a test needs.
pub fn client_spec(client_id: &str) -> api::cli::ClientSpec {
    api::cli::ClientSpec {
        client_id: client_id.into(),
        name: format!("The {client_id} app"),
        client_type: domain::ClientType::Public,
        redirect_uris: vec![REDIRECT.into()],
        allowed_origins: vec![],
        refresh_delivery: domain::RefreshDelivery::Body,
        first_party: true,
        post_logout_redirect_uris: vec![],
    }
}

impl TestApp {
    /// Registers an OAuth client as `gatehouse create-client` does; a confidential
    /// client's secret is returned.
    pub async fn register_client(&self, spec: &api::cli::ClientSpec) -> Option<String> {
        let env = self.env.clone();
        let config = api::Config::from_lookup(|name| env.get(name).cloned()).unwrap();
        api::cli::create_client(&config, spec).await.unwrap()
    }
}
