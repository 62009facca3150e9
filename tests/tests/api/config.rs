use api::Config;
use std::collections::HashMap;

fn parse(overrides: &[(&str, &str)]) -> Result<Config, api::config::ConfigError> {
    let mut env: HashMap<&str, &str> = HashMap::from([
        (
            "DATABASE_URL",
            "postgres://gatehouse:secret@127.0.0.1:5432/gatehouse",
        ),
        ("REDIS_URL", "redis://127.0.0.1:6379"),
        ("GATEHOUSE_JWT_SECRET", "0123456789abcdef0123456789abcdef"),
    ]);
    env.extend(overrides.iter().copied());
    Config::from_lookup(|name| env.get(name).map(|v| v.to_string()))
}

fn refused(overrides: &[(&str, &str)]) -> api::config::ConfigError {
    match parse(overrides) {
        Ok(_) => panic!("{overrides:?} was accepted"),
        Err(error) => error,
    }
}

#[test]
fn defaults_follow_the_spec() {
    let config = parse(&[]).unwrap();
    assert_eq!(config.bind.to_string(), "127.0.0.1:8080");
    assert_eq!(config.issuer(), "http://127.0.0.1:8080");
    assert_eq!(config.audience, "gatehouse");
    assert_eq!(config.access_ttl.as_secs(), 900);
    assert_eq!(config.refresh_ttl.as_secs(), 1_209_600);
    assert_eq!(config.session_max_age.as_secs(), 2_592_000);
    assert_eq!(config.refresh_reuse_grace.as_secs(), 2);
    assert_eq!(
        (
            config.argon2.memory_kib,
            config.argon2.iterations,
            config.argon2.parallelism
        ),
        (19_456, 2, 1)
    );
    assert_eq!(config.hash_queue, 64);
    assert_eq!(config.hash_max_wait.as_millis(), 1_000);
    assert_eq!(config.revocation_max_lag.as_millis(), 1_000);
    assert_eq!(config.login_rate, 20);
    assert_eq!(
        (config.lockout_threshold, config.lockout_base.as_secs()),
        (5, 30)
    );
    assert_eq!(config.redis_prefix, "gh:");
    assert_eq!(config.hsts_secs, 0);
}

#[test]
fn short_jwt_secret_is_refused_naming_the_variable() {
    let error = refused(&[("GATEHOUSE_JWT_SECRET", "0123456789")]);
    assert_eq!(error.variable, "GATEHOUSE_JWT_SECRET");
    assert!(error.to_string().contains("32 bytes"));
}

#[test]
fn missing_jwt_secret_is_refused_outside_dev_mode() {
    let error = refused(&[("GATEHOUSE_JWT_SECRET", "")]);
    assert_eq!(error.variable, "GATEHOUSE_JWT_SECRET");
    assert!(parse(&[("GATEHOUSE_JWT_SECRET", ""), ("GATEHOUSE_DEV", "1")]).is_ok());
}

#[test]
fn malformed_database_url_is_refused_without_echoing_it() {
    let error = refused(&[("DATABASE_URL", "not a url with hunter2")]);
    assert_eq!(error.variable, "DATABASE_URL");
    assert!(!error.to_string().contains("hunter2"));
    assert_eq!(
        refused(&[("DATABASE_URL", "mysql://x@y/z")]).variable,
        "DATABASE_URL"
    );
    assert_eq!(refused(&[("DATABASE_URL", "")]).variable, "DATABASE_URL");
}

#[test]
fn wildcard_cors_origin_is_refused() {
    assert_eq!(
        refused(&[("GATEHOUSE_CORS_ORIGINS", "https://app.example.com,*")]).variable,
        "GATEHOUSE_CORS_ORIGINS"
    );
    assert_eq!(
        refused(&[("GATEHOUSE_CORS_ORIGINS", "https://app.example.com/path")]).variable,
        "GATEHOUSE_CORS_ORIGINS"
    );
    let config = parse(&[(
        "GATEHOUSE_CORS_ORIGINS",
        "https://app.example.com, http://localhost:3000",
    )])
    .unwrap();
    assert_eq!(
        config.cors_origins,
        ["https://app.example.com", "http://localhost:3000"]
    );
}

#[test]
fn other_bad_values_name_their_variable() {
    for (name, value) in [
        ("GATEHOUSE_BIND", "localhost"),
        ("GATEHOUSE_PUBLIC_URL", "ftp://x"),
        ("GATEHOUSE_JWT_ALG", "HS512"),
        ("GATEHOUSE_ACCESS_TTL", "0"),
        ("GATEHOUSE_ACCESS_TTL", "ten"),
        ("GATEHOUSE_TRUSTED_PROXIES", "10.0.0.0/33"),
        ("GATEHOUSE_SIGNUP", "maybe"),
        ("GATEHOUSE_HASH_MAX_WAIT_MS", "0"),
        ("GATEHOUSE_REVOCATION_MAX_LAG_MS", "-1"),
        ("REDIS_URL", "http://127.0.0.1"),
    ] {
        assert_eq!(refused(&[(name, value)]).variable, name, "{name}={value}");
    }
    assert_eq!(
        refused(&[("GATEHOUSE_JWT_ALG", "EdDSA")]).variable,
        "GATEHOUSE_JWT_KEY_DIR"
    );
}

#[test]
fn debug_output_hides_secrets() {
    let config = parse(&[]).unwrap();
    let printed = format!("{config:?}");
    assert!(!printed.contains("secret@"));
    assert!(!printed.contains("0123456789abcdef"));
}
