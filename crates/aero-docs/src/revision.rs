//! Revision ids: the SHA-256 of a render's canonical form.
//!
//! The canonical form is the output documents (control documents included) sorted by
//! (schema, name), each as `{"data":…,"metadata":…,"schema":…}`, in one JSON array with
//! object keys sorted by their UTF-8 bytes and no insignificant whitespace. Secret
//! values are inside the hash (a changed password is a new revision) but the canonical
//! text itself is never printed.

use sha2::{Digest, Sha256};

use crate::document::DocIndex;
use crate::render::Rendered;
use crate::value::{Arena, NodeId, Value};

/// The output documents in canonical order: by (schema, name), ties in output order.
fn canonical_order(rendered: &Rendered) -> Vec<DocIndex> {
    let mut order = rendered.output.clone();
    order.sort_by(|left, right| {
        let (left, right) = (rendered.document(*left), rendered.document(*right));
        (&left.schema, &left.name).cmp(&(&right.schema, &right.name))
    });
    order
}

/// Calls `sink` with the canonical text piece by piece, one document at a time: a large
/// render is hashed without its whole canonical text (or a JSON tree of every document)
/// in memory at once.
fn write_canonical_render(rendered: &Rendered, mut sink: impl FnMut(&[u8])) {
    let mut buffer = Vec::with_capacity(4096);
    sink(b"[");
    for (position, index) in canonical_order(rendered).into_iter().enumerate() {
        buffer.clear();
        if position > 0 {
            buffer.push(b',');
        }
        let document = rendered.document(index);
        buffer.extend_from_slice(b"{\"data\":");
        write_canonical_node(&rendered.arena, rendered.data[index.get()], &mut buffer);
        buffer.extend_from_slice(b",\"metadata\":");
        write_canonical_node(&rendered.arena, document.metadata, &mut buffer);
        buffer.extend_from_slice(b",\"schema\":");
        write_json_string(&document.schema, &mut buffer);
        buffer.push(b'}');
        sink(&buffer);
    }
    sink(b"]");
}

/// The canonical JSON text of a render.
pub fn canonical_json(rendered: &Rendered) -> String {
    let mut out = Vec::new();
    write_canonical_render(rendered, |piece| out.extend_from_slice(piece));
    // Only JSON text was written, from valid UTF-8 strings.
    String::from_utf8(out).unwrap_or_default()
}

/// The revision id: `sha256:` and the hex digest of [`canonical_json`], hashed as it is
/// written.
pub fn revision_id(rendered: &Rendered) -> String {
    let mut hasher = Sha256::new();
    write_canonical_render(rendered, |piece| hasher.update(piece));
    let digest = hasher.finalize();
    let hex: String = hex::encode(digest);
    format!("sha256:{hex}")
}

/// Writes an arena subtree as [`write_canonical`] writes its JSON form
/// ([`Arena::to_json`]), without building that form.
fn write_canonical_node(arena: &Arena, id: NodeId, out: &mut Vec<u8>) {
    match arena.value(id) {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Int(number) => out.extend_from_slice(number.to_string().as_bytes()),
        Value::Float(number) => match serde_json::Number::from_f64(*number) {
            Some(number) => out.extend_from_slice(number.to_string().as_bytes()),
            None => out.extend_from_slice(b"null"),
        },
        Value::Str(text) => write_json_string(text, out),
        Value::Seq(items) => {
            out.push(b'[');
            for (position, item) in items.iter().enumerate() {
                if position > 0 {
                    out.push(b',');
                }
                write_canonical_node(arena, *item, out);
            }
            out.push(b']');
        }
        Value::Map(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_unstable_by(|left, right| left.0.cmp(right.0));
            out.push(b'{');
            for (position, (key, value)) in entries.into_iter().enumerate() {
                if position > 0 {
                    out.push(b',');
                }
                write_json_string(key, out);
                out.push(b':');
                write_canonical_node(arena, *value, out);
            }
            out.push(b'}');
        }
    }
}

/// A JSON string literal, escaped as `serde_json` escapes it.
fn write_json_string(text: &str, out: &mut Vec<u8>) {
    // Writing to a vector cannot fail, nor can serialising a string.
    let _ = serde_json::to_writer(&mut *out, text);
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
