use gatehouse_tests::{TestApp, claims_of, header_of};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, decode};
use serde_json::Value;

fn key_dir(name: &str) -> String {
    format!("{}/fixtures/keys/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[tokio::test]
async fn hs256_publishes_no_keys_and_rfc_8414_metadata() {
    let app = TestApp::spawn().await;
    let jwks: Value = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(jwks, serde_json::json!({"keys": []}));
    let metadata: Value = app
        .get("/.well-known/oauth-authorization-server")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(metadata["issuer"], "http://127.0.0.1:8080");
    assert_eq!(
        metadata["token_endpoint"],
        "http://127.0.0.1:8080/oauth/token"
    );
    assert_eq!(
        metadata["grant_types_supported"],
        serde_json::json!(["authorization_code", "refresh_token", "password"])
    );
    assert_eq!(
        metadata["authorization_endpoint"],
        "http://127.0.0.1:8080/oauth/authorize"
    );
    assert_eq!(
        metadata["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(
        metadata["authorization_response_iss_parameter_supported"],
        true
    );
    // No key to sign ID tokens here: the catalog's 14 permissions, no OIDC scopes.
    assert!(metadata["scopes_supported"].as_array().unwrap().len() == 14);
    assert!(metadata.get("userinfo_endpoint").is_none());
}

async fn verify_with_jwks_only(alg: &str, dir: &str) {
    let app = TestApp::builder()
        .env("GATEHOUSE_JWT_ALG", alg)
        .env("GATEHOUSE_JWT_KEY_DIR", &key_dir(dir))
        .spawn()
        .await;
    let ada = app.sign_up("ada@example.com", "acme").await;
    let tokens = app.login(&ada, &[]).await;
    assert_eq!(
        app.get_with("/api/v1/me", &tokens.access).await.status(),
        200
    );

    // Another service: nothing but the JWKS document and the metadata.
    let jwks: JwkSet = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    let raw: Value = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    for key in raw["keys"].as_array().unwrap() {
        assert_eq!(key["use"], "sig");
        assert_eq!(key["alg"], alg);
        assert!(key.get("d").is_none(), "a private part was published");
    }
    let header = header_of(&tokens.access);
    assert_eq!(header["alg"], alg);
    let jwk = jwks
        .find(header["kid"].as_str().unwrap())
        .expect("the signing kid is published");
    let key = DecodingKey::from_jwk(jwk).unwrap();
    let validation = auth::token::strict_validation(
        jwk.common.key_algorithm.map(|_| header_alg(alg)).unwrap(),
        "http://127.0.0.1:8080",
        "gatehouse",
    );
    let verified = decode::<Value>(&tokens.access, &key, &validation).unwrap();
    assert_eq!(verified.claims, claims_of(&tokens.access));
}

fn header_alg(alg: &str) -> jsonwebtoken::Algorithm {
    match alg {
        "EdDSA" => jsonwebtoken::Algorithm::EdDSA,
        _ => jsonwebtoken::Algorithm::RS256,
    }
}

#[tokio::test]
async fn an_eddsa_token_is_verified_with_only_the_jwks() {
    verify_with_jwks_only("EdDSA", "eddsa").await;
}

#[tokio::test]
async fn an_rs256_token_is_verified_with_only_the_jwks() {
    verify_with_jwks_only("RS256", "rs256").await;
}

#[tokio::test]
async fn the_newest_key_signs_and_every_key_is_published() {
    let app = TestApp::builder()
        .env("GATEHOUSE_JWT_ALG", "EdDSA")
        .env("GATEHOUSE_JWT_KEY_DIR", &key_dir("eddsa"))
        .spawn()
        .await;
    let jwks: Value = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids, ["2026-a", "2026-b"]);
    let ada = app.sign_up("ada@example.com", "acme").await;
    let tokens = app.login(&ada, &[]).await;
    assert_eq!(header_of(&tokens.access)["kid"], "2026-b");
}
