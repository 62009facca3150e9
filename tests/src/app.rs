//! `TestApp`: the real application, spawned on a random port over a test's own database
//! and Redis prefix.

use crate::db::{TestDb, redis_url};
use api::{Application, Config};
use std::collections::HashMap;

pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub client: reqwest::Client,
    pub db: std::sync::Arc<TestDb>,
    pub redis_prefix: String,
    pub env: HashMap<String, String>,
}

/// Builds a test app; `env` overrides the defaults (names of SPEC §9).
pub struct TestAppBuilder {
    env: HashMap<String, String>,
    db: Option<std::sync::Arc<TestDb>>,
}

impl TestAppBuilder {
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.insert(name.into(), value.into());
        self
    }

    /// Shares another app's database and Redis prefix (two instances of one deployment).
    pub fn sharing_with(mut self, other: &TestApp) -> Self {
        self.db = Some(other.db.clone());
        self.env
            .insert("GATEHOUSE_REDIS_PREFIX".into(), other.redis_prefix.clone());
        for secret in ["GATEHOUSE_JWT_SECRET", "GATEHOUSE_DATA_KEY"] {
            self.env.insert(secret.into(), other.env[secret].clone());
        }
        self
    }

    pub async fn spawn(self) -> TestApp {
        // `RUST_LOG=debug scripts/test name` shows the server's logs of a failing test.
        crate::logs::init();
        let db = match self.db {
            Some(db) => db,
            None => std::sync::Arc::new(TestDb::create().await),
        };
        let mut env = HashMap::from([
            // The application role, which owns nothing; the owner only migrates.
            ("DATABASE_URL".to_owned(), db.url.clone()),
            (
                "GATEHOUSE_MIGRATION_DATABASE_URL".to_owned(),
                db.owner_url.clone(),
            ),
            ("REDIS_URL".to_owned(), redis_url()),
            ("GATEHOUSE_BIND".to_owned(), "127.0.0.1:0".to_owned()),
            ("GATEHOUSE_JWT_SECRET".to_owned(), auth::random::token(32)),
            ("GATEHOUSE_DATA_KEY".to_owned(), auth::random::token(32)),
            (
                "GATEHOUSE_REDIS_PREFIX".to_owned(),
                format!("ghtest:{}:", uuid::Uuid::new_v4().simple()),
            ),
            // Light hashing keeps the suite fast; the parameters themselves are tested.
            ("GATEHOUSE_ARGON2_MEMORY_KIB".to_owned(), "8192".to_owned()),
            ("GATEHOUSE_ARGON2_ITERATIONS".to_owned(), "1".to_owned()),
            ("GATEHOUSE_HTTP_WORKERS".to_owned(), "1".to_owned()),
            ("GATEHOUSE_DB_POOL_SIZE".to_owned(), "4".to_owned()),
            ("GATEHOUSE_LOGIN_RATE".to_owned(), "1000".to_owned()),
        ]);
        env.extend(self.env);
        let config =
            Config::from_lookup(|name| env.get(name).cloned()).expect("test config is valid");
        let app = Application::build(config).await.expect("app builds");
        let port = app.port();
        tokio::spawn(app.run_until_stopped());
        TestApp {
            address: format!("http://127.0.0.1:{port}"),
            port,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            redis_prefix: env["GATEHOUSE_REDIS_PREFIX"].clone(),
            db,
            env,
        }
    }
}

impl TestApp {
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder {
            env: HashMap::new(),
            db: None,
        }
    }

    pub async fn spawn() -> TestApp {
        Self::builder().spawn().await
    }

    /// From `/metrics`: (checks the revocation mirror answered, checks Redis answered,
    /// whether the mirror is live).
    pub async fn revocation_checks(&self) -> (u64, u64, bool) {
        let text = self.get("/metrics").await.text().await.unwrap();
        let value = |prefix: &str| -> u64 {
            text.lines()
                .find_map(|line| line.strip_prefix(prefix))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or_else(|| panic!("{prefix} missing from /metrics"))
        };
        (
            value("gatehouse_revocation_checks_total{source=\"mirror\"}"),
            value("gatehouse_revocation_checks_total{source=\"redis\"}"),
            value("gatehouse_revocation_mirror_live") == 1,
        )
    }

    /// Waits (up to 10 s) until this instance's revocation mirror answers checks.
    pub async fn mirror_live(&self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !self.revocation_checks().await.2 {
            assert!(
                std::time::Instant::now() < deadline,
                "the revocation mirror never became live"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request sent")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let prefix = self.redis_prefix.clone();
        let _ = std::thread::spawn(move || {
            let Ok(client) = redis::Client::open(redis_url()) else {
                return;
            };
            let Ok(mut conn) = client.get_connection() else {
                return;
            };
            let keys: Vec<String> = redis::cmd("KEYS")
                .arg(format!("{prefix}*"))
                .query(&mut conn)
                .unwrap_or_default();
            if !keys.is_empty() {
                let _: redis::RedisResult<()> = redis::cmd("DEL").arg(keys).query(&mut conn);
            }
        })
        .join();
    }
}

/// A signed-up user and their tenant.
#[derive(Debug, Clone)]
pub struct Account {
    pub email: String,
    pub password: String,
    pub user_id: String,
    pub tenant_id: String,
    pub slug: String,
}

pub const PASSWORD: &str = "correct horse battery staple 42";

impl TestApp {
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get_with(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn send_with(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<serde_json::Value>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("request sent")
    }

    /// A request with an `X-API-Key` (and a JSON body, if given).
    pub async fn send_with_key(
        &self,
        method: reqwest::Method,
        path: &str,
        key: &str,
        body: Option<serde_json::Value>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .request(method, self.url(path))
            .header("x-api-key", key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("request sent")
    }

    /// Creates an API key in `tenant` with `token`; returns the key.
    pub async fn new_api_key(&self, token: &str, tenant: &str, scopes: &[&str]) -> String {
        let response = self
            .send_with(
                reqwest::Method::POST,
                &format!("/api/v1/tenants/{tenant}/api-keys"),
                token,
                Some(serde_json::json!({"name": "probe", "scopes": scopes})),
            )
            .await;
        assert_eq!(response.status(), 201);
        response.json::<serde_json::Value>().await.unwrap()["key"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Signs up `email` with a new tenant `slug`.
    pub async fn sign_up(&self, email: &str, slug: &str) -> Account {
        let response = self
            .post_json(
                "/api/v1/signup",
                &serde_json::json!({
                    "email": email, "password": PASSWORD, "display_name": "Test User",
                    "tenant": {"name": format!("Tenant {slug}"), "slug": slug}
                }),
            )
            .await;
        assert_eq!(
            response.status(),
            201,
            "signup failed: {}",
            response.text().await.unwrap_or_default()
        );
        let body: serde_json::Value = response.json().await.unwrap();
        Account {
            email: email.to_owned(),
            password: PASSWORD.to_owned(),
            user_id: body["user"]["id"].as_str().unwrap().to_owned(),
            tenant_id: body["tenant"]["id"].as_str().unwrap().to_owned(),
            slug: slug.to_owned(),
        }
    }

    /// Password grant; returns the raw response.
    pub async fn password_grant(
        &self,
        email: &str,
        password: &str,
        extra: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut form = vec![
            ("grant_type", "password"),
            ("username", email),
            ("password", password),
        ];
        form.extend_from_slice(extra);
        self.post_form("/oauth/token", &form).await
    }

    /// Logs in; panics unless a token pair comes back.
    pub async fn login(&self, account: &Account, extra: &[(&str, &str)]) -> Tokens {
        let response = self
            .password_grant(&account.email, &account.password, extra)
            .await;
        assert_eq!(
            response.status(),
            200,
            "login failed: {}",
            response.text().await.unwrap_or_default()
        );
        Tokens::from(response.json::<serde_json::Value>().await.unwrap())
    }

    pub async fn refresh(&self, refresh_token: &str, extra: &[(&str, &str)]) -> reqwest::Response {
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ];
        form.extend_from_slice(extra);
        self.post_form("/oauth/token", &form).await
    }
}

#[derive(Debug, Clone)]
pub struct Tokens {
    pub access: String,
    pub refresh: String,
    pub scope: String,
    pub body: serde_json::Value,
}

impl From<serde_json::Value> for Tokens {
    fn from(body: serde_json::Value) -> Self {
        Self {
            access: body["access_token"].as_str().unwrap().to_owned(),
            refresh: body["refresh_token"].as_str().unwrap().to_owned(),
            scope: body["scope"].as_str().unwrap().to_owned(),
            body,
        }
    }
}

/// The claims of a JWT, read without verification (tests inspect what they were given).
pub fn claims_of(token: &str) -> serde_json::Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

pub fn header_of(token: &str) -> serde_json::Value {
    use base64::Engine;
    let header = token.split('.').next().unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(header)
            .unwrap(),
    )
    .unwrap()
}

impl TestApp {
    /// A platform operator (made with the CLI, as an operator would) and their token.
    pub async fn platform_admin(&self) -> Tokens {
        let env = self.env.clone();
        let config = api::Config::from_lookup(|name| env.get(name).cloned()).unwrap();
        let password = "an operator's long passphrase";
        api::cli::create_platform_admin(&config, "root@example.com", password, "Root")
            .await
            .unwrap();
        let root = Account {
            email: "root@example.com".into(),
            password: password.into(),
            user_id: String::new(),
            tenant_id: String::new(),
            slug: String::new(),
        };
        self.login(&root, &[]).await
    }

    /// The id of the tenant's role named `name`.
    pub async fn role_id(&self, token: &str, tenant: &str, name: &str) -> String {
        let roles: serde_json::Value = self
            .get_with(&format!("/api/v1/tenants/{tenant}/roles?limit=100"), token)
            .await
            .json()
            .await
            .unwrap();
        roles["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("no role {name}"))["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Invites `email` into `owner`'s tenant with the named roles; returns the token.
    pub async fn invite(
        &self,
        owner: &Tokens,
        tenant: &str,
        email: &str,
        roles: &[&str],
    ) -> String {
        let mut role_ids = Vec::new();
        for role in roles {
            role_ids.push(self.role_id(&owner.access, tenant, role).await);
        }
        let response = self
            .send_with(
                reqwest::Method::POST,
                &format!("/api/v1/tenants/{tenant}/invitations"),
                &owner.access,
                Some(serde_json::json!({"email": email, "role_ids": role_ids})),
            )
            .await;
        assert_eq!(
            response.status(),
            201,
            "invite failed: {}",
            response.text().await.unwrap_or_default()
        );
        response.json::<serde_json::Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A new user joins `tenant` with the named roles (through an invitation).
    pub async fn add_member(
        &self,
        owner: &Tokens,
        owner_account: &Account,
        email: &str,
        roles: &[&str],
    ) -> Account {
        let token = self
            .invite(owner, &owner_account.tenant_id, email, roles)
            .await;
        let response = self
            .post_json("/api/v1/invitations/accept", &serde_json::json!({"token": token, "password": PASSWORD, "display_name": "Member"}))
            .await;
        assert_eq!(
            response.status(),
            201,
            "accept failed: {}",
            response.text().await.unwrap_or_default()
        );
        let body: serde_json::Value = response.json().await.unwrap();
        Account {
            email: email.to_owned(),
            password: PASSWORD.to_owned(),
            user_id: body["user_id"].as_str().unwrap().to_owned(),
            tenant_id: owner_account.tenant_id.clone(),
            slug: owner_account.slug.clone(),
        }
    }
}

/// SPEC §8: what every response carries, whoever made it (guard, router, handler).
pub fn assert_security_headers(response: &reqwest::Response, what: &str) {
    let headers = response.headers();
    assert_eq!(headers["x-content-type-options"], "nosniff", "{what}");
    assert!(headers.contains_key("x-request-id"), "{what}");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'"),
        "{what}"
    );
}
