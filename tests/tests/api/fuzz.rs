//! Random and oversized bodies, headers and path parameters against every operation of
//! the OpenAPI document: never a 5xx, never a hang.

use gatehouse_tests::TestApp;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

/// xorshift64*: deterministic, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
    fn text(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b' ' + (self.next() % 95) as u8))
            .collect()
    }
}

fn bodies(rng: &mut Rng) -> Vec<(&'static str, Vec<u8>)> {
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let wrong_types = json!({"email": 1, "password": [], "name": {}, "scopes": "x", "role_ids": [1, 2], "status": null, "permissions": {"a": 1}, "title": true, "done": "yes", "expires_at": "tomorrow", "tenant": 7});
    let long_strings = json!({"email": rng.text(5000), "name": rng.text(10_000), "title": rng.text(10_000), "display_name": rng.text(1000), "scopes": [rng.text(300)], "permissions": [rng.text(300)], "role_ids": [rng.text(36)], "status": rng.text(50), "token": rng.text(300), "password": rng.text(2000)});
    vec![
        ("application/json", rng.bytes(512)),
        ("application/json", deep.into_bytes()),
        ("application/json", wrong_types.to_string().into_bytes()),
        ("application/json", long_strings.to_string().into_bytes()),
        ("application/json", vec![b' '; 300 * 1024]),
        (
            "application/x-www-form-urlencoded",
            rng.text(2000).into_bytes(),
        ),
        ("text/plain", rng.bytes(64)),
    ]
}

#[tokio::test]
async fn random_and_oversized_input_never_causes_a_5xx_or_a_hang() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let tokens = app.login(&ada, &[]).await;
    let doc: Value = app.get("/openapi.json").await.json().await.unwrap();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut probes = 0;

    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let method: Method = method.to_uppercase().parse().unwrap();
            for round in 0..3 {
                // Path parameters: the real tenant, or garbage.
                let mut concrete = path.replace(
                    "{tenant_id}",
                    if round == 0 {
                        &ada.tenant_id
                    } else {
                        "../../etc"
                    },
                );
                while let Some(start) = concrete.find('{') {
                    let end = concrete[start..].find('}').unwrap() + start;
                    let filler = match round {
                        0 => uuid::Uuid::now_v7().to_string(),
                        1 => "%00%ff".to_owned(),
                        _ => "9".repeat(300),
                    };
                    concrete.replace_range(start..=end, &filler);
                }
                for (content_type, body) in bodies(&mut rng) {
                    let mut request = client
                        .request(method.clone(), app.url(&concrete))
                        .header("content-type", content_type)
                        .body(body);
                    request = match round {
                        0 => request.bearer_auth(&tokens.access),
                        1 => request
                            .header("authorization", format!("Bearer {}", rng.text(8000)))
                            .header("x-api-key", rng.text(200)),
                        _ => request
                            .header("x-api-key", format!("gk_{}_{}", rng.text(8), rng.text(64)))
                            .header("x-forwarded-for", rng.text(300)),
                    };
                    let response = request
                        .send()
                        .await
                        .unwrap_or_else(|e| panic!("{method} {concrete}: no answer ({e})"));
                    let status = response.status();
                    assert!(
                        !status.is_server_error(),
                        "{method} {concrete} ({content_type}): {status}"
                    );
                    probes += 1;
                }
            }
        }
    }
    assert!(probes > 900, "only {probes} probes");
    // Still healthy afterwards.
    assert_eq!(app.get("/readyz").await.status(), 200);
}
