//! Redacted views of rendered data: secret values become keyed tokens, strings that
//! embed a secret keep their other text.

use aero_docs::render::Rendered;
use aero_docs::value::{NodeId, Value};
use aero_redact::SharedRedactor;

/// JSON of a subtree with secret values replaced: a string that embeds a secret keeps
/// its other text (`mysql://nova:<redacted:…>@db`), a whole secret becomes its token.
pub(crate) fn redacted_tree(
    rendered: &Rendered,
    node: NodeId,
    redactor: &SharedRedactor,
    secret_above: bool,
) -> serde_json::Value {
    let secret = secret_above || rendered.arena.is_secret(node);
    match rendered.arena.value(node) {
        Value::Seq(items) => serde_json::Value::Array(
            items
                .iter()
                .map(|item| redacted_tree(rendered, *item, redactor, secret))
                .collect(),
        ),
        Value::Map(entries) => serde_json::Value::Object(
            entries
                .iter()
                .map(|(key, value)| {
                    (
                        key.to_string(),
                        redacted_tree(rendered, *value, redactor, secret),
                    )
                })
                .collect(),
        ),
        _ if !secret => rendered.arena.to_json(node),
        Value::Null => serde_json::Value::Null,
        Value::Str(text) => redacted_value(&serde_json::Value::String(text.to_string()), redactor),
        _ => serde_json::Value::String(redactor.token(&rendered.arena.python_str(node))),
    }
}

/// A value known to be (or to contain) a secret, as it may be shown: a string that
/// embeds registered secrets keeps its other text with each secret replaced by its
/// token; anything else becomes the token of its text.
pub fn redacted_value(value: &serde_json::Value, redactor: &SharedRedactor) -> serde_json::Value {
    match value {
        serde_json::Value::Null => serde_json::Value::Null,
        serde_json::Value::String(text) => {
            let scrubbed = redactor.scrub(text);
            serde_json::Value::String(if scrubbed == *text {
                redactor.token(text)
            } else {
                scrubbed
            })
        }
        other => serde_json::Value::String(redactor.token(&other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aero_redact::RedactionKey;

    #[test]
    fn embedded_secrets_keep_their_surroundings_and_whole_ones_become_tokens() {
        let redactor = SharedRedactor::with_key(RedactionKey::from_bytes([1; 32]));
        redactor.add_secret("s3cret-database-password");
        let url = serde_json::json!("mysql://nova:s3cret-database-password@db");
        let shown = redacted_value(&url, &redactor);
        assert_eq!(
            shown,
            serde_json::json!(format!(
                "mysql://nova:{}@db",
                redactor.token("s3cret-database-password")
            ))
        );
        let whole = redacted_value(&serde_json::json!("unregistered-but-secret"), &redactor);
        assert_eq!(
            whole,
            serde_json::json!(redactor.token("unregistered-but-secret"))
        );
        assert_eq!(
            redacted_value(&serde_json::json!(42), &redactor),
            serde_json::json!(redactor.token("42"))
        );
    }
}
