//! Rewriting a document's YAML text into the constructs real Airship sites mix into their
//! plain block lines, without changing what it loads to.
//!
//! The emitter writes every document in one plain style: one-line scalars, block collections.
//! Real sites also carry block scalars with chomping indicators, plain and quoted scalars
//! over several lines, anchors, aliases and merge keys, flow mappings over several lines,
//! comments between keys and `...` document ends, and those decide how a YAML loader performs
//! (the fast event path reads most of them; saphyr reads the rest). [`rewrite`] puts a
//! few of them in each document; every rewritten document is loaded in both dialects and
//! compared with the original, and kept only when the values are the same, so a real-site
//! shaped site renders exactly like the plain one.

use aero_yaml::{Dialect, LoadOptions, load_all};

use crate::rng::Rng;

/// Percent of documents that carry the rarer constructs (anchors and aliases, merge keys,
/// multi-line flow mappings, multi-line plain and quoted scalars); the others get only
/// comments, block scalars and `...` ends.
const RICH_DOCUMENTS: u64 = 20;
/// Percent chances, per eligible line, of each rewrite (`PLAIN_MULTILINE`, `QUOTED_MULTILINE`
/// and `ANCHOR` in rich documents only).
const LITERAL_STRIP: u64 = 4;
const FOLDED_STRIP: u64 = 3;
const PLAIN_MULTILINE: u64 = 3;
const QUOTED_MULTILINE: u64 = 2;
const COMMENT: u64 = 4;
const ANCHOR: u64 = 3;
/// Percent chances, per mapping of one-line scalars, of each rewrite (rich documents only).
const FLOW_MAPPING: u64 = 5;
const MERGE: u64 = 5;
/// Percent of documents ended by `...`.
const DOCUMENT_END: u64 = 30;

/// What [`rewrite`] did to one document.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rewritten {
    /// Lines rewritten into another construct (comments and `...` included).
    pub constructs: usize,
    /// Whether the rewrite was dropped because it loaded to other values (a bug here).
    pub dropped: bool,
}

/// One line of emitted YAML: its indentation and the rest.
struct Line<'a> {
    indent: usize,
    text: &'a str,
}

/// `key: value` with a simple key and a one-line scalar value.
struct Entry<'a> {
    key: &'a str,
    value: &'a str,
}

/// `document` (YAML block text from the emitter, without `---`) with real-site constructs,
/// and what was done.
pub fn rewrite(document: &str, rng: &mut Rng) -> (String, Rewritten) {
    let (out, constructs) = write_constructs(document, rng);
    if loads_alike(document, &out) {
        (
            out,
            Rewritten {
                constructs,
                dropped: false,
            },
        )
    } else {
        (
            document.to_owned(),
            Rewritten {
                constructs: 0,
                dropped: true,
            },
        )
    }
}

/// [`rewrite`] without the check, and the number of constructs written.
fn write_constructs(document: &str, rng: &mut Rng) -> (String, usize) {
    let lines: Vec<Line<'_>> = document
        .lines()
        .map(|line| {
            let text = line.trim_start_matches(' ');
            Line {
                indent: line.len() - text.len(),
                text,
            }
        })
        .collect();
    let mut out = String::with_capacity(document.len() + document.len() / 4);
    let mut constructs = 0;
    // Most documents of a real site keep to plain lines, comments and block scalars; some
    // carry anchors, merge keys, multi-line flow collections or multi-line scalars.
    let rich = chance(rng, RICH_DOCUMENTS);
    let rare = |rng: &mut Rng, percent: u64| rich && chance(rng, percent);
    let mut anchors: Vec<(String, String)> = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        let line = &lines[index];
        let pad = " ".repeat(line.indent);
        // A mapping of one-line scalars under `key:`: a flow mapping over several lines, or its
        // first entry merged from an anchored flow mapping.
        if let Some(key) = line.text.strip_suffix(':').filter(|key| is_simple_key(key)) {
            let children = scalar_children(&lines, index + 1, line.indent + 2);
            if (2..=6).contains(&children.len())
                && children.iter().all(|entry| is_flow_safe(entry.value))
            {
                if rare(rng, FLOW_MAPPING) {
                    let inner = " ".repeat(line.indent + 2);
                    out.push_str(&format!("{pad}{key}: {{\n"));
                    let body: Vec<String> = children
                        .iter()
                        .map(|entry| format!("{inner}{}: {}", entry.key, entry.value))
                        .collect();
                    out.push_str(&body.join(",\n"));
                    out.push_str(&format!("\n{inner}}}\n"));
                    index += 1 + children.len();
                    constructs += 1;
                    continue;
                }
                if rare(rng, MERGE) {
                    let inner = " ".repeat(line.indent + 2);
                    let first = &children[0];
                    out.push_str(&format!("{pad}{key}:\n"));
                    out.push_str(&format!(
                        "{inner}<<: &merged{index} {{{}: {}}}\n",
                        first.key, first.value
                    ));
                    for entry in &children[1..] {
                        out.push_str(&format!("{inner}{}: {}\n", entry.key, entry.value));
                    }
                    index += 1 + children.len();
                    constructs += 1;
                    continue;
                }
            }
        }
        if chance(rng, COMMENT) && !line.text.starts_with('-') {
            out.push_str(&format!("{pad}# {}\n", comment_text(rng)));
            constructs += 1;
        }
        let Some(entry) = entry(line.text) else {
            out.push_str(&format!("{pad}{}\n", line.text));
            index += 1;
            continue;
        };
        let inner = " ".repeat(line.indent + 2);
        let (key, value) = (entry.key, entry.value);
        let text = string_text(value);
        let split = text.and_then(|text| split_at_space(text).map(|(a, b)| (text, a, b)));
        if let Some((_, anchor)) = anchors.iter().find(|(anchored, _)| anchored == value) {
            out.push_str(&format!("{pad}{key}: *{anchor}\n"));
            constructs += 1;
        } else if let Some(text) = text.filter(|_| chance(rng, LITERAL_STRIP)) {
            out.push_str(&format!("{pad}{key}: |-\n{inner}{text}\n"));
            constructs += 1;
        } else if let Some(text) = text.filter(|_| chance(rng, FOLDED_STRIP)) {
            // Folded over two lines where the text has a space to fold into.
            match split_at_space(text) {
                Some((first, rest)) => {
                    out.push_str(&format!("{pad}{key}: >-\n{inner}{first}\n{inner}{rest}\n"));
                }
                None => out.push_str(&format!("{pad}{key}: >-\n{inner}{text}\n")),
            }
            constructs += 1;
        } else if let Some((_, first, rest)) =
            split.filter(|_| is_plain(value) && rare(rng, PLAIN_MULTILINE))
        {
            out.push_str(&format!("{pad}{key}: {first}\n{inner}{rest}\n"));
            constructs += 1;
        } else if let Some((first, rest)) = text
            .filter(|text| !text.contains(['"', '\\']) && rare(rng, QUOTED_MULTILINE))
            .and_then(split_between_letters)
        {
            // Over two lines, the line break escaped so it adds nothing to the text.
            out.push_str(&format!("{pad}{key}: \"{first}\\\n{inner}{rest}\"\n"));
            constructs += 1;
        } else if value.len() > 3 && rare(rng, ANCHOR) {
            let anchor = format!("value{index}");
            out.push_str(&format!("{pad}{key}: &{anchor} {value}\n"));
            anchors.push((value.to_owned(), anchor));
            constructs += 1;
        } else {
            out.push_str(&format!("{pad}{}\n", line.text));
        }
        index += 1;
    }
    if chance(rng, DOCUMENT_END) {
        out.push_str("...\n");
        constructs += 1;
    }
    (out, constructs)
}

/// Whether `original` and `rewritten` load to the same values in both dialects.
fn loads_alike(original: &str, rewritten: &str) -> bool {
    [Dialect::Yaml12, Dialect::PyYaml11].iter().all(|&dialect| {
        let options = LoadOptions::new(dialect);
        let values = |text: &str| {
            load_all(text, &options).map(|documents| {
                documents
                    .iter()
                    .map(|document| document.root.to_json())
                    .collect::<Vec<_>>()
            })
        };
        matches!((values(original), values(rewritten)), (Ok(a), Ok(b)) if a == b)
    })
}

fn chance(rng: &mut Rng, percent: u64) -> bool {
    rng.chance(percent, 100)
}

fn comment_text(rng: &mut Rng) -> &'static str {
    const COMMENTS: [&str; 4] = [
        "NOTE: keep in step with the type layer",
        "TODO(ops): revisit after the next upgrade",
        "values below are site specific",
        "see the runbook for how these are chosen",
    ];
    COMMENTS[rng.index(COMMENTS.len())]
}

/// The entries `key: scalar` at exactly `indent` from line `start` on, if every line of the
/// block at that indentation is one (otherwise none).
fn scalar_children<'a>(lines: &'a [Line<'a>], start: usize, indent: usize) -> Vec<Entry<'a>> {
    let mut children = Vec::new();
    for line in &lines[start..] {
        if line.indent < indent {
            break;
        }
        match entry(line.text) {
            Some(entry) if line.indent == indent => children.push(entry),
            _ => return Vec::new(),
        }
    }
    children
}

/// `key: value` where the key is simple and the value a one-line plain or single-quoted scalar.
fn entry(text: &str) -> Option<Entry<'_>> {
    let (key, value) = text.split_once(": ")?;
    if !is_simple_key(key) || value.is_empty() {
        return None;
    }
    let plain = !value.starts_with(['\'', '"', '[', '{', '&', '*', '!', '|', '>', '-', '#']);
    let single_quoted = value.len() >= 2
        && value.starts_with('\'')
        && value.ends_with('\'')
        && !value[1..value.len() - 1].contains('\'');
    (plain || single_quoted).then_some(Entry { key, value })
}

fn is_simple_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-')
}

fn is_plain(value: &str) -> bool {
    !value.starts_with('\'')
}

/// The text of a value that is a string in both dialects, as a block scalar would hold it: a
/// single-quoted scalar's content, or a plain scalar starting with a letter that is no
/// boolean or null word (the emitter quotes every string a dialect could misread, so such a
/// plain scalar is a string; [`loads_alike`] checks it anyway).
fn string_text(value: &str) -> Option<&str> {
    let inner = match value.strip_prefix('\'') {
        Some(quoted) => quoted.strip_suffix('\'')?,
        None => {
            let word = value.to_ascii_lowercase();
            let special = ["true", "false", "yes", "no", "on", "off", "null", "y", "n"];
            if !value.starts_with(|first: char| first.is_ascii_alphabetic())
                || special.contains(&word.as_str())
            {
                return None;
            }
            value
        }
    };
    let clean = !inner.is_empty()
        && !inner.starts_with(' ')
        && !inner.ends_with(' ')
        && !inner.contains("  ")
        && !inner.contains(" #")
        && !inner.contains(": ");
    clean.then_some(inner)
}

/// `text` cut at its middle space, if it has one.
fn split_at_space(text: &str) -> Option<(&str, &str)> {
    let middle = text.len() / 2;
    let at = text[..middle]
        .rfind(' ')
        .or_else(|| text[middle..].find(' ').map(|offset| middle + offset))?;
    let (first, rest) = (&text[..at], &text[at + 1..]);
    (!first.is_empty() && !rest.is_empty()).then_some((first, rest))
}

/// `text` cut near its middle between two characters that are not spaces (the next line's
/// leading spaces would be dropped after an escaped line break), if it can be.
fn split_between_letters(text: &str) -> Option<(&str, &str)> {
    let bytes = text.as_bytes();
    let at = (text.len() / 2..text.len())
        .chain(1..text.len() / 2)
        .find(|&at| {
            at > 0
                && text.is_char_boundary(at)
                && bytes[at - 1] != b' '
                && bytes.get(at).is_some_and(|&byte| byte != b' ')
        })?;
    Some(text.split_at(at))
}

/// Whether a value can stand in a flow mapping as written.
fn is_flow_safe(value: &str) -> bool {
    !value.contains([',', '[', ']', '{', '}', '#'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(document: &str, seed: u64, expected_constructs: &[&str]) {
        let mut rng = Rng::new(seed);
        let (rewritten, what) = rewrite(document, &mut rng);
        assert!(!what.dropped, "{rewritten}");
        assert!(loads_alike(document, &rewritten), "{rewritten}");
        for construct in expected_constructs {
            assert!(
                rewritten.contains(construct),
                "{construct:?} in\n{rewritten}"
            );
        }
    }

    #[test]
    fn rewrites_load_to_the_same_values() {
        let document = "data:\n  service:\n    name: 'front end server'\n    replicas: 3\n    image: 'registry example org app'\n  labels:\n    tier: web\n    zone: a\n  notes: 'a b c d'\n  again: 'a b c d'\n";
        let mut seen = String::new();
        for seed in 0..2000 {
            let mut rng = Rng::new(seed);
            let (unchecked, _) = write_constructs(document, &mut Rng::new(seed));
            let (rewritten, what) = rewrite(document, &mut rng);
            assert!(!what.dropped, "seed {seed}:\n{unchecked}");
            seen.push_str(&rewritten);
        }
        for construct in [
            "|-", ">-", "<<: &", ": {\n", "# ", "...", ": *value", "\"front",
        ] {
            assert!(seen.contains(construct), "{construct:?} never written");
        }
        check(document, 1, &[]);
    }

    #[test]
    fn a_rewrite_that_changes_a_value_is_dropped() {
        assert!(loads_alike("a: 1\n", "a: 1\n...\n"));
        assert!(!loads_alike("a: 1\n", "a: '1'\n"));
        assert!(!loads_alike("a: yes\n", "a: |-\n  yes\n"));
    }
}
