//! A writer that scrubs registered secrets, line by line, before they reach its target.
//!
//! Text is held until a newline so that a secret split over two `write` calls is still
//! found. `flush` passes on complete lines only; the rest goes out when the writer is
//! dropped (or, for a line longer than 64 KiB, when it grows past that).
//!
//! With `tracing-subscriber`, a closure returning a writer is a `MakeWriter`:
//!
//! ```
//! # use aero_redact::{RedactionKey, SharedRedactor};
//! let redactor = SharedRedactor::with_key(RedactionKey::from_bytes([0; 32]));
//! let make_writer = move || redactor.writer(std::io::stderr());
//! // tracing_subscriber::fmt().with_writer(make_writer).init();
//! # drop(make_writer);
//! ```

use std::fmt;
use std::io::{self, Write};

use crate::shared::SharedRedactor;

/// Longest run held back waiting for a newline.
const MAX_PENDING: usize = 64 * 1024;

/// Scrubs every complete line written to it, then writes it to `inner`.
pub struct ScrubbingWriter<W: Write> {
    inner: W,
    redactor: SharedRedactor,
    pending: Vec<u8>,
}

impl<W: Write> ScrubbingWriter<W> {
    /// Wraps `inner`.
    pub fn new(inner: W, redactor: SharedRedactor) -> Self {
        Self {
            inner,
            redactor,
            pending: Vec::new(),
        }
    }

    /// Writes out complete lines (everything when `all`), scrubbed.
    fn emit(&mut self, all: bool) -> io::Result<()> {
        let end = if all || self.pending.len() > MAX_PENDING {
            self.pending.len()
        } else {
            match self.pending.iter().rposition(|&byte| byte == b'\n') {
                Some(index) => index + 1,
                None => return Ok(()),
            }
        };
        if end == 0 {
            return Ok(());
        }
        let chunk: Vec<u8> = self.pending.drain(..end).collect();
        let scrubbed = self.redactor.read().scrub_bytes(&chunk).into_owned();
        self.inner.write_all(&scrubbed)
    }
}

impl<W: Write> Write for ScrubbingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        self.emit(false)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.emit(false)?;
        self.inner.flush()
    }
}

impl<W: Write> Drop for ScrubbingWriter<W> {
    fn drop(&mut self) {
        let _ = self.emit(true);
        let _ = self.inner.flush();
    }
}

impl<W: Write> fmt::Debug for ScrubbingWriter<W> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("ScrubbingWriter")
            .field("pending_bytes", &self.pending.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::RedactionKey;
    use std::sync::{Arc, Mutex};

    /// A `Write` target whose contents the test can read after the writer is gone.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    fn shared() -> SharedRedactor {
        let shared = SharedRedactor::with_key(RedactionKey::from_bytes([5; 32]));
        shared.add_secret("splitsecret99");
        shared
    }

    #[test]
    fn secret_split_across_writes_is_scrubbed() {
        let shared = shared();
        let target = Captured::default();
        let mut writer = shared.writer(target.clone());
        writer.write_all(b"first line splitse").unwrap();
        writer.flush().unwrap();
        assert_eq!(target.text(), "", "a partial line is held back");
        writer.write_all(b"cret99 end\nsecond ").unwrap();
        assert_eq!(
            target.text(),
            format!("first line {} end\n", shared.token("splitsecret99"))
        );
        writer.write_all(b"splitsecret99").unwrap();
        drop(writer);
        assert!(
            target
                .text()
                .ends_with(&format!("second {}", shared.token("splitsecret99")))
        );
    }

    #[test]
    fn tracing_events_are_scrubbed() {
        let shared = shared();
        let target = Captured::default();
        let make_redactor = shared.clone();
        let make_target = target.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || make_redactor.writer(make_target.clone()))
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(password = "splitsecret99", "connecting");
            tracing::debug!(value = ?"splitsecret99", "debug-formatted");
            shared.add_secret("registered-after-start");
            tracing::trace!("late {}", "registered-after-start");
        });
        let logs = target.text();
        assert!(logs.contains("connecting"), "{logs}");
        assert!(!logs.contains("splitsecret99"), "{logs}");
        assert!(!logs.contains("registered-after-start"), "{logs}");
        assert_eq!(
            logs.matches(&shared.token("splitsecret99")).count(),
            2,
            "{logs}"
        );
    }
}
