//! A redactor shared between the command, its log writer and its error printer.

use std::io::Write;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard};

use crate::key::RedactionKey;
use crate::redactor::Redactor;
use crate::writer::ScrubbingWriter;

/// A [`Redactor`] behind `Arc<RwLock<..>>`: clones share the same set of secrets, so a
/// secret registered while documents load is scrubbed from every writer made earlier.
#[derive(Clone, Debug)]
pub struct SharedRedactor {
    inner: Arc<RwLock<Redactor>>,
}

impl SharedRedactor {
    /// Shares `redactor`.
    pub fn new(redactor: Redactor) -> Self {
        Self {
            inner: Arc::new(RwLock::new(redactor)),
        }
    }

    /// A shared redactor with no secret yet, under `key`.
    pub fn with_key(key: RedactionKey) -> Self {
        Self::new(Redactor::new(key))
    }

    /// Registers a secret value (see [`Redactor::add_secret`]).
    pub fn add_secret(&self, value: &str) {
        self.inner
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .add_secret(value);
    }

    /// The token of `value` (see [`Redactor::token`]).
    pub fn token(&self, value: &str) -> String {
        self.read().token(value)
    }

    /// `text` with registered secrets replaced (see [`Redactor::scrub`]).
    pub fn scrub(&self, text: &str) -> String {
        self.read().scrub(text).into_owned()
    }

    /// Read access to the redactor, for several calls under one lock.
    ///
    /// A lock poisoned by a panic elsewhere is still usable: the set of secrets is only
    /// ever grown, never left half-updated.
    pub fn read(&self) -> RwLockReadGuard<'_, Redactor> {
        self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// A writer that scrubs what goes through it into `inner`.
    pub fn writer<W: Write>(&self, inner: W) -> ScrubbingWriter<W> {
        ScrubbingWriter::new(inner, self.clone())
    }

    /// A scrubbing writer to the process's standard error.
    pub fn stderr(&self) -> ScrubbingWriter<std::io::Stderr> {
        self.writer(std::io::stderr())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_secrets() {
        let shared = SharedRedactor::with_key(RedactionKey::from_bytes([3; 32]));
        let clone = shared.clone();
        clone.add_secret("registered-later");
        assert_eq!(
            shared.scrub("x registered-later y"),
            format!("x {} y", shared.token("registered-later"))
        );
        assert_eq!(shared.read().secret_count(), 1);
    }
}
