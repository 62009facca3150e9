//! The `gatehouse` binary: thin; everything lives in the library.

use clap::{Parser, Subcommand};
use gatehouse_api::{Application, Config, cli, openapi, telemetry};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "gatehouse",
    version,
    about = "Identity, tenancy and RBAC for multi-tenant SaaS"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API (migrations must have been applied: `gatehouse migrate`).
    Serve,
    /// Apply pending database migrations (as GATEHOUSE_MIGRATION_DATABASE_URL's owner role).
    Migrate,
    /// Print the OpenAPI document.
    Openapi,
    /// Create a platform operator (or promote an existing user).
    CreatePlatformAdmin {
        #[arg(long)]
        email: String,
        /// Read from the environment rather than the command line where you can.
        #[arg(long, env = "GATEHOUSE_ADMIN_PASSWORD", hide_env_values = true)]
        password: String,
        #[arg(long, default_value = "Platform admin")]
        display_name: String,
    },
    /// Seed the demo tenant `demo` with one user per built-in role, and register the
    /// `swagger` and `demo-spa` OAuth clients (idempotent).
    SeedDemo,
    /// Register an OAuth client (SPEC §11); a confidential client's secret is printed once.
    CreateClient {
        /// 3-64 of a-z, 0-9 and `-`.
        #[arg(long)]
        client_id: String,
        #[arg(long)]
        name: String,
        /// `public` (a browser or native app) or `confidential` (a server holding a secret).
        #[arg(long = "type", default_value = "public", value_parser = ["public", "confidential"])]
        client_type: String,
        /// Repeat for several: exact matches, https (http only to 127.0.0.1 or [::1]).
        #[arg(long = "redirect-uri", required = true)]
        redirect_uris: Vec<String>,
        /// Origins of the client's pages (CORS, the refresh cookie's check). Repeatable.
        #[arg(long = "origin")]
        allowed_origins: Vec<String>,
        /// `body`, or `cookie` (the refresh token in an HttpOnly cookie; needs --origin).
        #[arg(long, default_value = "body", value_parser = ["body", "cookie"])]
        refresh_delivery: String,
        /// Skip the consent step.
        #[arg(long)]
        first_party: bool,
        /// Where logout may return to. Repeatable.
        #[arg(long = "post-logout-redirect-uri")]
        post_logout_redirect_uris: Vec<String>,
    },
    /// Mail a password reset link to EMAIL if it has an active account (SPEC §12); the
    /// running servers' mail senders send it.
    ResetPassword {
        #[arg(long)]
        email: String,
    },
    /// Disable a user everywhere (revokes their sessions and tokens at once), or re-enable.
    DisableUser {
        #[arg(long)]
        email: String,
        /// Re-enable instead.
        #[arg(long)]
        enable: bool,
    },
    /// Measure what one argon2id hash costs with the configured parameters (calibration,
    /// and the login bar of scripts/bench).
    HashCost {
        #[arg(long, default_value_t = 20)]
        rounds: u32,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Openapi = cli.command {
        print!("{}", openapi::document_json());
        return ExitCode::SUCCESS;
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("gatehouse: {error}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(config.dev);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("gatehouse: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve => serve(config).await,
            Command::Migrate => migrate(&config).await,
            Command::Openapi => Ok(()),
            Command::CreatePlatformAdmin {
                email,
                password,
                display_name,
            } => {
                let message =
                    cli::create_platform_admin(&config, &email, &password, &display_name).await?;
                println!("{message}");
                Ok(())
            }
            Command::HashCost { rounds } => {
                let per_hash = cli::hash_cost(&config, rounds).await?;
                println!("{:.2}", per_hash.as_secs_f64() * 1000.0);
                Ok(())
            }
            Command::ResetPassword { email } => {
                cli::request_password_reset(&config, &email).await?;
                println!(
                    "a reset link is queued for {email} (sent only if it has an active account)"
                );
                Ok(())
            }
            Command::DisableUser { email, enable } => {
                println!(
                    "{}",
                    cli::set_user_disabled(&config, &email, !enable).await?
                );
                Ok(())
            }
            Command::CreateClient {
                client_id,
                name,
                client_type,
                redirect_uris,
                allowed_origins,
                refresh_delivery,
                first_party,
                post_logout_redirect_uris,
            } => {
                let spec = cli::ClientSpec {
                    client_type: domain::ClientType::parse(&client_type)
                        .ok_or("--type is public or confidential")?,
                    refresh_delivery: domain::RefreshDelivery::parse(&refresh_delivery)
                        .ok_or("--refresh-delivery is body or cookie")?,
                    client_id,
                    name,
                    redirect_uris,
                    allowed_origins,
                    first_party,
                    post_logout_redirect_uris,
                };
                match cli::create_client(&config, &spec).await? {
                    Some(secret) => println!(
                        "client `{}` registered; its secret (shown once): {secret}",
                        spec.client_id
                    ),
                    None => println!("client `{}` registered", spec.client_id),
                }
                Ok(())
            }
            Command::SeedDemo => {
                println!(
                    "Demo tenant `demo` — log in with POST /oauth/token or Swagger UI's Authorize:"
                );
                for (email, password, role) in cli::seed_demo(&config).await? {
                    println!("  {role:<7} {email:<32} {password}");
                }
                Ok(())
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            eprintln!("gatehouse: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    let bind = config.bind;
    let public_url = config.public_url.clone();
    gatehouse_api::startup::check_database_role(&config).await?;
    let app = Application::build(config).await?;
    tracing::info!(%bind, docs = %format!("{}docs/", public_url), "gatehouse listening");
    Ok(app.run_until_stopped().await?)
}

async fn migrate(config: &Config) -> Result<(), Box<dyn std::error::Error>> {
    // As the owner role: the application role may not create or alter tables.
    let applied = persistence::migrate::run_pending(config.migration_database_url()).await?;
    if applied.is_empty() {
        println!("migrations: up to date");
    }
    for version in applied {
        println!("migrations: applied {version}");
    }
    Ok(())
}
