//! Scalar resolution: plain scalars per [`Dialect`] and scalars with explicit core tags.
//!
//! YAML 1.2 follows the core schema. PyYAML 1.1 follows the implicit resolvers and constructors
//! of PyYAML's `SafeLoader` (`resolver.py`, `constructor.py`), written out by hand instead of with
//! regular expressions so that resolving costs no allocation for strings.
//!
//! Integers outside the `i64` range load as the nearest `f64` (an error only when even that is
//! infinite).

use crate::{Dialect, LoadErrorKind, Yaml};
use std::borrow::Cow;

/// Why a scalar could not be turned into a value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Invalid {
    /// The error kind to report.
    pub(crate) kind: LoadErrorKind,
    /// The error message, lower-case.
    pub(crate) message: String,
}

impl Invalid {
    fn value(message: String) -> Invalid {
        Invalid {
            kind: LoadErrorKind::InvalidValue,
            message,
        }
    }
}

/// The core tags (`tag:yaml.org,2002:*`) Aerostat understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CoreTag {
    /// `!!str`.
    Str,
    /// `!!int`.
    Int,
    /// `!!float`.
    Float,
    /// `!!bool`.
    Bool,
    /// `!!null`.
    Null,
    /// `!!binary`, kept as the base64 text.
    Binary,
    /// `!!timestamp`, kept as the original text.
    Timestamp,
    /// `!!seq`.
    Seq,
    /// `!!map`.
    Map,
    /// `!!merge`, only meaningful on a mapping key.
    Merge,
}

impl CoreTag {
    /// The core tag named by `suffix` (the part after `tag:yaml.org,2002:`).
    pub(crate) fn from_suffix(suffix: &str) -> Option<CoreTag> {
        Some(match suffix {
            "str" => CoreTag::Str,
            "int" => CoreTag::Int,
            "float" => CoreTag::Float,
            "bool" => CoreTag::Bool,
            "null" => CoreTag::Null,
            "binary" => CoreTag::Binary,
            "timestamp" => CoreTag::Timestamp,
            "seq" => CoreTag::Seq,
            "map" => CoreTag::Map,
            "merge" => CoreTag::Merge,
            _ => return None,
        })
    }

    /// The short form for messages, e.g. `!!int`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            CoreTag::Str => "!!str",
            CoreTag::Int => "!!int",
            CoreTag::Float => "!!float",
            CoreTag::Bool => "!!bool",
            CoreTag::Null => "!!null",
            CoreTag::Binary => "!!binary",
            CoreTag::Timestamp => "!!timestamp",
            CoreTag::Seq => "!!seq",
            CoreTag::Map => "!!map",
            CoreTag::Merge => "!!merge",
        }
    }
}

/// Resolves an untagged plain scalar in value position.
/// Takes the text by value so that a string result reuses the parser's buffer.
pub(crate) fn plain(text: Cow<'_, str>, dialect: Dialect) -> Result<Yaml, Invalid> {
    match plain_non_string(&text, dialect)? {
        Some(value) => Ok(value),
        None => Ok(Yaml::Str(text.into_owned())),
    }
}

/// Whether `text`, written as a plain scalar, reads back as the same string in `dialect`
/// (in value position, and not as a merge key).
pub(crate) fn is_plain_string(text: &str, dialect: Dialect) -> bool {
    matches!(plain_non_string(text, dialect), Ok(None)) && text != "<<" && text != "="
}

/// The non-string value a plain scalar resolves to, `None` for a string.
fn plain_non_string(text: &str, dialect: Dialect) -> Result<Option<Yaml>, Invalid> {
    match dialect {
        Dialect::Yaml12 => core_plain(text),
        Dialect::PyYaml11 => pyyaml_plain(text),
    }
}

/// Resolves a scalar with an explicit core tag.
pub(crate) fn tagged(text: &str, tag: CoreTag, dialect: Dialect) -> Result<Yaml, Invalid> {
    let invalid = || Invalid::value(format!("invalid {} value {:?}", tag.name(), text));
    match tag {
        CoreTag::Str | CoreTag::Binary | CoreTag::Timestamp => Ok(Yaml::Str(text.to_owned())),
        CoreTag::Null => match dialect {
            // PyYAML's construct_yaml_null ignores the text.
            Dialect::PyYaml11 => Ok(Yaml::Null),
            Dialect::Yaml12 => match text {
                "" | "~" | "null" | "Null" | "NULL" => Ok(Yaml::Null),
                _ => Err(invalid()),
            },
        },
        CoreTag::Bool => {
            let value = match dialect {
                Dialect::Yaml12 => core_bool(text),
                Dialect::PyYaml11 => match text.to_lowercase().as_str() {
                    "yes" | "true" | "on" => Some(true),
                    "no" | "false" | "off" => Some(false),
                    _ => None,
                },
            };
            value.map(Yaml::Bool).ok_or_else(invalid)
        }
        CoreTag::Int => match dialect {
            Dialect::Yaml12 => match core_int(text) {
                Some(Ok(value)) => Ok(value),
                Some(Err(error)) => Err(error),
                None => Err(invalid()),
            },
            Dialect::PyYaml11 => pyyaml_construct_int(text).ok_or_else(invalid)?,
        },
        CoreTag::Float => {
            let value = match dialect {
                Dialect::Yaml12 => match core_float(text).or_else(|| core_int(text)) {
                    Some(Ok(Yaml::Int(value))) => Some(value as f64),
                    Some(Ok(Yaml::Float(value))) => Some(value),
                    _ => None,
                },
                Dialect::PyYaml11 => pyyaml_construct_float(text),
            };
            value.map(Yaml::Float).ok_or_else(invalid)
        }
        CoreTag::Seq | CoreTag::Map | CoreTag::Merge => Err(Invalid::value(format!(
            "tag {} cannot apply to a scalar",
            tag.name()
        ))),
    }
}

// ---------------------------------------------------------------------------------------------
// YAML 1.2 core schema

fn core_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

fn core_plain(text: &str) -> Result<Option<Yaml>, Invalid> {
    let Some(&first) = text.as_bytes().first() else {
        return Ok(Some(Yaml::Null));
    };
    // Every non-string starts with one of these characters.
    if !matches!(
        first,
        b'0'..=b'9' | b'-' | b'+' | b'.' | b'~' | b'n' | b'N' | b't' | b'T' | b'f' | b'F'
    ) {
        return Ok(None);
    }
    if matches!(text, "~" | "null" | "Null" | "NULL") {
        return Ok(Some(Yaml::Null));
    }
    if let Some(value) = core_bool(text) {
        return Ok(Some(Yaml::Bool(value)));
    }
    match core_int(text).or_else(|| core_float(text)) {
        Some(result) => result.map(Some),
        None => Ok(None),
    }
}

/// `[-+]?[0-9]+ | 0o[0-7]+ | 0x[0-9a-fA-F]+`; `None` when `text` is no core integer.
fn core_int(text: &str) -> Option<Result<Yaml, Invalid>> {
    if let Some(octal) = text.strip_prefix("0o") {
        if !octal.is_empty() && octal.bytes().all(|byte| matches!(byte, b'0'..=b'7')) {
            return Some(integer(false, octal, 8));
        }
        return None;
    }
    if let Some(hex) = text.strip_prefix("0x") {
        if !hex.is_empty() && hex.bytes().all(|byte| byte.is_ascii_hexdigit()) {
            return Some(integer(false, hex, 16));
        }
        return None;
    }
    let (negative, digits) = split_sign(text);
    if !digits.is_empty() && digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return Some(integer(negative, digits, 10));
    }
    None
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, `[-+]?\.(inf|Inf|INF)`, `\.(nan|NaN|NAN)`.
fn core_float(text: &str) -> Option<Result<Yaml, Invalid>> {
    if matches!(text, ".nan" | ".NaN" | ".NAN") {
        return Some(Ok(Yaml::Float(f64::NAN)));
    }
    let (negative, unsigned) = split_sign(text);
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") {
        let value = if negative {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
        return Some(Ok(Yaml::Float(value)));
    }
    let bytes = unsigned.as_bytes();
    let integer_digits = count_digits(bytes);
    let mut position = integer_digits;
    let mut fraction_digits = 0;
    if bytes.get(position) == Some(&b'.') {
        fraction_digits = count_digits(&bytes[position + 1..]);
        position += 1 + fraction_digits;
    }
    if integer_digits == 0 && fraction_digits == 0 {
        return None;
    }
    if matches!(bytes.get(position), Some(b'e' | b'E')) {
        position += 1;
        if matches!(bytes.get(position), Some(b'-' | b'+')) {
            position += 1;
        }
        let exponent_digits = count_digits(&bytes[position.min(bytes.len())..]);
        if exponent_digits == 0 {
            return None;
        }
        position += exponent_digits;
    }
    if position != bytes.len() {
        return None;
    }
    Some(
        parse_float(text)
            .map(Yaml::Float)
            .ok_or_else(|| Invalid::value(format!("invalid float {text:?}"))),
    )
}

// ---------------------------------------------------------------------------------------------
// PyYAML (YAML 1.1 as SafeLoader resolves it)

fn pyyaml_plain(text: &str) -> Result<Option<Yaml>, Invalid> {
    let Some(&first) = text.as_bytes().first() else {
        return Ok(Some(Yaml::Null));
    };
    match first {
        b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' => {
            if let Some(value) = pyyaml_bool(text) {
                return Ok(Some(Yaml::Bool(value)));
            }
            if matches!(text, "null" | "Null" | "NULL") {
                return Ok(Some(Yaml::Null));
            }
            Ok(None)
        }
        b'~' if text == "~" => Ok(Some(Yaml::Null)),
        b'=' if text == "=" => Err(Invalid::value(
            "a plain `=` is the YAML 1.1 value key and cannot be loaded (quote it)".to_owned(),
        )),
        b'<' if text == "<<" => Err(Invalid::value(
            "a plain `<<` is a merge key and cannot be a value (quote it)".to_owned(),
        )),
        b'0'..=b'9' | b'-' | b'+' | b'.' => {
            if is_pyyaml_float(text) {
                return match pyyaml_construct_float(text) {
                    Some(value) => Ok(Some(Yaml::Float(value))),
                    None => Err(Invalid::value(format!("invalid float {text:?}"))),
                };
            }
            if is_pyyaml_int(text) {
                return match pyyaml_construct_int(text) {
                    Some(result) => result.map(Some),
                    None => Err(Invalid::value(format!("invalid integer {text:?}"))),
                };
            }
            // Timestamps stay strings with their original text.
            Ok(None)
        }
        _ => Ok(None),
    }
}

fn pyyaml_bool(text: &str) -> Option<bool> {
    match text {
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => Some(true),
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => Some(false),
        _ => None,
    }
}

/// Whether `text` matches PyYAML's timestamp resolver (used by the emitter to quote such strings).
pub(crate) fn is_pyyaml_timestamp(text: &str) -> bool {
    let bytes = text.as_bytes();
    // [0-9]{4}-[0-9]{2}-[0-9]{2}
    if bytes.len() == 10
        && count_digits(bytes) == 4
        && bytes[4] == b'-'
        && count_digits(&bytes[5..]) == 2
        && bytes[7] == b'-'
        && count_digits(&bytes[8..]) == 2
    {
        return true;
    }
    // [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(\.[0-9]*)?
    //   (([ \t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?
    let mut cursor = Cursor { bytes, position: 0 };
    let date_and_time = cursor.digits(4, 4)
        && cursor.byte(b'-')
        && cursor.digits(1, 2)
        && cursor.byte(b'-')
        && cursor.digits(1, 2)
        && (cursor.byte(b'T') || cursor.byte(b't') || cursor.blanks() > 0)
        && cursor.digits(1, 2)
        && cursor.byte(b':')
        && cursor.digits(2, 2)
        && cursor.byte(b':')
        && cursor.digits(2, 2);
    if !date_and_time {
        return false;
    }
    if cursor.byte(b'.') {
        cursor.digits(0, usize::MAX);
    }
    if cursor.position == bytes.len() {
        return true;
    }
    cursor.blanks();
    if cursor.byte(b'Z') {
        return cursor.position == bytes.len();
    }
    if !(cursor.byte(b'-') || cursor.byte(b'+')) || !cursor.digits(1, 2) {
        return false;
    }
    if cursor.byte(b':') && !cursor.digits(2, 2) {
        return false;
    }
    cursor.position == bytes.len()
}

/// A tiny matcher over ASCII bytes.
struct Cursor<'text> {
    bytes: &'text [u8],
    position: usize,
}

impl Cursor<'_> {
    fn byte(&mut self, expected: u8) -> bool {
        if self.bytes.get(self.position) == Some(&expected) {
            self.position += 1;
            true
        } else {
            false
        }
    }

    /// Consumes between `min` and `max` ASCII digits; false (consuming nothing) when fewer than `min`.
    fn digits(&mut self, min: usize, max: usize) -> bool {
        let available = count_digits(&self.bytes[self.position.min(self.bytes.len())..]);
        if available < min || available > max {
            return false;
        }
        self.position += available;
        true
    }

    fn blanks(&mut self) -> usize {
        let start = self.position;
        while matches!(self.bytes.get(self.position), Some(b' ' | b'\t')) {
            self.position += 1;
        }
        self.position - start
    }
}

/// PyYAML's float resolver:
/// `[-+]?[0-9][0-9_]*\.[0-9_]*([eE][-+][0-9]+)?`, `\.[0-9][0-9_]*([eE][-+][0-9]+)?`,
/// `[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*`, `[-+]?\.(inf|Inf|INF)`, `\.(nan|NaN|NAN)`.
fn is_pyyaml_float(text: &str) -> bool {
    if matches!(text, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    let (_, unsigned) = split_sign(text);
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") {
        return true;
    }
    let bytes = unsigned.as_bytes();
    let signed = unsigned.len() != text.len();
    if bytes.first() == Some(&b'.') {
        // `\.[0-9][0-9_]*([eE][-+][0-9]+)?` takes no sign.
        if signed || !bytes.get(1).is_some_and(u8::is_ascii_digit) {
            return false;
        }
        let position = 1 + count_digits_underscores(&bytes[1..]);
        return is_pyyaml_exponent(&bytes[position..]);
    }
    if !bytes.first().is_some_and(u8::is_ascii_digit) {
        return false;
    }
    let mut position = count_digits_underscores(bytes);
    let sexagesimal_parts = count_sexagesimal_parts(bytes, &mut position);
    if bytes.get(position) != Some(&b'.') {
        return false;
    }
    position += 1;
    position += count_digits_underscores(&bytes[position..]);
    if sexagesimal_parts > 0 {
        position == bytes.len()
    } else {
        is_pyyaml_exponent(&bytes[position..])
    }
}

/// `([eE][-+][0-9]+)?` covering all of `bytes`.
fn is_pyyaml_exponent(bytes: &[u8]) -> bool {
    match bytes {
        [] => true,
        [b'e' | b'E', b'-' | b'+', digits @ ..] => {
            !digits.is_empty() && digits.iter().all(u8::is_ascii_digit)
        }
        _ => false,
    }
}

/// Consumes `(:[0-5]?[0-9])*` from `position`, returning how many parts it consumed.
fn count_sexagesimal_parts(bytes: &[u8], position: &mut usize) -> usize {
    let mut parts = 0;
    while bytes.get(*position) == Some(&b':') {
        let rest = &bytes[*position + 1..];
        let length = match rest {
            [b'0'..=b'5', b'0'..=b'9', ..] => 2,
            [b'0'..=b'9', ..] => 1,
            _ => break,
        };
        *position += 1 + length;
        parts += 1;
    }
    parts
}

/// PyYAML's int resolver:
/// `[-+]?0b[0-1_]+`, `[-+]?0[0-7_]+`, `[-+]?(0|[1-9][0-9_]*)`, `[-+]?0x[0-9a-fA-F_]+`,
/// `[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+`.
fn is_pyyaml_int(text: &str) -> bool {
    let (_, unsigned) = split_sign(text);
    let bytes = unsigned.as_bytes();
    match bytes {
        [b'0'] => true,
        [b'0', b'b', rest @ ..] => {
            !rest.is_empty() && rest.iter().all(|byte| matches!(byte, b'0' | b'1' | b'_'))
        }
        [b'0', b'x', rest @ ..] => {
            !rest.is_empty()
                && rest
                    .iter()
                    .all(|byte| byte.is_ascii_hexdigit() || *byte == b'_')
        }
        [b'0', rest @ ..] => rest.iter().all(|byte| matches!(byte, b'0'..=b'7' | b'_')),
        [b'1'..=b'9', ..] => {
            let mut position = count_digits_underscores(bytes);
            count_sexagesimal_parts(bytes, &mut position);
            position == bytes.len()
        }
        _ => false,
    }
}

/// PyYAML's `construct_yaml_int`; `None` where Python's `int()` would raise.
fn pyyaml_construct_int(text: &str) -> Option<Result<Yaml, Invalid>> {
    let cleaned: Cow<'_, str> = if text.contains('_') {
        Cow::Owned(text.replace('_', ""))
    } else {
        Cow::Borrowed(text)
    };
    let (negative, unsigned) = split_sign(&cleaned);
    if unsigned == "0" {
        return Some(Ok(Yaml::Int(0)));
    }
    if let Some(binary) = unsigned.strip_prefix("0b") {
        return radix_digits(binary, 2).then(|| integer(negative, binary, 2));
    }
    if let Some(hex) = unsigned.strip_prefix("0x") {
        return radix_digits(hex, 16).then(|| integer(negative, hex, 16));
    }
    if unsigned.starts_with('0') {
        return radix_digits(unsigned, 8).then(|| integer(negative, unsigned, 8));
    }
    if unsigned.contains(':') {
        let mut total: f64 = 0.0;
        let mut exact: Option<i128> = Some(0);
        for part in unsigned.split(':') {
            if !radix_digits(part, 10) {
                return None;
            }
            let part_value: i128 = part.parse().ok()?;
            exact = exact
                .and_then(|value| value.checked_mul(60))
                .and_then(|value| value.checked_add(part_value));
            total = total * 60.0 + part_value as f64;
        }
        return Some(signed_integer(negative, exact, total, text));
    }
    radix_digits(unsigned, 10).then(|| integer(negative, unsigned, 10))
}

/// PyYAML's `construct_yaml_float`; `None` where Python's `float()` would raise.
fn pyyaml_construct_float(text: &str) -> Option<f64> {
    let cleaned: Cow<'_, str> = if text.contains('_') || text.chars().any(char::is_uppercase) {
        Cow::Owned(text.replace('_', "").to_lowercase())
    } else {
        Cow::Borrowed(text)
    };
    let (negative, unsigned) = split_sign(&cleaned);
    let sign = if negative { -1.0 } else { 1.0 };
    if unsigned == ".inf" {
        return Some(sign * f64::INFINITY);
    }
    if unsigned == ".nan" {
        return Some(f64::NAN);
    }
    if unsigned.contains(':') {
        let mut total = 0.0;
        for part in unsigned.split(':') {
            total = total * 60.0 + parse_float(part)?;
        }
        return Some(sign * total);
    }
    parse_float(unsigned.trim()).map(|value| sign * value)
}

// ---------------------------------------------------------------------------------------------
// Shared helpers

/// Splits a leading `-` or `+`; true when negative.
fn split_sign(text: &str) -> (bool, &str) {
    match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    }
}

fn count_digits(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .take_while(|byte| byte.is_ascii_digit())
        .count()
}

fn count_digits_underscores(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .take_while(|byte| byte.is_ascii_digit() || **byte == b'_')
        .count()
}

/// Whether `digits` is a non-empty run of digits valid in `radix`.
fn radix_digits(digits: &str, radix: u32) -> bool {
    !digits.is_empty() && digits.chars().all(|character| character.is_digit(radix))
}

/// The integer written with `digits` (valid in `radix`), as `Int`, or as `Float` outside `i64`.
fn integer(negative: bool, digits: &str, radix: u32) -> Result<Yaml, Invalid> {
    let mut exact: Option<i128> = Some(0);
    let mut approximate: f64 = 0.0;
    for character in digits.chars() {
        let digit = character.to_digit(radix).unwrap_or(0);
        exact = exact
            .and_then(|value| value.checked_mul(i128::from(radix)))
            .and_then(|value| value.checked_add(i128::from(digit)));
        approximate = approximate * f64::from(radix) + f64::from(digit);
    }
    if exact.is_none() && radix == 10 {
        // Parsing the decimal text rounds correctly, unlike the running product.
        approximate = digits.parse().unwrap_or(approximate);
    }
    signed_integer(negative, exact, approximate, digits)
}

fn signed_integer(
    negative: bool,
    exact: Option<i128>,
    approximate: f64,
    text: &str,
) -> Result<Yaml, Invalid> {
    let signed_exact = exact.map(|value| if negative { -value } else { value });
    if let Some(value) = signed_exact.and_then(|value| i64::try_from(value).ok()) {
        return Ok(Yaml::Int(value));
    }
    let value = match signed_exact {
        Some(value) => value as f64,
        None if negative => -approximate,
        None => approximate,
    };
    if value.is_finite() {
        Ok(Yaml::Float(value))
    } else {
        Err(Invalid::value(format!("integer {text:?} is out of range")))
    }
}

/// Parses a decimal float the way Python's `float()` does for the forms YAML allows
/// (`1.`, `.5`, `1.e+3` included).
fn parse_float(text: &str) -> Option<f64> {
    if let Ok(value) = text.parse::<f64>() {
        return Some(value);
    }
    // Rust refuses a dot with no digits after it before an exponent (`1.e5`).
    let patched = text.replacen(".e", ".0e", 1);
    patched.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(dialect: Dialect, text: &str, expected: Yaml) {
        let actual =
            plain(text.into(), dialect).unwrap_or_else(|error| panic!("{text:?}: {error:?}"));
        match (&actual, &expected) {
            (Yaml::Float(actual_float), Yaml::Float(expected_float))
                if actual_float.is_nan() && expected_float.is_nan() => {}
            _ => assert_eq!(actual, expected, "{dialect:?} {text:?}"),
        }
    }

    #[track_caller]
    fn check12(text: &str, expected: Yaml) {
        check(Dialect::Yaml12, text, expected);
    }

    #[track_caller]
    fn check11(text: &str, expected: Yaml) {
        check(Dialect::PyYaml11, text, expected);
    }

    fn string(text: &str) -> Yaml {
        Yaml::Str(text.to_owned())
    }

    #[test]
    fn yaml12_core_schema() {
        use Yaml::{Bool, Float, Int, Null};
        for text in ["", "~", "null", "Null", "NULL"] {
            check12(text, Null);
        }
        for text in ["nULL", "none", "None", "nil"] {
            check12(text, string(text));
        }
        check12("true", Bool(true));
        check12("True", Bool(true));
        check12("TRUE", Bool(true));
        check12("false", Bool(false));
        check12("False", Bool(false));
        check12("FALSE", Bool(false));
        for text in ["yes", "no", "on", "off", "y", "n", "Yes", "OFF", "tRUE"] {
            check12(text, string(text));
        }
        check12("0", Int(0));
        check12("-0", Int(0));
        check12("+12", Int(12));
        check12("-17", Int(-17));
        check12("0755", Int(755));
        check12("0o17", Int(15));
        check12("0o", string("0o"));
        check12("0o8", string("0o8"));
        check12("-0o17", string("-0o17"));
        check12("0x1f", Int(31));
        check12("0x1F", Int(31));
        check12("0xg", string("0xg"));
        check12("0b1010", string("0b1010"));
        check12("1_000", string("1_000"));
        check12("1:30", string("1:30"));
        check12("9223372036854775807", Int(i64::MAX));
        check12("-9223372036854775808", Int(i64::MIN));
        check12("9223372036854775808", Float(9.223372036854776e18));
        check12("0xffffffffffffffffff", Float(4.722366482869645e21));
        check12("1.5", Float(1.5));
        check12("1.", Float(1.0));
        check12(".5", Float(0.5));
        check12("-.5", Float(-0.5));
        check12("+.5", Float(0.5));
        check12("1e3", Float(1000.0));
        check12("1E3", Float(1000.0));
        check12("1.0e+3", Float(1000.0));
        check12("1.0e-3", Float(0.001));
        check12("1e", string("1e"));
        check12(".", string("."));
        check12("-", string("-"));
        check12("1.2.3", string("1.2.3"));
        check12(".inf", Float(f64::INFINITY));
        check12(".Inf", Float(f64::INFINITY));
        check12("+.INF", Float(f64::INFINITY));
        check12("-.Inf", Float(f64::NEG_INFINITY));
        check12("-.inf", Float(f64::NEG_INFINITY));
        check12(".nan", Float(f64::NAN));
        check12(".NaN", Float(f64::NAN));
        check12(".NAN", Float(f64::NAN));
        check12("-.nan", string("-.nan"));
        check12(".iNf", string(".iNf"));
        check12("inf", string("inf"));
        check12("nan", string("nan"));
        check12("2001-12-14", string("2001-12-14"));
        check12("<<", string("<<"));
        check12("=", string("="));
        check12("hello world", string("hello world"));
    }

    #[test]
    fn pyyaml_safe_load_resolution() {
        use Yaml::{Bool, Float, Int, Null};
        for text in ["", "~", "null", "Null", "NULL"] {
            check11(text, Null);
        }
        for text in [
            "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
        ] {
            check11(text, Bool(true));
        }
        for text in [
            "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF",
        ] {
            check11(text, Bool(false));
        }
        for text in ["y", "n", "Y", "N", "yES", "oN", "none"] {
            check11(text, string(text));
        }
        check11("0", Int(0));
        check11("-0", Int(0));
        check11("+12", Int(12));
        check11("0755", Int(493));
        check11("-0755", Int(-493));
        check11("0o17", string("0o17"));
        check11("0b1010", Int(10));
        check11("-0b1_0", Int(-2));
        check11("0x1F", Int(31));
        check11("0x_1f", Int(31));
        check11("1_000", Int(1000));
        check11("1:30", Int(90));
        check11("-1:30:00", Int(-5400));
        check11("1:60", string("1:60"));
        check11("0:30", string("0:30"));
        check11("09", string("09"));
        check11("0_", Int(0));
        check11("00", Int(0));
        check11("1e3", string("1e3"));
        check11("1.0e5", string("1.0e5"));
        check11("1.0e+5", Float(100000.0));
        check11("1.e+5", Float(100000.0));
        check11("1.", Float(1.0));
        check11("1_000.5", Float(1000.5));
        check11(".5", Float(0.5));
        check11("-.5", string("-.5"));
        check11("+.5", string("+.5"));
        check11("1:30.5", Float(90.5));
        check11("-1:30.", Float(-90.0));
        check11(".inf", Float(f64::INFINITY));
        check11("-.Inf", Float(f64::NEG_INFINITY));
        check11(".NaN", Float(f64::NAN));
        check11("9223372036854775808", Float(9.223372036854776e18));
        check11("2001-12-14", string("2001-12-14"));
        check11(
            "2001-12-14t21:59:43.10-05:00",
            string("2001-12-14t21:59:43.10-05:00"),
        );
        check11(
            "2001-12-14 21:59:43.10 -5",
            string("2001-12-14 21:59:43.10 -5"),
        );
        check11("<<x", string("<<x"));
        check11("hello", string("hello"));
    }

    #[test]
    fn pyyaml_refusals() {
        for text in ["=", "<<", "0b_", "0x_"] {
            let error = plain(text.into(), Dialect::PyYaml11).expect_err(text);
            assert_eq!(error.kind, LoadErrorKind::InvalidValue, "{text}");
        }
    }

    #[test]
    fn timestamps() {
        for text in [
            "2001-12-14",
            "2001-12-14t21:59:43.10-05:00",
            "2001-12-14 21:59:43.10 -5",
            "2001-12-14T21:59:43Z",
            "2001-1-4 1:59:43",
            "2001-12-14\t21:59:43.10 Z",
        ] {
            assert!(is_pyyaml_timestamp(text), "{text}");
        }
        for text in [
            "2001-12-1",
            "2001-12-14x",
            "2001-12-14T21:59",
            "2001-12-14T21:59:43Zx",
            "01-12-14",
            "2001-12-14 21:59:43 +123",
        ] {
            assert!(!is_pyyaml_timestamp(text), "{text}");
        }
    }

    #[track_caller]
    fn check_tagged(dialect: Dialect, tag: CoreTag, text: &str, expected: Option<Yaml>) {
        assert_eq!(
            tagged(text, tag, dialect).ok(),
            expected,
            "{dialect:?} {tag:?} {text:?}"
        );
    }

    #[test]
    fn explicit_tags() {
        use Dialect::{PyYaml11, Yaml12};
        use Yaml::{Bool, Float, Int, Null};
        for dialect in [Yaml12, PyYaml11] {
            check_tagged(dialect, CoreTag::Str, "123", Some(string("123")));
            check_tagged(dialect, CoreTag::Binary, "R0lG", Some(string("R0lG")));
            check_tagged(
                dialect,
                CoreTag::Timestamp,
                "2001-12-14",
                Some(string("2001-12-14")),
            );
            check_tagged(dialect, CoreTag::Int, "12", Some(Int(12)));
            check_tagged(dialect, CoreTag::Int, "abc", None);
            check_tagged(dialect, CoreTag::Float, "1", Some(Float(1.0)));
            check_tagged(dialect, CoreTag::Float, "1e3", Some(Float(1000.0)));
            check_tagged(dialect, CoreTag::Float, "x", None);
            check_tagged(dialect, CoreTag::Bool, "true", Some(Bool(true)));
            check_tagged(dialect, CoreTag::Null, "null", Some(Null));
            check_tagged(dialect, CoreTag::Seq, "a", None);
        }
        check_tagged(PyYaml11, CoreTag::Int, "0x_1F", Some(Int(31)));
        check_tagged(Yaml12, CoreTag::Int, "0x_1F", None);
        check_tagged(PyYaml11, CoreTag::Bool, "yEs", Some(Bool(true)));
        check_tagged(Yaml12, CoreTag::Bool, "yes", None);
        check_tagged(PyYaml11, CoreTag::Null, "foo", Some(Null));
        check_tagged(Yaml12, CoreTag::Null, "foo", None);
    }
}
