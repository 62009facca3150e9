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
    /// Seed the demo tenant `demo` with one user per built-in role (idempotent).
    SeedDemo,
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
            Command::DisableUser { email, enable } => {
                println!(
                    "{}",
                    cli::set_user_disabled(&config, &email, !enable).await?
                );
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
