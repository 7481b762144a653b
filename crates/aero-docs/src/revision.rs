//! Revision ids: the SHA-256 of a render's canonical form.
//!
//! The canonical form is the output documents (control documents included) sorted by
//! (schema, name), each as `{"data":…,"metadata":…,"schema":…}`, in one JSON array with
//! object keys sorted by their UTF-8 bytes and no insignificant whitespace. Secret
//! values are inside the hash (a changed password is a new revision) but the canonical
//! text itself is never printed.

use sha2::{Digest, Sha256};

use crate::render::Rendered;

/// The canonical JSON text of a render.
pub fn canonical_json(rendered: &Rendered) -> String {
    let mut documents: Vec<(String, String, serde_json::Value)> = rendered
        .output
        .iter()
        .map(|index| {
            let document = rendered.document(*index);
            (
                document.schema.clone(),
                document.name.clone(),
                rendered.document_json(*index),
            )
        })
        .collect();
    documents.sort_by(|left, right| (&left.0, &left.1).cmp(&(&right.0, &right.1)));
    let mut out = String::from("[");
    for (position, (_, _, document)) in documents.iter().enumerate() {
        if position > 0 {
            out.push(',');
        }
        write_canonical(document, &mut out);
    }
    out.push(']');
    out
}

/// The revision id: `sha256:` and the hex digest of [`canonical_json`].
pub fn revision_id(rendered: &Rendered) -> String {
    let digest = Sha256::digest(canonical_json(rendered).as_bytes());
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("sha256:{hex}")
}

/// Writes a JSON value with sorted keys and no whitespace.
pub fn write_canonical(value: &serde_json::Value, out: &mut String) {
    match value {
        serde_json::Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (position, key) in keys.iter().enumerate() {
                if position > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String((*key).clone()).to_string());
                out.push(':');
                write_canonical(&map[*key], out);
            }
            out.push('}');
        }
        serde_json::Value::Array(items) => {
            out.push('[');
            for (position, item) in items.iter().enumerate() {
                if position > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}
