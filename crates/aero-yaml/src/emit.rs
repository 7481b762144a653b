//! The emitter: JSON-model values as deterministic block YAML that YAML 1.2 readers and PyYAML
//! both read back to the same value.
//!
//! Layout: block mappings in the given key order, block sequences indented under their key
//! (`key:\n  - a`), `{}` and `[]` for empty collections. Strings are plain when both dialects
//! read them back as the same string, else single-quoted; double-quoted (with escapes) when they
//! hold characters that must be escaped. Multi-line strings use a literal block (`|`, `|-`, `|+`,
//! with an indentation indicator when they start with a space or a line break) when that reads
//! back exactly, else a double-quoted string. Floats always have a `.` (`1.0`, `1.5e+20`) so they
//! read back as floats in both dialects. Integers above `i64::MAX` are written in full but load
//! back as floats, since [`crate::Yaml::Int`] holds an `i64`.

use crate::Dialect;
use crate::resolve::{is_plain_string, is_pyyaml_timestamp};
use serde_json::{Map, Number, Value};

/// Indentation added per nesting level.
const INDENT: usize = 2;

/// Keys longer than this (as written) use the explicit `? key` form: readers limit implicit
/// keys to 1024 characters.
const IMPLICIT_KEY_LIMIT: usize = 1000;

/// Characters that may not start a plain scalar.
const INDICATORS: &[char] = &[
    '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`',
];

/// Render one JSON-model value as a YAML block document body (no `---`), ending with a newline.
pub fn to_yaml_string(value: &serde_json::Value) -> String {
    let mut out = String::new();
    write_root(&mut out, value);
    out
}

/// Render several documents, each preceded by `---\n`; the stream ends with `...\n`.
///
/// An empty slice renders as an empty string (a stream of no documents), since a lone `...`
/// is not a valid stream for PyYAML.
pub fn documents_to_yaml(documents: &[serde_json::Value]) -> String {
    let mut out = String::new();
    if documents.is_empty() {
        return out;
    }
    for document in documents {
        out.push_str(&document_to_yaml(document));
    }
    out.push_str(STREAM_END);
    out
}

/// What ends a stream of documents written with [`document_to_yaml`].
pub const STREAM_END: &str = "...\n";

/// One document of a stream as [`documents_to_yaml`] writes it (`---` line included), for
/// writing a large stream one document at a time; end the stream with [`STREAM_END`].
pub fn document_to_yaml(document: &Value) -> String {
    let mut out = String::from("---\n");
    write_root(&mut out, document);
    out
}

fn write_root(out: &mut String, value: &Value) {
    match value {
        Value::Object(map) if !map.is_empty() => write_map(out, map, 0, false),
        Value::Array(items) if !items.is_empty() => write_seq(out, items, 0, false),
        _ => {
            write_scalar(out, value, None);
            out.push('\n');
        }
    }
}

/// Writes the entries of a non-empty map at `indent`; with `inline_first` the first key
/// continues the current line (after `- `).
fn write_map(out: &mut String, map: &Map<String, Value>, indent: usize, inline_first: bool) {
    for (position, (key, value)) in map.iter().enumerate() {
        if position > 0 || !inline_first {
            push_indent(out, indent);
        }
        let key_start = out.len();
        write_string(out, key, None);
        if out[key_start..].chars().count() > IMPLICIT_KEY_LIMIT {
            out.insert_str(key_start, "? ");
            out.push('\n');
            push_indent(out, indent);
        }
        out.push(':');
        write_value_after_indicator(out, value, indent);
    }
}

/// Writes the items of a non-empty sequence at `indent`.
fn write_seq(out: &mut String, items: &[Value], indent: usize, inline_first: bool) {
    for (position, item) in items.iter().enumerate() {
        if position > 0 || !inline_first {
            push_indent(out, indent);
        }
        out.push('-');
        match item {
            Value::Object(map) if !map.is_empty() => {
                out.push(' ');
                write_map(out, map, indent + INDENT, true);
            }
            Value::Array(nested) if !nested.is_empty() => {
                out.push(' ');
                write_seq(out, nested, indent + INDENT, true);
            }
            _ => {
                out.push(' ');
                write_scalar(out, item, Some(indent));
                out.push('\n');
            }
        }
    }
}

/// Writes a mapping value after its `:`; `indent` is the key's indentation.
fn write_value_after_indicator(out: &mut String, value: &Value, indent: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            write_map(out, map, indent + INDENT, false);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            write_seq(out, items, indent + INDENT, false);
        }
        _ => {
            out.push(' ');
            write_scalar(out, value, Some(indent));
            out.push('\n');
        }
    }
}

/// Writes a scalar or an empty collection, without the final line break. `parent_indent` is
/// the indentation of the enclosing block collection (`None` at the document root); block
/// strings are indented two more.
fn write_scalar(out: &mut String, value: &Value, parent_indent: Option<usize>) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(number) => write_number(out, number),
        Value::String(text) => write_string(out, text, Some(parent_indent)),
        Value::Array(_) => out.push_str("[]"),
        Value::Object(_) => out.push_str("{}"),
    }
}

fn write_number(out: &mut String, number: &Number) {
    if let Some(integer) = number.as_i64() {
        out.push_str(&integer.to_string());
    } else if let Some(integer) = number.as_u64() {
        out.push_str(&integer.to_string());
    } else {
        out.push_str(&format_float(number.as_f64().unwrap_or(f64::NAN)));
    }
}

/// A float that reads back as the same float in YAML 1.2 and in PyYAML: always with a `.`,
/// exponents signed (`1.0e+16`), `.inf`, `-.inf`, `.nan`.
pub(crate) fn format_float(value: f64) -> String {
    if value.is_nan() {
        return ".nan".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { ".inf" } else { "-.inf" }.to_owned();
    }
    // Debug gives the shortest round-trip digits: `1.0`, `0.1`, `1e16`, `1.5e-7`.
    let shortest = format!("{value:?}");
    let Some((mantissa, exponent)) = shortest.split_once('e') else {
        return shortest;
    };
    let mantissa = if mantissa.contains('.') {
        mantissa.to_owned()
    } else {
        format!("{mantissa}.0")
    };
    match exponent.strip_prefix('-') {
        Some(magnitude) => format!("{mantissa}e-{magnitude}"),
        None => format!("{mantissa}e+{exponent}"),
    }
}

/// How a string is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
}

/// Writes a string. `block` is `Some(parent_indent)` where a literal block may be used
/// (values), `None` for keys.
fn write_string(out: &mut String, text: &str, block: Option<Option<usize>>) {
    let style = choose_style(text, block.is_some());
    match style {
        Style::Plain => out.push_str(text),
        Style::SingleQuoted => {
            out.push('\'');
            for character in text.chars() {
                if character == '\'' {
                    out.push('\'');
                }
                out.push(character);
            }
            out.push('\'');
        }
        Style::DoubleQuoted => write_double_quoted(out, text),
        Style::Literal => {
            let parent_indent = block.flatten();
            write_literal(out, text, parent_indent);
        }
    }
}

fn choose_style(text: &str, block_allowed: bool) -> Style {
    if text.contains('\n') {
        return if block_allowed && literal_reads_back(text) {
            Style::Literal
        } else {
            Style::DoubleQuoted
        };
    }
    if !text.chars().all(is_safe_char) {
        return Style::DoubleQuoted;
    }
    if plain_reads_back(text) {
        Style::Plain
    } else {
        Style::SingleQuoted
    }
}

/// Characters written as they are: printable in YAML 1.2 and PyYAML, and not a line break in
/// YAML 1.1 (`\u{85}`, `\u{2028}`, `\u{2029}`); no tab, no byte order mark.
fn is_safe_char(character: char) -> bool {
    match character {
        ' '..='~' => true,
        '\u{A0}'..='\u{D7FF}' => !matches!(character, '\u{2028}' | '\u{2029}'),
        '\u{E000}'..='\u{FFFD}' => character != '\u{FEFF}',
        '\u{10000}'..='\u{10FFFF}' => true,
        _ => false,
    }
}

/// Whether a single-line string of safe characters can be written plain.
fn plain_reads_back(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    !INDICATORS.contains(&first)
        && !text.starts_with(' ')
        && !text.ends_with(' ')
        && !text.ends_with(':')
        && !text.contains(": ")
        && !text.contains(" #")
        && !text.starts_with("...")
        && !matches!(text, "y" | "Y" | "n" | "N")
        && !is_pyyaml_timestamp(text)
        && is_plain_string(text, Dialect::Yaml12)
        && is_plain_string(text, Dialect::PyYaml11)
}

/// Whether a multi-line string reads back exactly from a literal block.
fn literal_reads_back(text: &str) -> bool {
    text.chars()
        .all(|character| character == '\n' || is_safe_char(character))
        && !text.contains(" \n")
        && !text.ends_with(' ')
        && text.chars().any(|character| character != '\n')
}

fn write_literal(out: &mut String, text: &str, parent_indent: Option<usize>) {
    let content_indent = parent_indent.map_or(INDENT, |indent| indent + INDENT);
    out.push('|');
    let first_content_line = text.split('\n').find(|line| !line.is_empty()).unwrap_or("");
    if text.starts_with('\n') || first_content_line.starts_with(' ') {
        // Relative to the parent's indentation (0 at the document root for saphyr and PyYAML).
        out.push_str(&INDENT.to_string());
    }
    let trailing_breaks = text.len() - text.trim_end_matches('\n').len();
    match trailing_breaks {
        0 => out.push('-'),
        1 => {}
        _ => out.push('+'),
    }
    let body = text.strip_suffix('\n').unwrap_or(text);
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            push_indent(out, content_indent);
            out.push_str(line);
        }
    }
}

fn write_double_quoted(out: &mut String, text: &str) {
    out.push('"');
    for character in text.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            _ if is_safe_char(character) => out.push(character),
            _ => {
                let code = u32::from(character);
                let escaped = if code <= 0xFF {
                    format!("\\x{code:02X}")
                } else if code <= 0xFFFF {
                    format!("\\u{code:04X}")
                } else {
                    format!("\\U{code:08X}")
                };
                out.push_str(&escaped);
            }
        }
    }
    out.push('"');
}

fn push_indent(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}
