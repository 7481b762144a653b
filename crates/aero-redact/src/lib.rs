//! One redaction mechanism for secret values: keyed hashes and scrubbing of text.
//!
//! Every output of Aerostat except `render` (without `--redact`) goes through this crate:
//!
//! - [`RedactionKey`] is 32 random bytes kept in `<state_dir>/redaction.key` (mode 0600).
//! - [`Redactor`] holds the key and the secret values registered while a command runs
//!   ([`Redactor::add_secret`]). [`Redactor::token`] turns a value into a short keyed hash,
//!   `<redacted:5f2a9c1e>` (HMAC-SHA256 under the key, first 4 bytes in hex), so two outputs
//!   can show that a secret did or did not change, while nobody without the key can confirm a
//!   guess by hashing it. [`Redactor::scrub`] replaces every registered secret found in free
//!   text (log lines, error messages, diffs) by its token: in clear and in the encodings a
//!   leak is usually seen in (URL-encoded, base64 at every alignment, JSON-, Rust- and
//!   YAML-escaped; see [`encodings`]).
//! - [`SharedRedactor`] shares one redactor between the command and its log writer, and
//!   [`ScrubbingWriter`] scrubs whatever is written through it, line by line.
//!
//! # Short secrets
//!
//! Values shorter than [`MIN_SCRUB_LEN`] characters are registered but **not** scrubbed from
//! free text: replacing every `admin` or `true` in a log would destroy it and tell the
//! reader which words are secrets. Structured outputs (explain, diff) know which fields are
//! secret and must call [`Redactor::token`] for them whatever their length.
//!
//! # Example
//!
//! ```
//! use aero_redact::{RedactionKey, Redactor};
//!
//! let mut redactor = Redactor::new(RedactionKey::from_bytes([7; 32]));
//! redactor.add_secret("hunter2-correct-horse");
//! let line = "connecting with password=hunter2-correct-horse";
//! let scrubbed = redactor.scrub(line);
//! assert!(!scrubbed.contains("hunter2"));
//! assert!(scrubbed.contains(&redactor.token("hunter2-correct-horse")));
//! ```

pub mod encodings;
mod key;
mod redactor;
mod shared;
mod writer;

pub use key::{KeyError, RedactionKey};
pub use redactor::{MIN_SCRUB_LEN, Redactor};
pub use shared::SharedRedactor;
pub use writer::ScrubbingWriter;
