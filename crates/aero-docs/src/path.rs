//! Deckhand's JSONPath subset: the paths used by layering actions and substitutions.
//!
//! Accepted forms: `.` or `$` (the whole data), `.a.b`, `$.a.b`, `.data.a` (a leading
//! `.data`/`$.data` is stripped, as Deckhand does), list indices `.a[1].b` and `[0]`,
//! and quoted segments for keys with dots or colons: `.'filter:authtoken'`, `."a.b"`,
//! or `.['a.b']`. Unquoted segments are what jsonpath-ng accepts as identifiers, plus
//! anything else up to the next `.` or `[`.

use std::fmt;

/// The most segments a path may have: real paths have a handful, and a hostile one
/// must not build data nested deeper than the rest of the engine can walk.
pub const MAX_SEGMENTS: usize = 128;

/// The largest list index a path may name: writing at an index pads the list with
/// `{}` up to it, so an unbounded index would let one line of YAML exhaust memory.
pub const MAX_INDEX: usize = 100_000;

/// One step of a path.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Segment {
    /// A mapping key.
    Key(String),
    /// A list index.
    Index(usize),
}

/// A parsed path; an empty path is the whole data section.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct DocPath {
    /// The steps from the data root.
    pub segments: Vec<Segment>,
}

/// Why a path string is not a Deckhand path.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid path `{path}`: {reason}")]
pub struct PathError {
    /// The path as written.
    pub path: String,
    /// What is wrong with it.
    pub reason: String,
}

impl DocPath {
    /// The path of the whole data section.
    pub fn root() -> Self {
        Self::default()
    }

    /// Whether this is the whole data section.
    pub fn is_root(&self) -> bool {
        self.segments.is_empty()
    }

    /// Parses a path as written in `actions[].path`, `src.path` or `dest.path`.
    pub fn parse(text: &str) -> Result<Self, PathError> {
        let error = |reason: &str| PathError {
            path: text.to_string(),
            reason: reason.to_string(),
        };
        let trimmed = text.trim();
        let mut rest = if let Some(stripped) = trimmed.strip_prefix('$') {
            stripped
        } else {
            trimmed
        };
        if rest.is_empty() || rest == "." {
            return Ok(Self::root());
        }
        if !rest.starts_with('.') && !rest.starts_with('[') {
            // Deckhand adds the missing leading dot.
            if trimmed.starts_with('$') {
                return Err(error("expected `.` or `[` after `$`"));
            }
        } else if rest.starts_with('.') {
            rest = &rest[1..];
        }
        let mut segments = Vec::new();
        let mut chars = rest.char_indices().peekable();
        let bytes = rest;
        let mut expect_segment = true;
        while let Some(&(start, current)) = chars.peek() {
            match current {
                '[' => {
                    chars.next();
                    let inner_start = start + 1;
                    let Some(close) = bytes[inner_start..].find(']') else {
                        return Err(error("unclosed `[`"));
                    };
                    let inner = bytes[inner_start..inner_start + close].trim();
                    if let Some(quoted) = unquote(inner) {
                        segments.push(Segment::Key(quoted.to_string()));
                    } else if inner == "*" {
                        return Err(error("wildcards are not supported; name one list index"));
                    } else {
                        let index = inner.parse::<usize>().map_err(|_| {
                            error("a list index must be a non-negative whole number")
                        })?;
                        segments.push(Segment::Index(index));
                    }
                    let after = inner_start + close + 1;
                    while chars.peek().is_some_and(|&(position, _)| position < after) {
                        chars.next();
                    }
                    expect_segment = false;
                }
                '.' => {
                    if expect_segment {
                        return Err(error("empty segment (`..` is not supported)"));
                    }
                    chars.next();
                    expect_segment = true;
                    if chars.peek().is_none() {
                        return Err(error("path ends with `.`"));
                    }
                }
                '\'' | '"' => {
                    if !expect_segment {
                        return Err(error("a quoted key must follow `.`"));
                    }
                    chars.next();
                    let inner_start = start + 1;
                    let Some(close) = bytes[inner_start..].find(current) else {
                        return Err(error("unclosed quote"));
                    };
                    segments.push(Segment::Key(
                        bytes[inner_start..inner_start + close].to_string(),
                    ));
                    let after = inner_start + close + 1;
                    while chars.peek().is_some_and(|&(position, _)| position < after) {
                        chars.next();
                    }
                    expect_segment = false;
                }
                _ => {
                    if !expect_segment {
                        return Err(error("expected `.` or `[` between segments"));
                    }
                    let end = bytes[start..]
                        .find(['.', '['])
                        .map_or(bytes.len(), |offset| start + offset);
                    let key = bytes[start..end].trim();
                    if key.is_empty() {
                        return Err(error("empty segment"));
                    }
                    segments.push(Segment::Key(key.to_string()));
                    while chars.peek().is_some_and(|&(position, _)| position < end) {
                        chars.next();
                    }
                    expect_segment = false;
                }
            }
        }
        if segments.len() > MAX_SEGMENTS {
            return Err(error(&format!("more than {MAX_SEGMENTS} segments")));
        }
        if segments
            .iter()
            .any(|segment| matches!(segment, Segment::Index(index) if *index > MAX_INDEX))
        {
            return Err(error(&format!(
                "list indices above {MAX_INDEX} are not supported"
            )));
        }
        // Deckhand strips a leading `.data` so that `.data.a` means `.a`.
        if matches!(segments.first(), Some(Segment::Key(key)) if key == "data")
            && (trimmed.starts_with(".data") || trimmed.starts_with("$.data"))
        {
            segments.remove(0);
        }
        Ok(Self { segments })
    }

    /// A path one step longer.
    pub fn child(&self, segment: Segment) -> Self {
        let mut segments = self.segments.clone();
        segments.push(segment);
        Self { segments }
    }

    /// Whether `self` is `other` or lies under it.
    pub fn starts_with(&self, other: &DocPath) -> bool {
        self.segments.starts_with(&other.segments)
    }
}

fn unquote(text: &str) -> Option<&str> {
    let first = text.chars().next()?;
    if (first == '\'' || first == '"') && text.len() >= 2 && text.ends_with(first) {
        Some(&text[1..text.len() - 1])
    } else {
        None
    }
}

fn needs_quotes(key: &str) -> bool {
    key.is_empty()
        || !key
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '@')
}

impl fmt::Display for DocPath {
    /// Writes the path the way an author would type it: `.a.b[0].'x:y'`, `.` for the root.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.segments.is_empty() {
            return formatter.write_str(".");
        }
        for segment in &self.segments {
            match segment {
                Segment::Key(key) if needs_quotes(key) => {
                    if key.contains('\'') {
                        write!(formatter, ".\"{key}\"")?;
                    } else {
                        write!(formatter, ".'{key}'")?;
                    }
                }
                Segment::Key(key) => write!(formatter, ".{key}")?,
                Segment::Index(index) => write!(formatter, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(input: &str, expected: &str) {
        let shown = match DocPath::parse(input) {
            Ok(path) => path.to_string(),
            Err(error) => format!("error: {}", error.reason),
        };
        assert_eq!(shown, expected, "path {input:?}");
    }

    #[test]
    fn parses_deckhand_paths() {
        check(".", ".");
        check("$", ".");
        check("", ".");
        check(".a.b", ".a.b");
        check("$.a.b", ".a.b");
        check("a.b", ".a.b");
        check(".data.a", ".a");
        check("$.data.a[2].b", ".a[2].b");
        check(".data", ".");
        check(".values.conf.servers[0]", ".values.conf.servers[0]");
        check(".'filter:authtoken'.x", ".'filter:authtoken'.x");
        check(".\"a.b\"", ".'a.b'");
        check(".a['b.c']", ".a.'b.c'");
        check("[1]", "[1]");
        check(".a[0][1]", ".a[0][1]");
        check(".key-with-dash", ".key-with-dash");
        check(".datastore", ".datastore");
    }

    #[test]
    fn rejects_malformed_paths() {
        check(".a..b", "error: empty segment (`..` is not supported)");
        check(".a[", "error: unclosed `[`");
        check(
            ".a[x]",
            "error: a list index must be a non-negative whole number",
        );
        check(
            ".a[-1]",
            "error: a list index must be a non-negative whole number",
        );
        check(
            ".a[*]",
            "error: wildcards are not supported; name one list index",
        );
        check(".a.", "error: path ends with `.`");
        check(".'abc", "error: unclosed quote");
        check(
            ".a[100001]",
            "error: list indices above 100000 are not supported",
        );
        check(&".a".repeat(129), "error: more than 128 segments");
        check(&".a".repeat(128), &".a".repeat(128));
    }
}
