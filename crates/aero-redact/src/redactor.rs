//! The redactor: registered secrets, keyed tokens and scrubbing of free text.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, MatchKind};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::encodings;
use crate::key::{RedactionKey, hex};

/// Secrets shorter than this many characters are not scrubbed from free text.
///
/// They are still registered, and structured outputs still show them as tokens.
pub const MIN_SCRUB_LEN: usize = 6;

/// How many times scrubbing re-scans its own output (only needed when a secret overlaps
/// the text of a token that replaced another one).
const MAX_SCRUB_PASSES: usize = 4;

/// Holds the redaction key and the secret values known to this run.
pub struct Redactor {
    key: RedactionKey,
    secrets: BTreeSet<String>,
    matcher: OnceLock<Option<Matcher>>,
}

/// The automaton over every spelling of every scrubbable secret.
struct Matcher {
    automaton: AhoCorasick,
    /// Replacement for each pattern, by pattern index.
    tokens: Vec<String>,
}

impl Redactor {
    /// A redactor with no secret registered yet.
    pub fn new(key: RedactionKey) -> Self {
        Self {
            key,
            secrets: BTreeSet::new(),
            matcher: OnceLock::new(),
        }
    }

    /// Registers a secret value (a whole secret, a value derived from one, or a fragment
    /// extracted by a regex match group). Empty strings are ignored.
    pub fn add_secret(&mut self, value: &str) {
        if value.is_empty() || self.secrets.contains(value) {
            return;
        }
        self.secrets.insert(value.to_string());
        self.matcher = OnceLock::new();
    }

    /// Whether `value` is a registered secret.
    pub fn is_secret(&self, value: &str) -> bool {
        self.secrets.contains(value)
    }

    /// Number of registered secrets.
    pub fn secret_count(&self) -> usize {
        self.secrets.len()
    }

    /// The keyed hash shown instead of `value`: `<redacted:` + 8 hex digits + `>`.
    ///
    /// Stable for one key, different under another key; works for any value, registered
    /// or not, whatever its length.
    pub fn token(&self, value: &str) -> String {
        format!("<redacted:{}>", self.token_digits(value))
    }

    fn token_digits(&self, value: &str) -> String {
        // HMAC accepts keys of any length, so building it cannot fail.
        let mut mac = match Hmac::<Sha256>::new_from_slice(self.key.as_bytes()) {
            Ok(mac) => mac,
            Err(_) => return "00000000".to_string(),
        };
        mac.update(value.as_bytes());
        let digest = mac.finalize().into_bytes();
        hex(&digest[..4])
    }

    /// `text` with every registered secret of at least [`MIN_SCRUB_LEN`] characters, in any
    /// spelling listed by [`encodings::variants`], replaced by its token.
    ///
    /// Where spellings overlap, the longest match starting first wins.
    pub fn scrub<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let Some(matcher) = self.matcher() else {
            return Cow::Borrowed(text);
        };
        if !matcher.automaton.is_match(text) {
            return Cow::Borrowed(text);
        }
        let mut current = matcher.automaton.replace_all(text, &matcher.tokens);
        for _ in 1..MAX_SCRUB_PASSES {
            if !matcher.automaton.is_match(&current) {
                break;
            }
            current = matcher.automaton.replace_all(&current, &matcher.tokens);
        }
        Cow::Owned(current)
    }

    /// [`Redactor::scrub`] on bytes that may not be UTF-8 (log output).
    pub fn scrub_bytes<'a>(&self, bytes: &'a [u8]) -> Cow<'a, [u8]> {
        let Some(matcher) = self.matcher() else {
            return Cow::Borrowed(bytes);
        };
        if !matcher.automaton.is_match(bytes) {
            return Cow::Borrowed(bytes);
        }
        let tokens: Vec<&[u8]> = matcher
            .tokens
            .iter()
            .map(|token| token.as_bytes())
            .collect();
        let mut current = matcher.automaton.replace_all_bytes(bytes, &tokens);
        for _ in 1..MAX_SCRUB_PASSES {
            if !matcher.automaton.is_match(&current[..]) {
                break;
            }
            current = matcher.automaton.replace_all_bytes(&current, &tokens);
        }
        Cow::Owned(current)
    }

    /// Whether `text` holds a registered secret that [`Redactor::scrub`] would replace.
    pub fn contains_secret(&self, text: &str) -> bool {
        self.matcher()
            .is_some_and(|matcher| matcher.automaton.is_match(text))
    }

    fn matcher(&self) -> Option<&Matcher> {
        self.matcher.get_or_init(|| build_matcher(self)).as_ref()
    }
}

fn build_matcher(redactor: &Redactor) -> Option<Matcher> {
    let mut patterns: Vec<String> = Vec::new();
    let mut tokens: Vec<String> = Vec::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for secret in &redactor.secrets {
        if secret.chars().count() < MIN_SCRUB_LEN {
            continue;
        }
        let token = redactor.token(secret);
        for variant in encodings::variants(secret) {
            if seen.insert(variant.clone()) {
                patterns.push(variant);
                tokens.push(token.clone());
            }
        }
    }
    if patterns.is_empty() {
        return None;
    }
    let automaton = AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .build(&patterns)
        .ok()?;
    Some(Matcher { automaton, tokens })
}

impl fmt::Debug for Redactor {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Redactor")
            .field("secrets", &self.secrets.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE};
    use proptest::prelude::*;

    fn redactor(secrets: &[&str]) -> Redactor {
        let mut redactor = Redactor::new(RedactionKey::from_bytes([1; 32]));
        for secret in secrets {
            redactor.add_secret(secret);
        }
        redactor
    }

    #[test]
    fn tokens_are_stable_per_key_and_differ_across_keys() {
        let first = Redactor::new(RedactionKey::from_bytes([1; 32]));
        let again = Redactor::new(RedactionKey::from_bytes([1; 32]));
        let other = Redactor::new(RedactionKey::from_bytes([2; 32]));
        let token = first.token("s3cret-value");
        assert_eq!(token, again.token("s3cret-value"));
        assert_ne!(token, other.token("s3cret-value"));
        assert_ne!(token, first.token("s3cret-valuf"));
        assert!(token.starts_with("<redacted:") && token.ends_with('>'));
        assert_eq!(token.len(), "<redacted:>".len() + 8);
    }

    #[test]
    fn token_is_the_keyed_hmac() {
        // HMAC-SHA256(key = 32 x 0x01, "abc") computed independently with Python's hmac module.
        let redactor = redactor(&[]);
        assert_eq!(redactor.token("abc"), "<redacted:73860612>");
    }

    #[test]
    fn scrub_replaces_every_encoding() {
        let secret = "Tr0ub4dor&3 x/y\"z";
        let redactor = redactor(&[secret]);
        let token = redactor.token(secret);
        let encodings = [
            secret.to_string(),
            "Tr0ub4dor%263%20x%2Fy%22z".to_string(),
            "Tr0ub4dor%263+x%2Fy%22z".to_string(),
            "Tr0ub4dor&3 x/y\\\"z".to_string(),
            STANDARD.encode(secret),
            URL_SAFE.encode(secret),
        ];
        for encoded in encodings {
            let text = format!("before {encoded} after");
            let scrubbed = redactor.scrub(&text);
            assert_eq!(scrubbed, format!("before {token} after"), "{encoded}");
        }
        let blob = STANDARD.encode(format!("user:{secret}\n"));
        let scrubbed = redactor.scrub(&blob);
        assert!(scrubbed.contains(&token), "{blob} -> {scrubbed}");
    }

    #[test]
    fn longest_secret_wins() {
        let redactor = redactor(&["abcdef", "abcdefghij"]);
        let scrubbed = redactor.scrub("x abcdefghij y abcdef z");
        assert_eq!(
            scrubbed,
            format!(
                "x {} y {} z",
                redactor.token("abcdefghij"),
                redactor.token("abcdef")
            )
        );
    }

    #[test]
    fn short_secrets_are_not_scrubbed_but_still_tokenised() {
        let redactor = redactor(&["admin"]);
        assert!(redactor.is_secret("admin"));
        assert_eq!(
            redactor.scrub("user admin logged in"),
            "user admin logged in"
        );
        assert!(matches!(redactor.scrub("nothing here"), Cow::Borrowed(_)));
        assert_ne!(redactor.token("admin"), "admin");
    }

    #[test]
    fn scrub_bytes_handles_invalid_utf8() {
        let redactor = redactor(&["secretvalue"]);
        let mut bytes = b"\xff\xfe secretvalue \xff".to_vec();
        bytes = redactor.scrub_bytes(&bytes).into_owned();
        let expected = [
            b"\xff\xfe ".as_slice(),
            redactor.token("secretvalue").as_bytes(),
            b" \xff",
        ]
        .concat();
        assert_eq!(bytes, expected);
    }

    #[test]
    fn debug_hides_secrets() {
        let redactor = redactor(&["topsecretvalue"]);
        let shown = format!("{redactor:?}");
        assert!(!shown.contains("topsecret"), "{shown}");
    }

    fn all_spellings(secret: &str) -> Vec<String> {
        let mut spellings = encodings::variants(secret);
        // What an independent encoder would produce for the whole value.
        spellings.push(STANDARD.encode(secret));
        spellings.push(URL_SAFE.encode(secret));
        spellings
    }

    proptest! {
        #[test]
        fn scrubbed_text_never_holds_a_secret(
            secrets in proptest::collection::vec("[a-zA-Z0-9 /+=%&\"'<>\\\\é-]{6,16}", 1..4),
            filler in proptest::collection::vec("[a-zA-Z0-9 /+=%&\"'\\\\é-]{0,12}", 1..6),
            prefix in 0usize..3,
        ) {
            let mut redactor = Redactor::new(RedactionKey::from_bytes([9; 32]));
            for secret in &secrets {
                redactor.add_secret(secret);
            }
            // Build text that mixes filler with every spelling of every secret.
            let mut text = String::new();
            for (index, secret) in secrets.iter().enumerate() {
                for spelling in all_spellings(secret) {
                    text.push_str(&filler[index % filler.len()]);
                    text.push_str(&spelling);
                }
                let blob_input = format!("{}{}{}", "x".repeat(prefix), secret, filler[0]);
                text.push(' ');
                text.push_str(&STANDARD.encode(&blob_input));
                text.push(' ');
                text.push_str(&URL_SAFE.encode(&blob_input));
            }
            let scrubbed = redactor.scrub(&text);
            for secret in &secrets {
                prop_assert!(!scrubbed.contains(secret.as_str()), "clear {secret:?} in {scrubbed:?}");
                for spelling in all_spellings(secret) {
                    prop_assert!(
                        !scrubbed.contains(spelling.as_str()),
                        "{spelling:?} of {secret:?} in {scrubbed:?}"
                    );
                }
            }
        }
    }
}
