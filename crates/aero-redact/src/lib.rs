//! One redaction mechanism for secret values: keyed hashes and scrubbing of text.
