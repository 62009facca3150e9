//! The `gatehouse` binary: thin; everything lives in the library.

use clap::{Parser, Subcommand};
use gatehouse_api::{Application, Config, openapi, telemetry};
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
    /// Apply pending database migrations.
    Migrate,
    /// Print the OpenAPI document.
    Openapi,
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

async fn serve(config: Config) -> Result<(), String> {
    let bind = config.bind;
    let public_url = config.public_url.clone();
    let app = Application::build(config)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(%bind, docs = %format!("{}docs/", public_url), "gatehouse listening");
    app.run_until_stopped().await.map_err(|e| e.to_string())
}

async fn migrate(config: &Config) -> Result<(), String> {
    let applied = persistence::migrate::run_pending(config.database_url())
        .await
        .map_err(|e| e.to_string())?;
    if applied.is_empty() {
        println!("migrations: up to date");
    }
    for version in applied {
        println!("migrations: applied {version}");
    }
    Ok(())
}
