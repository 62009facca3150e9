use api::Config;
use std::collections::HashMap;

fn parse(overrides: &[(&str, &str)]) -> Result<Config, api::config::ConfigError> {
    let mut env: HashMap<&str, &str> = HashMap::from([
        (
            "DATABASE_URL",
            "postgres://gatehouse:secret@127.0.0.1:5432/gatehouse",
        ),
        ("REDIS_URL", "redis://127.0.0.1:6379"),
        (
            "GATEHOUSE_JWT_SECRET",
            "Qm9vdHN0cmFwIHNlY3JldCBmb3IgdGVzdHM",
        ),
        ("GATEHOUSE_DATA_KEY", "dGVzdCBkYXRhIGtleSwgbmV2ZXIgcmV1c2Vk"),
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
    let error = refused(&[("GATEHOUSE_JWT_SECRET", "Qm9vdHN0cmFw")]);
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
    assert!(!printed.contains("Qm9vdHN0cmFw"));
    assert!(!printed.contains("dGVzdCBkYXRh"));
}

#[test]
fn durations_out_of_bounds_are_refused_naming_the_variable() {
    for (name, value) in [
        ("GATEHOUSE_ACCESS_TTL", "3601"),
        ("GATEHOUSE_ACCESS_TTL", "86400"),
        ("GATEHOUSE_ACCESS_TTL", "59"),
        ("GATEHOUSE_REFRESH_REUSE_GRACE", "61"),
        ("GATEHOUSE_REFRESH_TTL", "59"),
        ("GATEHOUSE_REFRESH_TTL", "7776001"),
        ("GATEHOUSE_SESSION_MAX_AGE", "31536001"),
        ("GATEHOUSE_LOCKOUT_BASE_SECS", "901"),
        ("GATEHOUSE_HSTS_SECS", "63072001"),
        ("GATEHOUSE_API_KEY_CACHE_SECS", "301"),
        ("GATEHOUSE_API_KEY_TOUCH_SECS", "3601"),
        ("GATEHOUSE_REVOCATION_MAX_LAG_MS", "60001"),
        ("GATEHOUSE_DEPENDENCY_TIMEOUT_MS", "60001"),
        ("GATEHOUSE_HASH_MAX_WAIT_MS", "60001"),
    ] {
        let error = refused(&[(name, value)]);
        assert_eq!(error.variable, name, "{name}={value}");
        assert!(
            error.message.contains("between"),
            "{name}={value}: {error} should state the bounds"
        );
    }
}

#[test]
fn durations_at_their_bounds_are_accepted() {
    let config = parse(&[
        ("GATEHOUSE_ACCESS_TTL", "3600"),
        ("GATEHOUSE_REFRESH_REUSE_GRACE", "60"),
        ("GATEHOUSE_REFRESH_TTL", "7776000"),
        ("GATEHOUSE_SESSION_MAX_AGE", "31536000"),
        ("GATEHOUSE_LOCKOUT_BASE_SECS", "900"),
        ("GATEHOUSE_HSTS_SECS", "63072000"),
    ])
    .unwrap();
    assert_eq!(config.access_ttl.as_secs(), 3600);
    assert_eq!(config.refresh_reuse_grace.as_secs(), 60);
    let config = parse(&[
        ("GATEHOUSE_ACCESS_TTL", "60"),
        ("GATEHOUSE_REFRESH_REUSE_GRACE", "0"),
    ])
    .unwrap();
    assert_eq!(config.access_ttl.as_secs(), 60);
    assert!(config.refresh_reuse_grace.is_zero());
}

const PLACEHOLDERS: [&str; 6] = [
    "change-me-change-me-change-me-change-me",
    "CHANGEME_please_0123456789_abcdefghijk",
    "changeme0123456789abcdefghijklmnopqrstuv",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    // 40 bytes of two symbols: 40 bits by the estimate.
    "abababababababababababababababababababab",
    // 32 bytes of 8 symbols: 96 bits.
    "0123456701234567012345670123456701234567".split_at(32).0,
];

#[test]
fn placeholder_secrets_are_refused_outside_dev_mode() {
    for variable in ["GATEHOUSE_JWT_SECRET", "GATEHOUSE_DATA_KEY"] {
        for placeholder in PLACEHOLDERS {
            let error = refused(&[(variable, placeholder)]);
            assert_eq!(error.variable, variable, "{variable}={placeholder}");
            assert!(
                !error.to_string().contains(placeholder),
                "the refusal must not echo the secret"
            );
            assert!(
                parse(&[(variable, placeholder), ("GATEHOUSE_DEV", "1")]).is_ok(),
                "{variable}={placeholder} is allowed in development mode"
            );
        }
    }
}

#[test]
fn random_secrets_pass_the_placeholder_check() {
    for _ in 0..50 {
        let jwt = auth::random::token(32);
        let data = auth::random::token(32);
        assert!(
            parse(&[
                ("GATEHOUSE_JWT_SECRET", jwt.as_str()),
                ("GATEHOUSE_DATA_KEY", data.as_str())
            ])
            .is_ok(),
            "{jwt} / {data}"
        );
    }
}

#[test]
fn data_key_is_required_outside_dev_mode_and_at_least_32_bytes() {
    use secrecy::ExposeSecret;
    let error = refused(&[("GATEHOUSE_DATA_KEY", "")]);
    assert_eq!(error.variable, "GATEHOUSE_DATA_KEY");
    let error = refused(&[("GATEHOUSE_DATA_KEY", "dGVzdCBkYXRhIGtleQ")]);
    assert_eq!(error.variable, "GATEHOUSE_DATA_KEY");
    assert!(error.to_string().contains("32 bytes"));

    let config = parse(&[]).unwrap();
    assert_eq!(
        config.data_key.expose_secret().as_slice(),
        b"dGVzdCBkYXRhIGtleSwgbmV2ZXIgcmV1c2Vk"
    );
    // Development mode without one: an ephemeral random key, different every start.
    let first = parse(&[("GATEHOUSE_DATA_KEY", ""), ("GATEHOUSE_DEV", "1")]).unwrap();
    let second = parse(&[("GATEHOUSE_DATA_KEY", ""), ("GATEHOUSE_DEV", "1")]).unwrap();
    assert!(first.data_key.expose_secret().len() >= 32);
    assert_ne!(
        first.data_key.expose_secret(),
        second.data_key.expose_secret()
    );
}

#[test]
fn migration_database_url_defaults_to_database_url() {
    use secrecy::ExposeSecret;
    let config = parse(&[]).unwrap();
    assert_eq!(
        config.migration_database_url.expose_secret(),
        config.database_url()
    );
    let config = parse(&[(
        "GATEHOUSE_MIGRATION_DATABASE_URL",
        "postgres://gatehouse_owner:pw@127.0.0.1:5432/gatehouse",
    )])
    .unwrap();
    assert!(
        config
            .migration_database_url
            .expose_secret()
            .starts_with("postgres://gatehouse_owner:")
    );
    let error = refused(&[("GATEHOUSE_MIGRATION_DATABASE_URL", "mysql://x@y/z")]);
    assert_eq!(error.variable, "GATEHOUSE_MIGRATION_DATABASE_URL");
}

#[test]
fn browser_sign_in_settings_are_checked() {
    use api::config::CookieSameSite;
    let config = parse(&[]).unwrap();
    assert!(config.password_grant, "on by default");
    assert_eq!(config.cookie_samesite, CookieSameSite::Strict);
    assert!(
        !parse(&[("GATEHOUSE_PASSWORD_GRANT", "off")])
            .unwrap()
            .password_grant
    );
    let error = refused(&[("GATEHOUSE_PASSWORD_GRANT", "no")]);
    assert_eq!(error.variable, "GATEHOUSE_PASSWORD_GRANT");
    let error = refused(&[("GATEHOUSE_COOKIE_SAMESITE", "sometimes")]);
    assert_eq!(error.variable, "GATEHOUSE_COOKIE_SAMESITE");
    // SameSite=None cookies must be Secure: only with an https public URL (SPEC §11).
    let error = refused(&[("GATEHOUSE_COOKIE_SAMESITE", "none")]);
    assert_eq!(error.variable, "GATEHOUSE_COOKIE_SAMESITE");
    let https = parse(&[
        ("GATEHOUSE_COOKIE_SAMESITE", "none"),
        ("GATEHOUSE_PUBLIC_URL", "https://id.example.com"),
    ])
    .unwrap();
    assert_eq!(https.cookie_samesite, CookieSameSite::None);
}

#[test]
fn mail_settings_are_checked() {
    let config = parse(&[]).unwrap();
    assert!(config.smtp_url.is_none());
    assert_eq!(config.product_name, "Gatehouse");
    assert_eq!(config.mail_from, "Gatehouse <no-reply@127.0.0.1>");
    for (variable, value) in [
        ("GATEHOUSE_SMTP_URL", "http://mail.example.com"),
        ("GATEHOUSE_MAIL_FROM", "not a mailbox"),
        ("GATEHOUSE_APP_URL", "ftp://app.example.com"),
    ] {
        assert_eq!(refused(&[(variable, value)]).variable, variable);
    }
    let config = parse(&[
        ("GATEHOUSE_SMTP_URL", "smtps://user:secret@mail.example.com"),
        ("GATEHOUSE_APP_URL", "https://app.example.com"),
    ])
    .unwrap();
    assert!(config.smtp_url.is_some());
    // The URL's password never reaches a Debug print.
    assert!(!format!("{config:?}").contains("secret"));
}
