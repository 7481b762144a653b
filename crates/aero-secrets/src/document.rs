//! Reading the envelope fields of a document held as a JSON value.

use serde_json::{Map, Value, json};

/// `schema` of a document.
pub fn schema(document: &Value) -> Option<&str> {
    document.get("schema").and_then(Value::as_str)
}

/// `metadata.name` of a document.
pub fn name(document: &Value) -> Option<&str> {
    document
        .get("metadata")
        .and_then(|metadata| metadata.get("name"))
        .and_then(Value::as_str)
}

/// `metadata.storagePolicy` of a document.
pub fn storage_policy(document: &Value) -> Option<&str> {
    document
        .get("metadata")
        .and_then(|metadata| metadata.get("storagePolicy"))
        .and_then(Value::as_str)
}

/// `schema/name` for messages (`?` for a missing part).
pub fn describe(document: &Value) -> String {
    format!(
        "{}/{}",
        schema(document).unwrap_or("?"),
        name(document).unwrap_or("?")
    )
}

/// A new site-layer document in Deckhand's envelope.
pub fn new_document(schema: &str, name: &str, encrypted: bool, data: Value) -> Value {
    let mut metadata = Map::new();
    metadata.insert("schema".into(), json!("metadata/Document/v1"));
    metadata.insert("name".into(), json!(name));
    metadata.insert(
        "layeringDefinition".into(),
        json!({"abstract": false, "layer": "site"}),
    );
    metadata.insert(
        "storagePolicy".into(),
        json!(if encrypted { "encrypted" } else { "cleartext" }),
    );
    json!({"schema": schema, "metadata": Value::Object(metadata), "data": data})
}
