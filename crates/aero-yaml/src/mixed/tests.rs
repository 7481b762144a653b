//! Differential tests of the per-document source on streams mixing documents the fast source
//! reads with documents it leaves to saphyr: the same events, spans and errors as saphyr's
//! whole-stream parser, the same `load_all` result as the saphyr-only loader, and the plain
//! documents read by the fast source.

use crate::testing::{check_fast_path, fast_byte_share};
use proptest::prelude::*;

/// A document the fast source reads.
const PLAIN: &str = "---
schema: armada/Chart/v1
metadata:
  name: ingress
  labels: {name: ingress, component: api}
data:
  values:
    - a
    - 'b'
...
";

/// The constructs of real Airship sites, one per document: the fast source reads the first
/// [`READ_FAST`] and leaves the others to saphyr.
const CONSTRUCTS: &[&str] = &[
    // Block scalars with chomping indicators.
    "---\ndata:\n  strip: |-\n    line one\n    line two\n\n  keep: >+\n    folded\n    text\n\n\n  next: 1\n",
    // A multi-line plain scalar.
    "---\ndata:\n  description: a long\n    description over\n    three lines\n  after: x\n",
    // Multi-line quoted scalars.
    "---\ndata:\n  single: 'one\n    two'\n  double: \"a\\tb\n    c\"\n",
    // Anchors, aliases and merge keys.
    "---\ndata:\n  base: &base\n    replicas: 3\n    image: x\n  service:\n    <<: *base\n    replicas: 5\n  again: *base\n",
    // Flow collections over several lines.
    "---\ndata:\n  labels: {\n    name: ingress,\n    component: api\n    }\n  list: [a,\n    b]\n",
    // Comments between keys, and inside a flow collection.
    "---\n# leading\ndata:\n  # between\n  a: 1\n# at column 0\n  b: [1, # inside\n    2]\n",
    // A root block scalar, and one with an indentation indicator.
    "--- >-\n  folded root\n---\nkey: |2\n   indented\n",
    // A tag, an escape sequence and a non-ASCII character.
    "---\ndata:\n  port: !!int \"8080\"\n  name: \"a\\tb\"\n  city: Zürich\n",
    // Anchors and aliases in a document saphyr reads (a tag), between documents with anchors
    // the fast source reads: the numbering goes on through both.
    "---\ndata:\n  a: &one !!str 1\n  b: *one\n  c: &two x\n  d: *two\n",
    // A flow mapping closed at its key's column.
    "---\ndata:\n  labels: {\n    name: ingress,\n    component: api\n  }\n",
];

/// How many of [`CONSTRUCTS`], from the first, the fast source reads.
const READ_FAST: usize = 6;

/// Documents that are not YAML, in the middle of a stream.
const MALFORMED: &[&str] = &[
    "---\ndata:\n  a: 'unclosed\n",
    "---\ndata:\n  a: 1\n b: 2\n",
    "---\ndata: [1, 2\n",
    "---\ndata: *nowhere\n",
    "---\na: 1\na: 2\n",
    "--- a\n  b: c\n",
    "...  x\n",
    "---\n\u{feff}a: 1\n",
    "---\ndata:\n  name:\tx\n",
];

#[track_caller]
fn agrees(source: &str) {
    if let Err(disagreement) = check_fast_path(source) {
        panic!("{disagreement}");
    }
}

#[test]
fn each_construct_falls_back_for_its_own_document_only() {
    for (index, construct) in CONSTRUCTS.iter().enumerate() {
        let stream = format!("{PLAIN}{construct}{PLAIN}{PLAIN}");
        agrees(&stream);
        let (fast, total) = fast_byte_share(&stream);
        // saphyr starts at the `...` line ending the document before the construct.
        let construct_read_fast = index < READ_FAST;
        assert!(
            fast + "...\n".len() >= 3 * PLAIN.len() && (fast == total) == construct_read_fast,
            "the plain documents around {construct:?} are read by the fast source: {fast} of {total} bytes"
        );
        // The construct as the first and as the last document, and ending the stream without
        // a line break.
        agrees(&format!("{construct}{PLAIN}"));
        agrees(&format!("{PLAIN}{construct}"));
        agrees(&format!("{PLAIN}{}", construct.trim_end()));
    }
}

#[test]
fn a_token_over_marker_bytes_is_not_a_document_end() {
    // The root scalar sends its document to saphyr; the empty block scalar at column 0 ends
    // that document at the token over the `---` (or `...`) bytes, which is not a marker, and
    // the whole stream fails there.
    agrees("a\n--- x\n y\n#x: x\n|\n---");
    agrees("a\n--- x\n y\n#x: x\n|\n---\nb: 1\n");
    agrees("a\n--- x\n y\n|\n...\nb: 1\n");
    agrees("... \n   \n   - [  ]\n--- x\n     *a \n     - \"open d\n#x: x\n|\n---");
}

#[test]
fn documents_ended_by_markers_of_every_kind() {
    for construct in CONSTRUCTS {
        // Implicit end at the next `---`, explicit `...`, `...` with a comment, implicit
        // documents after `...`, and several markers in a row.
        let body = construct.trim_start_matches("---\n");
        agrees(&format!("{body}---\na: 1\n"));
        agrees(&format!("{body}...\na: 1\n"));
        agrees(&format!("{body}... # end\n\n# c\na: 1\n"));
        agrees(&format!("{body}...\n...\n---\n---\na: 1\n"));
        agrees(&format!("a: 1\n...\n{body}"));
    }
}

#[test]
fn errors_in_one_document_are_the_whole_stream_errors() {
    for malformed in MALFORMED {
        agrees(&format!("{PLAIN}{malformed}{PLAIN}"));
        agrees(&format!("{PLAIN}{}{malformed}", CONSTRUCTS[3]));
        agrees(&format!("{PLAIN}{}{malformed}", CONSTRUCTS[8]));
        agrees(&format!("{malformed}{PLAIN}"));
    }
}

#[test]
fn anchors_are_numbered_through_the_stream() {
    // saphyr numbers anchors through the whole stream; each document's own parser starts at 1.
    agrees("---\na: &x 1\nb: *x\n---\nplain: 1\n---\nc: &y 2\nd: *y\ne: &x 3\nf: *x\n");
    // An alias to an anchor of an earlier document: an error either way.
    agrees("---\na: &x 1\n---\nplain: 1\n---\nb: *x\n");
    // Anchors read by the fast source, then by saphyr (a tag sends that document to it), then
    // by the fast source again.
    let fast = CONSTRUCTS[3];
    let saphyr = CONSTRUCTS[8];
    agrees(&format!(
        "{fast}{saphyr}{fast}{PLAIN}{saphyr}{saphyr}{fast}"
    ));
    agrees(&format!("{saphyr}{fast}{fast}{saphyr}"));
    // Non-ASCII text before, in and after documents saphyr reads: markers count characters.
    let wide = "---\nname: Zürich\nnote: 中文 # ü\n";
    agrees(&format!("{wide}{saphyr}{wide}{}{wide}", CONSTRUCTS[7]));
    agrees(&format!("{}{wide}{wide}", CONSTRUCTS[7]));
    // A document the fast source gives up on late, after anchors of its own.
    agrees(&format!("{fast}---\na: &p 1\nb: *p\nc: !!str x\n{fast}"));
}

#[test]
fn share_of_a_plain_stream_is_everything_and_of_an_unreadable_one_nothing() {
    let plain = PLAIN.repeat(5);
    assert_eq!(fast_byte_share(&plain), (plain.len(), plain.len()));
    let tagged = CONSTRUCTS[8].repeat(3);
    assert_eq!(fast_byte_share(&tagged), (0, tagged.len()));
}

/// A stream of documents drawn from the plain document, the constructs and the malformed
/// documents, with `...` ends or not.
fn mixed_stream() -> impl Strategy<Value = String> {
    let document = prop_oneof![
        4 => Just(PLAIN.to_owned()),
        3 => prop::sample::select(CONSTRUCTS).prop_map(str::to_owned),
        1 => prop::sample::select(MALFORMED).prop_map(str::to_owned),
        1 => Just("a: 1\nb:\n  - c\n".to_owned()),
        1 => Just("---\n".to_owned()),
    ];
    prop::collection::vec((document, prop::bool::ANY), 1..8).prop_map(|documents| {
        documents
            .into_iter()
            .map(|(document, end)| {
                if end && !document.contains("...") {
                    format!("{document}...\n")
                } else {
                    document
                }
            })
            .collect()
    })
}

/// Replaces, inserts or deletes a few bytes (ASCII, so the text stays UTF-8).
fn mutated(text: String, edits: Vec<(usize, u8, u8)>) -> String {
    let mut bytes = text.into_bytes();
    for (position, kind, byte) in edits {
        let byte = b" -:#'\"\n[]{}&*|>.\t"[usize::from(byte) % 17];
        let position = position % (bytes.len() + 1);
        match kind % 3 {
            0 if position < bytes.len() => bytes[position] = byte,
            1 if position < bytes.len() => {
                bytes.remove(position);
            }
            _ => bytes.insert(position, byte),
        }
    }
    String::from_utf8(bytes).unwrap_or_default()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(crate::testing::proptest_cases(500)))]

    #[test]
    fn mixed_streams_agree(stream in mixed_stream()) {
        if let Err(disagreement) = check_fast_path(&stream) {
            prop_assert!(false, "{}", disagreement);
        }
    }

    #[test]
    fn mutated_mixed_streams_agree(
        stream in mixed_stream(),
        edits in prop::collection::vec((0usize..2000, 0u8..3, 0u8..17), 1..4),
    ) {
        let stream = mutated(stream, edits);
        if let Err(disagreement) = check_fast_path(&stream) {
            prop_assert!(false, "{}", disagreement);
        }
    }
}
