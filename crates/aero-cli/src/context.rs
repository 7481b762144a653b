//! What every command of one run shares: the state directory, the redactor, the keys
//! policy's one warning, and where the manifests repositories are.

use std::cell::Cell;
use std::path::{Path, PathBuf};

use aero_docs::collect::RepoSpec;
use aero_redact::{RedactionKey, SharedRedactor};
use aero_site::{KeyPolicy, Keys};

use crate::exit::{Failure, OrFail};

/// Shared by every command of one run.
pub struct Context {
    /// The redactor every output but `render` goes through; secrets found while
    /// rendering are registered in it.
    pub redactor: SharedRedactor,
    /// Where Aerostat keeps its state (redaction key, store, lab).
    pub state_dir: PathBuf,
    /// `--store`, if given.
    store: Option<String>,
    demo_warned: Cell<bool>,
}

impl Context {
    /// Loads (or creates) the redaction key and starts logging.
    pub fn new(
        state_dir: Option<PathBuf>,
        store: Option<String>,
        verbose: u8,
    ) -> Result<Self, Failure> {
        let state_dir = state_dir.unwrap_or_else(default_state_dir);
        let key = RedactionKey::load_or_create(&state_dir).map_err(|error| {
            Failure::operational(anyhow::Error::new(error).context(format!(
                "cannot prepare the state directory {} (set --state-dir or AERO_STATE_DIR)",
                state_dir.display()
            )))
        })?;
        let redactor = SharedRedactor::with_key(key);
        crate::logging::init(verbose, redactor.clone());
        Ok(Self {
            redactor,
            state_dir,
            store,
            demo_warned: Cell::new(false),
        })
    }

    /// Where the workflow store is: `--store`, else `$AERO_STORE`, else `aerostat.db`
    /// in the state directory.
    pub fn store_location(&self) -> String {
        self.store
            .clone()
            .or_else(|| {
                std::env::var("AERO_STORE")
                    .ok()
                    .filter(|value| !value.is_empty())
            })
            .unwrap_or_else(|| self.state_dir.join("aerostat.db").display().to_string())
    }

    /// Opens the workflow store; everything written to it passes through the redactor.
    pub async fn open_store(&self) -> Result<aero_workflow::Store, Failure> {
        let location = self.store_location();
        aero_workflow::Store::open(
            &location,
            aero_workflow::StoreOptions::new(self.redactor.clone()),
        )
        .await
        .or_fail()
    }

    /// The manifests repositories: `--repo` specs, else the one found by walking up from
    /// the working folder.
    pub fn repos(&self, specs: &[String]) -> Result<Vec<RepoSpec>, Failure> {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        aero_site::repos::resolve_repos(specs, &cwd).or_fail()
    }

    /// The keys for these repositories under the one identity policy; the demo-key
    /// warning is printed once per run, whichever verb asks.
    pub fn keys(
        &self,
        identity_files: &[PathBuf],
        repo_roots: &[PathBuf],
    ) -> Result<Keys, Failure> {
        let keys = KeyPolicy {
            identity_files: identity_files.to_vec(),
        }
        .resolve(repo_roots)
        .or_fail()?;
        if let Some(warning) = keys.demo_warning()
            && !self.demo_warned.replace(true)
        {
            eprintln!("aero: warning: {warning}");
        }
        Ok(keys)
    }
}

fn default_state_dir() -> PathBuf {
    if let Some(state) = std::env::var_os("AERO_STATE_DIR").filter(|value| !value.is_empty()) {
        return PathBuf::from(state);
    }
    if let Some(state) = std::env::var_os("XDG_STATE_HOME").filter(|value| !value.is_empty()) {
        return PathBuf::from(state).join("aerostat");
    }
    match std::env::var_os("HOME").filter(|value| !value.is_empty()) {
        Some(home) => Path::new(&home).join(".local/state/aerostat"),
        None => PathBuf::from(".aero-state"),
    }
}
