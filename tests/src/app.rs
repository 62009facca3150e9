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
        self.env.insert(
            "GATEHOUSE_JWT_SECRET".into(),
            other.env["GATEHOUSE_JWT_SECRET"].clone(),
        );
        self
    }

    pub async fn spawn(self) -> TestApp {
        let db = match self.db {
            Some(db) => db,
            None => std::sync::Arc::new(TestDb::create().await),
        };
        let mut env = HashMap::from([
            ("DATABASE_URL".to_owned(), db.url.clone()),
            ("REDIS_URL".to_owned(), redis_url()),
            ("GATEHOUSE_BIND".to_owned(), "127.0.0.1:0".to_owned()),
            ("GATEHOUSE_JWT_SECRET".to_owned(), auth::random::token(32)),
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
