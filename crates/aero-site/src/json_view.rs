//! Rendered documents serialised straight from the engine's arena: the JSON text
//! `DocumentView::to_json` would give, without building a `serde_json::Value` tree per
//! document (for `aero render` of large sites, that tree cost a fifth of the run). The
//! engine has no output formats; this is the API boundary's.

use aero_docs::document::DocIndex;
use aero_docs::render::Rendered;
use aero_docs::value::{Arena, NodeId, Value};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// An arena subtree, serialised as [`Arena::to_json`] makes it: keys in insertion order,
/// a non-finite float as `null`.
#[derive(Clone, Copy)]
struct Node<'a> {
    arena: &'a Arena,
    id: NodeId,
}

impl Serialize for Node<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let node = |id: NodeId| Node {
            arena: self.arena,
            id,
        };
        match self.arena.value(self.id) {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(flag) => serializer.serialize_bool(*flag),
            Value::Int(number) => serializer.serialize_i64(*number),
            Value::Float(number) if number.is_finite() => serializer.serialize_f64(*number),
            Value::Float(_) => serializer.serialize_unit(),
            Value::Str(text) => serializer.serialize_str(text),
            Value::Seq(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&node(*item))?;
                }
                seq.end()
            }
            Value::Map(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in entries.iter() {
                    map.serialize_entry(&**key, &node(*value))?;
                }
                map.end()
            }
        }
    }
}

/// A rendered document serialised as `{"schema", "metadata", "data"}`, as
/// [`Rendered::document_json`] gives it ([`crate::DocumentView::json`]).
#[derive(Clone, Copy)]
pub struct DocumentJson<'a> {
    rendered: &'a Rendered,
    index: DocIndex,
}

impl<'a> DocumentJson<'a> {
    pub(crate) fn new(rendered: &'a Rendered, index: DocIndex) -> Self {
        DocumentJson { rendered, index }
    }
}

impl Serialize for DocumentJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let document = self.rendered.document(self.index);
        let arena = &self.rendered.arena;
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("schema", &document.schema)?;
        map.serialize_entry(
            "metadata",
            &Node {
                arena,
                id: document.metadata,
            },
        )?;
        map.serialize_entry(
            "data",
            &Node {
                arena,
                id: self.rendered.data[self.index.get()],
            },
        )?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aero_docs::mode::Mode;
    use aero_docs::render::{RenderConfig, render};
    use aero_docs::source::{SourceFile, SourceSet};

    /// Every kind of value, awkward strings, numbers and keys.
    const DOCUMENTS: &str = "---
schema: deckhand/LayeringPolicy/v1
metadata:
  schema: metadata/Control/v1
  name: layering-policy
data:
  layerOrder: [global, site]
---
schema: example/Item/v1
metadata:
  schema: metadata/Document/v1
  name: zeta
  storagePolicy: cleartext
  layeringDefinition: {abstract: false, layer: site}
data:
  z: [1, -2, 3.5, 1.0e300, -0.0, .inf, .nan, true, null, ~, 9223372036854775807]
  a: {\"é\": \"quote \\\" back \\\\ tab \\t ctl \\u0001 snow ☃ astral 😀\", B: 2, b: 1, \"\": empty}
  m: {nested: [{y: 1, x: 2}], '10': ten, '9': nine, empty: {}, none: []}
";

    /// What is written from the arena is, byte for byte, what the documents' JSON trees
    /// give, compact and pretty.
    #[test]
    fn documents_serialised_from_the_arena_are_their_json_trees() {
        let mut sources = SourceSet::new();
        sources.add(SourceFile {
            repo: String::new(),
            rel_path: "all.yaml".into(),
            path: "all.yaml".into(),
            text: std::sync::Arc::new(DOCUMENTS.to_string()),
        });
        let rendered = render(&sources, &RenderConfig::new(Mode::Aerostat));
        assert_eq!(rendered.output.len(), 2, "{:#?}", rendered.diagnostics);
        for index in &rendered.output {
            let tree = rendered.document_json(*index);
            let view = DocumentJson::new(&rendered, *index);
            assert_eq!(
                serde_json::to_string(&view).unwrap(),
                serde_json::to_string(&tree).unwrap()
            );
            assert_eq!(
                serde_json::to_string_pretty(&view).unwrap(),
                serde_json::to_string_pretty(&tree).unwrap()
            );
        }
    }
}
