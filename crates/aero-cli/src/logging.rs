//! Logging with `tracing`, written to stderr through the redactor so that no log line
//! can carry a registered secret.

use aero_redact::SharedRedactor;
use tracing_subscriber::EnvFilter;

/// Starts the global subscriber: RUST_LOG if set, else a level from `-v`.
pub fn init(verbose: u8, redactor: SharedRedactor) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(move || redactor.stderr())
        .try_init();
}
