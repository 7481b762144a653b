//! Rendered documents written as JSON text straight from the engine's arena: the text
//! `serde_json::to_writer_pretty` gives for the documents' `serde_json::Value` trees, byte
//! for byte, without building those trees. For `aero render` of large sites the trees cost
//! a fifth of the run, and serde's pretty printer then spent more on its many small writes
//! (an indentation is one write per level) than on the text itself. The engine has no
//! output formats; this is the API boundary's.

use aero_docs::document::DocIndex;
use aero_docs::render::Rendered;
use aero_docs::value::{Arena, NodeId, Value};
use std::io::{self, Write};

/// A document to write with [`write_json_documents`].
pub enum JsonDocument<'a> {
    /// A rendered document, written from the render's arena (secrets in clear).
    Rendered(DocumentJson<'a>),
    /// A document's JSON tree (a redacted one, say).
    Tree(serde_json::Value),
}

/// A rendered document as `{"schema", "metadata", "data"}`, as
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

/// Writes `documents` as one JSON array and a line end, two spaces an indentation level:
/// exactly what `serde_json::to_writer_pretty` writes for the array of the documents' JSON
/// trees. The text goes to `out` in blocks of about [`BLOCK`] bytes, so a large output is
/// never held whole.
///
/// # Errors
/// The first error of `out` (a closed pipe, a full disk); what was written before stays written.
pub fn write_json_documents<'a>(
    out: &mut dyn Write,
    documents: impl IntoIterator<Item = JsonDocument<'a>>,
) -> io::Result<()> {
    let mut text = PrettyJson {
        out,
        buffer: Vec::with_capacity(BLOCK + BLOCK / 4),
        depth: 0,
    };
    text.array(documents, |text, document| match document {
        JsonDocument::Rendered(document) => text.document(document),
        JsonDocument::Tree(tree) => text.tree(&tree),
    })?;
    text.buffer.push(b'\n');
    text.out.write_all(&text.buffer)
}

/// How much text is gathered before it is handed to the writer.
pub const BLOCK: usize = 64 * 1024;

/// Spaces for indentations, sliced; deeper levels take it more than once.
const SPACES: &[u8; 128] = &[b' '; 128];

/// The pretty printer's state: the text not yet handed over, and how deep it is.
struct PrettyJson<'w> {
    out: &'w mut dyn Write,
    buffer: Vec<u8>,
    depth: usize,
}

impl PrettyJson<'_> {
    fn document(&mut self, document: DocumentJson<'_>) -> io::Result<()> {
        let DocumentJson { rendered, index } = document;
        let envelope = rendered.document(index);
        let parts = [
            ("schema", None),
            ("metadata", Some(envelope.metadata)),
            ("data", Some(rendered.data[index.get()])),
        ];
        self.object(parts, |text, part| match part {
            None => {
                text.string(&envelope.schema);
                Ok(())
            }
            Some(node) => text.node(&rendered.arena, node),
        })
    }

    /// An arena subtree, as [`Arena::to_json`] makes it: keys in insertion order, a
    /// non-finite float as `null`.
    fn node(&mut self, arena: &Arena, id: NodeId) -> io::Result<()> {
        match arena.value(id) {
            Value::Null => self.buffer.extend_from_slice(b"null"),
            Value::Bool(flag) => self.boolean(*flag),
            Value::Int(number) => self.integer(*number),
            Value::Float(number) => self.float(*number),
            Value::Str(text) => self.string(text),
            Value::Seq(items) => {
                return self.array(items, |text, item| text.node(arena, *item));
            }
            Value::Map(entries) => {
                return self.object(
                    entries.iter().map(|(key, value)| (&**key, *value)),
                    |text, value| text.node(arena, value),
                );
            }
        }
        Ok(())
    }

    /// A JSON tree, as serde writes it.
    fn tree(&mut self, tree: &serde_json::Value) -> io::Result<()> {
        match tree {
            serde_json::Value::Null => self.buffer.extend_from_slice(b"null"),
            serde_json::Value::Bool(flag) => self.boolean(*flag),
            serde_json::Value::Number(number) => match number.as_i64() {
                Some(integer) => self.integer(integer),
                // serde's own digits for unsigned and float numbers.
                None => serde_json::to_writer(&mut self.buffer, number)?,
            },
            serde_json::Value::String(text) => self.string(text),
            serde_json::Value::Array(items) => return self.array(items, Self::tree),
            serde_json::Value::Object(entries) => {
                return self.object(
                    entries.iter().map(|(key, value)| (key.as_str(), value)),
                    Self::tree,
                );
            }
        }
        Ok(())
    }

    fn boolean(&mut self, flag: bool) {
        self.buffer
            .extend_from_slice(if flag { b"true" } else { b"false" });
    }

    fn integer(&mut self, number: i64) {
        // serde's digits, without the formatter. Cannot fail: the buffer is a vector.
        let _ = serde_json::to_writer(&mut self.buffer, &number);
    }

    /// A float with serde's digits (shortest round trip); JSON has no infinities or NaN.
    fn float(&mut self, number: f64) {
        if number.is_finite() {
            // Cannot fail: the buffer is a vector.
            let _ = serde_json::to_writer(&mut self.buffer, &number);
        } else {
            self.buffer.extend_from_slice(b"null");
        }
    }

    /// An array of `items`, each written by `item`.
    fn array<T>(
        &mut self,
        items: impl IntoIterator<Item = T>,
        item: impl FnMut(&mut Self, T) -> io::Result<()>,
    ) -> io::Result<()> {
        self.container(b'[', b']', items, item)
    }

    /// An object of `entries`, keys in their order, each value written by `value`.
    fn object<'k, T>(
        &mut self,
        entries: impl IntoIterator<Item = (&'k str, T)>,
        mut value: impl FnMut(&mut Self, T) -> io::Result<()>,
    ) -> io::Result<()> {
        self.container(b'{', b'}', entries, |text, (key, entry)| {
            text.string(key);
            text.buffer.extend_from_slice(b": ");
            value(text, entry)
        })
    }

    /// `open`, each member on a line of its own one level deeper (a comma after each but
    /// the last), and `close` on a line of its own; `[]` or `{}` when there is none.
    fn container<T>(
        &mut self,
        open: u8,
        close: u8,
        members: impl IntoIterator<Item = T>,
        mut member: impl FnMut(&mut Self, T) -> io::Result<()>,
    ) -> io::Result<()> {
        self.depth += 1;
        self.buffer.push(open);
        let mut empty = true;
        for each in members {
            if !std::mem::replace(&mut empty, false) {
                self.buffer.push(b',');
            }
            self.line_end();
            self.hand_over()?;
            member(self, each)?;
        }
        self.depth -= 1;
        if !empty {
            self.line_end();
        }
        self.buffer.push(close);
        Ok(())
    }

    /// A line end and the current indentation.
    fn line_end(&mut self) {
        self.buffer.push(b'\n');
        let mut spaces = 2 * self.depth;
        while spaces > 0 {
            let run = spaces.min(SPACES.len());
            self.buffer.extend_from_slice(&SPACES[..run]);
            spaces -= run;
        }
    }

    /// Hands the gathered text to the writer once there is a block of it, up to its last
    /// line end: standard output is line-buffered, and would otherwise write the block's
    /// tail (an indentation) in a system call of its own.
    fn hand_over(&mut self) -> io::Result<()> {
        if self.buffer.len() >= BLOCK {
            let lines = self
                .buffer
                .iter()
                .rposition(|byte| *byte == b'\n')
                .map_or(self.buffer.len(), |last| last + 1);
            self.out.write_all(&self.buffer[..lines])?;
            self.buffer.drain(..lines);
        }
        Ok(())
    }

    /// A JSON string, escaped as serde escapes it: `"` and `\`, the short forms `\b`, `\t`,
    /// `\n`, `\f`, `\r`, and `\u00XX` (lower-case hex) for the other control characters;
    /// everything else as it is.
    fn string(&mut self, text: &str) {
        let bytes = text.as_bytes();
        self.buffer.reserve(bytes.len() + 2);
        self.buffer.push(b'"');
        let mut clean_from = 0;
        let mut at = 0;
        while at < bytes.len() {
            // Eight bytes at a time while none of them needs an escape: text is mostly
            // clean. A shorter tail is checked as a word too, padded with a clean byte.
            let mut word = [b'a'; 8];
            let take = (bytes.len() - at).min(8);
            word[..take].copy_from_slice(&bytes[at..at + take]);
            if !needs_escape(u64::from_le_bytes(word)) {
                at += take;
                continue;
            }
            let byte = bytes[at];
            at += 1;
            let escape: &[u8] = match byte {
                b'"' => b"\\\"",
                b'\\' => b"\\\\",
                0x08 => b"\\b",
                b'\t' => b"\\t",
                b'\n' => b"\\n",
                0x0c => b"\\f",
                b'\r' => b"\\r",
                0x00..=0x1f => &[
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[usize::from(byte >> 4)],
                    HEX[usize::from(byte & 0xf)],
                ],
                _ => continue,
            };
            self.buffer.extend_from_slice(&bytes[clean_from..at - 1]);
            self.buffer.extend_from_slice(escape);
            clean_from = at;
        }
        self.buffer.extend_from_slice(&bytes[clean_from..]);
        self.buffer.push(b'"');
    }
}

/// Whether any of the eight bytes of `word` is a control character, `"` or `\` (exact for
/// "any"; bytes of multi-byte characters never count).
fn needs_escape(word: u64) -> bool {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_le_bytes([0x80; 8]);
    let below_space = word.wrapping_sub(ONES * 0x20) & !word;
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    let has_zero = |value: u64| value.wrapping_sub(ONES) & !value;
    (below_space | has_zero(quote) | has_zero(backslash)) & HIGH != 0
}

const HEX: &[u8; 16] = b"0123456789abcdef";

#[cfg(test)]
mod tests {
    use super::*;
    use aero_docs::mode::Mode;
    use aero_docs::render::{RenderConfig, render};
    use aero_docs::source::{SourceFile, SourceSet};
    use proptest::prelude::*;

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
  a: {\"é\": \"quote \\\" back \\\\ tab \\t ctl \\u0001 del \\x7f snow ☃ astral 😀\", B: 2, b: 1, \"\": empty}
  m: {nested: [{y: 1, x: 2}], '10': ten, '9': nine, empty: {}, none: []}
";

    fn rendered_example() -> Rendered {
        let mut sources = SourceSet::new();
        sources.add(SourceFile {
            repo: String::new(),
            rel_path: "all.yaml".into(),
            path: "all.yaml".into(),
            text: std::sync::Arc::new(DOCUMENTS.to_string()),
        });
        let rendered = render(&sources, &RenderConfig::new(Mode::Aerostat));
        assert_eq!(rendered.output.len(), 2, "{:#?}", rendered.diagnostics);
        rendered
    }

    /// What `serde_json::to_writer_pretty` writes for `trees`, and the line end after it.
    fn serde_text(trees: &[serde_json::Value]) -> String {
        serde_json::to_string_pretty(trees).unwrap() + "\n"
    }

    fn written<'a>(documents: impl IntoIterator<Item = JsonDocument<'a>>) -> String {
        let mut out = Vec::new();
        write_json_documents(&mut out, documents).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// What is written from the arena is, byte for byte, what serde writes for the
    /// documents' JSON trees; and so is what is written from the trees themselves.
    #[test]
    fn documents_written_from_the_arena_are_serdes_text_of_their_trees() {
        let rendered = rendered_example();
        let trees: Vec<_> = rendered
            .output
            .iter()
            .map(|index| rendered.document_json(*index))
            .collect();
        let from_arena = written(
            rendered
                .output
                .iter()
                .map(|index| JsonDocument::Rendered(DocumentJson::new(&rendered, *index))),
        );
        assert_eq!(from_arena, serde_text(&trees));
        assert!(from_arena.contains(r#""quote \" back \\ tab \t ctl \u0001 del "#));
        let from_trees = written(trees.iter().cloned().map(JsonDocument::Tree));
        assert_eq!(from_trees, serde_text(&trees));
    }

    #[test]
    fn no_documents_are_an_empty_array() {
        assert_eq!(written([]), "[]\n");
    }

    /// Output larger than a block reaches the writer in several writes, all of it, in order.
    #[test]
    fn large_output_is_handed_over_in_blocks() {
        struct Writes(Vec<usize>, Vec<u8>);
        impl Write for Writes {
            fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
                self.0.push(bytes.len());
                self.1.extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let tree = serde_json::json!({
            "items": (0..20_000).map(|n| format!("item number {n}")).collect::<Vec<_>>()
        });
        let mut writes = Writes(Vec::new(), Vec::new());
        write_json_documents(&mut writes, [JsonDocument::Tree(tree.clone())]).unwrap();
        assert!(writes.0.len() > 3, "{:?}", writes.0);
        assert!(
            writes.0.iter().all(|size| *size < 2 * BLOCK),
            "{:?}",
            writes.0
        );
        assert_eq!(String::from_utf8(writes.1).unwrap(), serde_text(&[tree]));
    }

    /// A writer's error ends the output and is returned.
    #[test]
    fn a_failing_writer_stops_the_output() {
        struct Closed;
        impl Write for Closed {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let tree = serde_json::json!(["x".repeat(3 * BLOCK)]);
        let error = write_json_documents(&mut Closed, [JsonDocument::Tree(tree)]).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::BrokenPipe);
    }

    /// The eight-byte check agrees with the byte-wise one for every byte in every
    /// position, next to clean bytes and next to multi-byte characters' bytes.
    #[test]
    fn the_word_check_finds_exactly_the_bytes_that_need_an_escape() {
        for filler in [b'a', 0xc3, 0xff, 0x7f] {
            for byte in 0..=u8::MAX {
                for position in 0..8 {
                    let mut word = [filler; 8];
                    word[position] = byte;
                    let expected = byte < 0x20 || byte == b'"' || byte == b'\\';
                    assert_eq!(
                        needs_escape(u64::from_le_bytes(word)),
                        expected,
                        "byte {byte:#x} at {position} among {filler:#x}"
                    );
                }
            }
        }
    }

    /// JSON trees of any shape: every control character, non-ASCII text, integers at the
    /// edges, floats of every magnitude, empty and nested containers.
    fn json_tree() -> impl Strategy<Value = serde_json::Value> {
        let text = || proptest::string::string_regex("[\\x00-\\x7f\"\\\\é☃😀 a-z]{0,40}").unwrap();
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<f64>()
                .prop_filter("JSON numbers are finite", |number| number.is_finite())
                .prop_map(serde_json::Value::from),
            text().prop_map(serde_json::Value::String),
        ];
        leaf.prop_recursive(5, 64, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
                prop::collection::vec((text(), inner), 0..6)
                    .prop_map(|entries| serde_json::Value::Object(entries.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Any tree, put into an arena and written from there, is serde's text of it.
        #[test]
        fn any_tree_written_from_an_arena_is_serdes_text(tree in json_tree()) {
            let mut rendered = rendered_example();
            let index = rendered.output[1];
            let origin = rendered.arena.node_origin(rendered.data[index.get()]);
            let root = rendered.arena.from_json(&tree, origin, 1, 1);
            rendered.data[index.get()] = root;
            let expected = serde_text(&[rendered.document_json(index)]);
            let document = JsonDocument::Rendered(DocumentJson::new(&rendered, index));
            prop_assert_eq!(written([document]), expected);
            prop_assert_eq!(written([JsonDocument::Tree(tree.clone())]), serde_text(&[tree]));
        }
    }
}
