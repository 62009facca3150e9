//! Logging: JSON lines in production, readable lines with `GATEHOUSE_DEV=1`. `RUST_LOG`
//! overrides the default level.

use tracing_subscriber::EnvFilter;

pub fn init(dev: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if dev {
        builder.try_init()
    } else {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init()
    };
}
