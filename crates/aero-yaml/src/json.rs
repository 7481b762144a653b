//! Conversion of loaded nodes to the JSON model, with map keys stringified as Python's `json.dumps` does.

use crate::{Node, Yaml};
use serde_json::{Map, Number, Value};
use std::borrow::Cow;

impl Node {
    /// Converts this node to a JSON value.
    ///
    /// Map keys become strings the way Python's `json.dumps` writes them: `true`/`false`/`null`,
    /// integers in decimal, floats like Python's `repr` (`1.0`, `1e+16`, `Infinity`, `NaN`),
    /// strings as they are; a sequence or map used as a key becomes its compact JSON text.
    /// A later key with the same string replaces the earlier one's value.
    ///
    /// JSON has no infinite or NaN numbers: such values become the strings `.inf`, `-.inf`
    /// and `.nan`.
    pub fn to_json(&self) -> Value {
        yaml_to_json(&self.value)
    }
}

fn yaml_to_json(value: &Yaml) -> Value {
    match value {
        Yaml::Null => Value::Null,
        Yaml::Bool(value) => Value::Bool(*value),
        Yaml::Int(value) => Value::Number(Number::from(*value)),
        Yaml::Float(value) => match Number::from_f64(*value) {
            Some(number) => Value::Number(number),
            None => Value::String(yaml_non_finite(*value).to_owned()),
        },
        Yaml::Str(value) => Value::String(value.clone()),
        Yaml::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
        Yaml::Map(entries) => {
            let mut object = Map::with_capacity(entries.len());
            for (key, value) in entries {
                object.insert(key.key_text().into_owned(), value.to_json());
            }
            Value::Object(object)
        }
    }
}

/// The YAML spelling of a non-finite float.
fn yaml_non_finite(value: f64) -> &'static str {
    if value.is_nan() {
        ".nan"
    } else if value > 0.0 {
        ".inf"
    } else {
        "-.inf"
    }
}

impl Node {
    /// This node as a mapping key: the string Python's `json.dumps` writes for it (see
    /// [`Node::to_json`]), borrowed when the key is a string, as nearly every key is. The
    /// loader's duplicate check compares keys by this text, and a caller that keeps keys
    /// as strings must use it too, or two keys the loader kept apart could become one.
    #[inline]
    pub fn key_text(&self) -> Cow<'_, str> {
        match &self.value {
            Yaml::Str(text) => Cow::Borrowed(text),
            _ => Cow::Owned(non_string_key_text(self)),
        }
    }
}

/// [`Node::key_text`] of a key that is not a string.
#[inline(never)]
fn non_string_key_text(key: &Node) -> String {
    match &key.value {
        Yaml::Str(text) => text.clone(),
        Yaml::Null => "null".to_owned(),
        Yaml::Bool(flag) => flag.to_string(),
        Yaml::Int(value) => value.to_string(),
        Yaml::Float(value) => python_float_repr(*value),
        Yaml::Seq(_) | Yaml::Map(_) => key.to_json().to_string(),
    }
}

/// A float formatted like Python's `repr` (as `json.dumps` writes keys): shortest round-trip
/// digits, positional for exponents from -4 to 15, else `d.ddde+XX`; `Infinity`, `-Infinity`, `NaN`.
pub(crate) fn python_float_repr(value: f64) -> String {
    if value.is_nan() {
        return "NaN".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    if value == 0.0 {
        return if value.is_sign_negative() {
            "-0.0"
        } else {
            "0.0"
        }
        .to_owned();
    }
    // `{:e}` gives the shortest round-trip digits, e.g. `-1.2345e16` or `5e-7`.
    let scientific = format!("{value:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if (-4..16).contains(&exponent) {
        let positional = format!("{value}");
        if positional.contains('.') {
            positional
        } else {
            format!("{positional}.0")
        }
    } else {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Span;

    fn node(value: Yaml) -> Node {
        Node {
            value,
            span: Span::default(),
        }
    }

    #[track_caller]
    fn check_repr(value: f64, expected: &str) {
        assert_eq!(python_float_repr(value), expected);
    }

    #[test]
    fn float_repr_like_python() {
        check_repr(1.0, "1.0");
        check_repr(-0.0, "-0.0");
        check_repr(0.1, "0.1");
        check_repr(1.5, "1.5");
        check_repr(123456789.0, "123456789.0");
        check_repr(1e15, "1000000000000000.0");
        check_repr(1e16, "1e+16");
        check_repr(1.2345e16, "1.2345e+16");
        check_repr(0.0001, "0.0001");
        check_repr(0.00001, "1e-05");
        check_repr(-2.5e-10, "-2.5e-10");
        check_repr(1e300, "1e+300");
        check_repr(f64::INFINITY, "Infinity");
        check_repr(f64::NEG_INFINITY, "-Infinity");
        check_repr(f64::NAN, "NaN");
    }

    #[test]
    fn keys_are_stringified() {
        let map = node(Yaml::Map(vec![
            (node(Yaml::Null), node(Yaml::Int(1))),
            (node(Yaml::Bool(true)), node(Yaml::Int(2))),
            (node(Yaml::Int(-3)), node(Yaml::Int(3))),
            (node(Yaml::Float(2.5)), node(Yaml::Int(4))),
            (
                node(Yaml::Str("s".into())),
                node(Yaml::Float(f64::INFINITY)),
            ),
            (
                node(Yaml::Seq(vec![
                    node(Yaml::Int(1)),
                    node(Yaml::Str("a".into())),
                ])),
                node(Yaml::Float(f64::NAN)),
            ),
            (node(Yaml::Int(-3)), node(Yaml::Str("last".into()))),
        ]));
        assert_eq!(
            map.to_json(),
            serde_json::json!({
                "null": 1, "true": 2, "-3": "last", "2.5": 4, "s": ".inf", "[1,\"a\"]": ".nan"
            })
        );
        assert_eq!(
            serde_json::to_string(&map.to_json()).ok(),
            Some(r#"{"null":1,"true":2,"-3":"last","2.5":4,"s":".inf","[1,\"a\"]":".nan"}"#.into())
        );
    }
}
