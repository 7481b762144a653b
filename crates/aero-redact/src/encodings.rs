//! The spellings a secret can take in text, so that scrubbing finds it in every one.
//!
//! [`variants`] lists, for one secret:
//! - the clear value;
//! - URL (percent) encodings: every byte but RFC 3986 unreserved characters encoded, in
//!   upper- and lower-case hex; the same keeping `/` (Python's `quote`); form encoding
//!   (space as `+`); and `encodeURIComponent` (keeping `!'()*`);
//! - escaped forms: JSON (minimal, ASCII-only `\uXXXX`, with `\/`, HTML-safe `\u003c`),
//!   Rust `Debug`, YAML single-quoted (`''`);
//! - base64, standard and URL-safe: the whole value with and without padding, and, for each
//!   of the three byte alignments the value can have inside a longer base64 blob, the run of
//!   characters that depends on the value alone.
//!
//! Variants equal to another are listed once.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};

/// Every spelling of `secret` that scrubbing replaces, the clear value first, no duplicates.
pub fn variants(secret: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |candidate: String| {
        if !candidate.is_empty() && !out.contains(&candidate) {
            out.push(candidate);
        }
    };
    push(secret.to_string());
    for candidate in url_variants(secret) {
        push(candidate);
    }
    for candidate in escaped_variants(secret) {
        push(candidate);
    }
    for candidate in base64_variants(secret.as_bytes()) {
        push(candidate);
    }
    out
}

/// Percent-encodings of `secret`.
pub fn url_variants(secret: &str) -> Vec<String> {
    let unreserved = |byte: u8| byte.is_ascii_alphanumeric() || b"-._~".contains(&byte);
    vec![
        percent_encode(secret, unreserved, true, false),
        percent_encode(secret, unreserved, false, false),
        percent_encode(secret, |byte| unreserved(byte) || byte == b'/', true, false),
        percent_encode(secret, unreserved, true, true),
        percent_encode(
            secret,
            |byte| unreserved(byte) || b"!'()*".contains(&byte),
            true,
            false,
        ),
    ]
}

fn percent_encode(
    secret: &str,
    keep: impl Fn(u8) -> bool,
    upper: bool,
    space_as_plus: bool,
) -> String {
    let digits: &[u8; 16] = if upper {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let mut out = String::with_capacity(secret.len() * 3);
    for &byte in secret.as_bytes() {
        if keep(byte) {
            out.push(char::from(byte));
        } else if space_as_plus && byte == b' ' {
            out.push('+');
        } else {
            out.push('%');
            out.push(char::from(digits[usize::from(byte >> 4)]));
            out.push(char::from(digits[usize::from(byte & 0x0f)]));
        }
    }
    out
}

/// JSON-, Rust- and YAML-escaped forms of `secret` (without the surrounding quotes).
pub fn escaped_variants(secret: &str) -> Vec<String> {
    let debug = format!("{secret:?}");
    let debug = debug
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or(&debug)
        .to_string();
    vec![
        json_escape(secret, JsonStyle::Minimal),
        json_escape(secret, JsonStyle::AsciiOnly),
        json_escape(secret, JsonStyle::EscapedSlash),
        json_escape(secret, JsonStyle::HtmlSafe),
        debug,
        secret.replace('\'', "''"),
    ]
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum JsonStyle {
    /// `"`, `\` and control characters only (serde_json).
    Minimal,
    /// Also every non-ASCII character as `\uXXXX` (Python's `json.dumps`).
    AsciiOnly,
    /// Also `/` as `\/`.
    EscapedSlash,
    /// Also `<`, `>`, `&` as `\u003c`... (Go's `encoding/json`).
    HtmlSafe,
}

fn json_escape(secret: &str, style: JsonStyle) -> String {
    let mut out = String::with_capacity(secret.len() + 8);
    for character in secret.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '/' if style == JsonStyle::EscapedSlash => out.push_str("\\/"),
            '<' | '>' | '&' if style == JsonStyle::HtmlSafe => push_u_escape(&mut out, character),
            character if u32::from(character) < 0x20 => push_u_escape(&mut out, character),
            character if !character.is_ascii() && style == JsonStyle::AsciiOnly => {
                push_u_escape(&mut out, character);
            }
            character => out.push(character),
        }
    }
    out
}

fn push_u_escape(out: &mut String, character: char) {
    let mut units = [0u16; 2];
    for unit in character.encode_utf16(&mut units) {
        out.push_str(&format!("\\u{unit:04x}"));
    }
}

/// Base64 spellings of `bytes`: whole (padded and not), and the stable run at each alignment.
pub fn base64_variants(bytes: &[u8]) -> Vec<String> {
    let mut out = vec![
        STANDARD.encode(bytes),
        STANDARD_NO_PAD.encode(bytes),
        URL_SAFE.encode(bytes),
        URL_SAFE_NO_PAD.encode(bytes),
    ];
    for alignment in 0..3usize {
        let mut shifted = vec![0u8; alignment];
        shifted.extend_from_slice(bytes);
        let bits_start = 8 * alignment;
        let bits_end = 8 * (alignment + bytes.len());
        // Character i carries bits [6i, 6i + 6); keep those made of the secret's bits only.
        let first = bits_start.div_ceil(6);
        let last = bits_end / 6;
        if last <= first {
            continue;
        }
        for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
            let encoded = engine.encode(&shifted);
            if let Some(run) = encoded.get(first..last) {
                out.push(run.to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_variants_cover_common_encoders() {
        let found = url_variants("p@ss w/rd!");
        assert!(found.contains(&"p%40ss%20w%2Frd%21".to_string()));
        assert!(
            found.contains(&"p%40ss%20w/rd%21".to_string()),
            "python quote"
        );
        assert!(
            found.contains(&"p%40ss+w%2Frd%21".to_string()),
            "form encoding"
        );
        assert!(
            found.contains(&"p%40ss%20w%2Frd!".to_string()),
            "encodeURIComponent"
        );
    }

    #[test]
    fn escaped_variants_cover_json_and_debug() {
        let found = escaped_variants("a\"b\\c\u{e9}/<");
        assert!(found.contains(&"a\\\"b\\\\c\u{e9}/<".to_string()));
        assert!(found.contains(&"a\\\"b\\\\c\\u00e9/<".to_string()));
        assert!(found.contains(&"a\\\"b\\\\c\u{e9}\\/<".to_string()));
        assert!(found.contains(&"a\\\"b\\\\c\u{e9}/\\u003c".to_string()));
        assert!(found.contains(&"a\\\"b\\\\c\u{e9}/<".to_string()));
        assert_eq!(escaped_variants("it's")[5], "it''s");
    }

    #[test]
    fn base64_runs_appear_inside_any_blob() {
        let secret = b"correct horse battery";
        let runs = base64_variants(secret);
        for prefix_len in 0..6 {
            for suffix_len in 0..4 {
                let mut blob = vec![0x5au8; prefix_len];
                blob.extend_from_slice(secret);
                blob.extend(std::iter::repeat_n(0xa5u8, suffix_len));
                for encoded in [STANDARD.encode(&blob), URL_SAFE.encode(&blob)] {
                    assert!(
                        runs.iter()
                            .any(|run| run.len() >= 20 && encoded.contains(run.as_str())),
                        "prefix {prefix_len} suffix {suffix_len}: {encoded}"
                    );
                }
            }
        }
    }

    #[test]
    fn variants_have_no_duplicates_and_start_clear() {
        let all = variants("plainalnum123");
        assert_eq!(all[0], "plainalnum123");
        let mut sorted = all.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), all.len());
    }
}
