//! What every command shares: the state directory, the redactor and logging.

use std::path::PathBuf;

use aero_redact::{RedactionKey, SharedRedactor};

use crate::exit::Failure;

/// Shared by every command of one run.
pub struct Context {
    /// The redactor every output but `render` goes through; secrets found while
    /// rendering are registered in it.
    pub redactor: SharedRedactor,
}

impl Context {
    /// Loads (or creates) the redaction key and starts logging.
    pub fn new(state_dir: Option<PathBuf>, verbose: u8) -> Result<Self, Failure> {
        let state_dir = state_dir.unwrap_or_else(default_state_dir);
        let key = RedactionKey::load_or_create(&state_dir).map_err(|error| {
            Failure::operational(anyhow::Error::new(error).context(format!(
                "cannot prepare the state directory {} (set --state-dir or AERO_STATE_DIR)",
                state_dir.display()
            )))
        })?;
        let redactor = SharedRedactor::with_key(key);
        crate::logging::init(verbose, redactor.clone());
        Ok(Self { redactor })
    }

    /// Registers every secret string of a render so no later output shows it.
    pub fn register_secrets<'a>(&self, secrets: impl IntoIterator<Item = &'a String>) {
        for secret in secrets {
            self.redactor.add_secret(secret);
        }
    }
}

fn default_state_dir() -> PathBuf {
    if let Some(state) = std::env::var_os("XDG_STATE_HOME").filter(|value| !value.is_empty()) {
        return PathBuf::from(state).join("aerostat");
    }
    match std::env::var_os("HOME").filter(|value| !value.is_empty()) {
        Some(home) => PathBuf::from(home).join(".local/state/aerostat"),
        None => PathBuf::from(".aero-state"),
    }
}
