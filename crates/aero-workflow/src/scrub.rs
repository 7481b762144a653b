//! Scrubbing of everything the store writes: text and JSON (every string, key and value,
//! so the result stays valid JSON).

use aero_redact::SharedRedactor;
use serde_json::Value;

/// `text` with every registered secret replaced by its token.
pub(crate) fn text(redactor: &SharedRedactor, text: &str) -> String {
    redactor.scrub(text)
}

/// `value` with every string (keys included) scrubbed.
pub(crate) fn json(redactor: &SharedRedactor, value: &Value) -> Value {
    let guard = redactor.read();
    scrub_value(&guard, value)
}

/// `value` scrubbed and serialized.
pub(crate) fn json_text(redactor: &SharedRedactor, value: &Value) -> String {
    json(redactor, value).to_string()
}

fn scrub_value(redactor: &aero_redact::Redactor, value: &Value) -> Value {
    match value {
        Value::String(text) => Value::String(redactor.scrub(text).into_owned()),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| scrub_value(redactor, item))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, item)| {
                    (
                        redactor.scrub(key).into_owned(),
                        scrub_value(redactor, item),
                    )
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use aero_redact::RedactionKey;

    use super::*;

    #[test]
    fn json_strings_and_keys_are_scrubbed_and_stay_json() {
        let redactor = SharedRedactor::with_key(RedactionKey::from_bytes([1; 32]));
        redactor.add_secret("s3cret-value\"quoted");
        let value = serde_json::json!({
            "password": "s3cret-value\"quoted",
            "s3cret-value\"quoted": [1, "x s3cret-value\"quoted y"],
        });
        let scrubbed = json_text(&redactor, &value);
        assert!(!scrubbed.contains("s3cret"), "{scrubbed}");
        let parsed: Value = serde_json::from_str(&scrubbed).expect("still json");
        assert_eq!(parsed["password"], redactor.token("s3cret-value\"quoted"));
    }
}
