//! Differential tests: wherever the fast source accepts an input, its events and spans must be
//! saphyr's, and `load_all` must load what the saphyr-only loader loads.

use crate::testing::{FastPath, check_fast_path};
use proptest::prelude::*;
use std::path::{Path, PathBuf};

#[track_caller]
fn check(source: &str, expected: FastPath) {
    match check_fast_path(source) {
        Ok(path) => assert_eq!(path, expected, "{source:?}"),
        Err(disagreement) => panic!("{disagreement}"),
    }
}

#[track_caller]
fn accepted(source: &str) {
    check(source, FastPath::Accepted);
}

#[track_caller]
fn unsupported(source: &str) {
    check(source, FastPath::Unsupported);
}

/// Checks agreement on `source`, then on every prefix of it cut at a line end and with its
/// last line cut short, and without its final newline.
#[track_caller]
fn agrees_with_prefixes(source: &str) -> FastPath {
    let path = check_fast_path(source).unwrap_or_else(|disagreement| panic!("{disagreement}"));
    for (cut, _) in source.match_indices('\n') {
        for end in [cut, cut + 1, cut.saturating_sub(1)] {
            if let Some(prefix) = source.get(..end)
                && let Err(disagreement) = check_fast_path(prefix)
            {
                panic!("{disagreement}");
            }
        }
    }
    path
}

#[test]
fn block_collections() {
    accepted("a: 1\n");
    accepted("a: 1\nb:\n  - x\n  - y: 2\n    z: 3\nc: \n...\n---\nfoo\n");
    accepted("a:\n  b:\n    c: d\n  e: f\ng: h\n");
    accepted("a:\n- x\n- y\nb: 1\n");
    accepted("a:\n  - x\n  - y\nb: 1\n");
    accepted("x:\n  a:\n  - 1\nb: 2\n");
    accepted("- a\n- b\n");
    accepted("- - x\n  - y\n- z\n");
    accepted("- - - x\n");
    accepted("-\n  a: 1\n");
    accepted("-\n a: 1\n");
    accepted("- a: 1\n  b: 2\n- c: 3\n");
    accepted("-   a: 1\n    b: 2\n");
    accepted("- a:\n  - x\n");
    accepted("- a:\n   - x\n");
    accepted("- a:\n- b\n");
    accepted("-\n- \n-  # c\n- x\n");
    accepted("-\n  - x\n");
    accepted("a:\n-\n  b: 1\n-\nc:\n");
    accepted("a:\n  b\nc: 1\n");
    accepted("a:\n  'b'\nc: 1\n");
    accepted("a:\n  []\n");
    accepted("  a: 1\n  b: 2\n");
    accepted("  - 1\n  - 2\n");
    accepted(&(0..40).fold(String::new(), |text, depth| {
        format!("{text}{}k{depth}:\n", " ".repeat(depth * 2))
    }));
    accepted(&(0..40).fold(String::new(), |text, depth| {
        format!("{text}{}- k{depth}:\n", " ".repeat(depth * 4))
    }));
}

#[test]
fn plain_scalars() {
    accepted("url: http://x:80/a\n");
    accepted("a: b # c\n");
    accepted("a: b#c\n");
    accepted("a: b   \n");
    accepted("a   : b\n");
    accepted("a:b: c\n");
    accepted("-a: 1\n:a: 2\n?a: 3\n");
    accepted("a: -1\nb: ---\nc: ...\nd: :x\n");
    accepted("a: x [y] {z}, w\n");
    accepted("---a\n");
    accepted("...a\n");
    accepted("a: 1\nb: 1.5\nc: true\nd: null\ne: ~\nf: 0755\ng: 2001-12-14\nh: <<\n");
    accepted("a: b\n  # indented comment\nc: d\n");
    accepted("a: b # c\n\nd: e\n");
    accepted("last: line");
    accepted("last: line   ");
    accepted("last:");
    accepted("- last");
    accepted("-");
    accepted(&format!("{}: v\n", "k".repeat(1000)));
    unsupported(&format!("{}: v\n", "k".repeat(1030)));
    accepted(&format!("k: {}\n", "v".repeat(5000)));
}

#[test]
fn quoted_scalars() {
    accepted("a: 'it''s'\n");
    accepted("a: ''''\n");
    accepted("a: ''\nb: \"\"\n");
    accepted("a: ' x  y '\n");
    accepted("a: 'x'  # c\n");
    accepted("a: \"x\"   \n");
    accepted("'a': 1\n\"b\" : 2\n'c':\n  - 'd'\n");
    accepted("- 'a': 'b'\n");
    accepted("- \"x: y # z\"\n");
    accepted("a: \"a'b\"\nb: 'a\"b'\n");
    accepted("a: \"a\\tb\"\n");
    accepted("a: \"a\\\"b\"\n");
    accepted("a: 'x\n  y'\n");
    unsupported("a: 'x'#c\n");
    unsupported("a: 'x' y\n");
    unsupported("a: 'x':y\n");
}

#[test]
fn escapes_in_double_quoted_scalars() {
    for escape in [
        "\\0",
        "\\a",
        "\\b",
        "\\t",
        "\\n",
        "\\v",
        "\\f",
        "\\r",
        "\\e",
        "\\ ",
        "\\\"",
        "\\/",
        "\\\\",
        "\\N",
        "\\_",
        "\\L",
        "\\P",
        "\\x41",
        "\\x7f",
        "\\u00e9",
        "\\u2028",
        "\\U0001F600",
        "\\U0010FFFF",
        "\\xfF",
    ] {
        accepted(&format!(
            "a: \"x{escape}y\"\nb: \"{escape}\"\n\"k{escape}\": 1\nc:\n- \"{escape}\"\n"
        ));
    }
    // What saphyr refuses, or reads differently: left to it.
    for escape in ["\\q", "\\x4", "\\x4g", "\\uD800", "\\U00110000", "\\u12"] {
        unsupported(&format!("a: \"x{escape}y\"\n"));
    }
    unsupported("a: \"x\\");
    accepted("a: \"\\\\\"\n");
    accepted("a: \"x\\\\\"  # c\n");
}

#[test]
fn multi_line_quoted_scalars() {
    accepted("a: 'one\n  two'\nb: 1\n");
    accepted("a: \"one\n  two\"\nb: 1\n");
    accepted("a: \"one  \n    two  \n   three\"\nb: 1\n");
    accepted("a: \"one\n\n  two\n\n\n  three\"\n");
    accepted("a: \"one\n   \n  two\"\n");
    accepted("a: \"\n  two\n  \"\n");
    accepted("a: \"one\\\n  two\"\n");
    accepted("a: \"one \\\n    two\"\n");
    accepted("a: \"one\\\n\n  two\"\n");
    accepted("a: \"one\\t\n  \\ttwo\\\n  \\  three\"\n");
    accepted("a: 'it''s\n  ''quoted'''\n");
    accepted("a: \"x: y # z\n  - w\"  # c\nb: 1\n");
    accepted("a: \"one\n  two\"   \n");
    accepted("- \"one\n  two\"\n- 'three\n  four'\n");
    accepted("- a: \"one\n    two\"\n  b: 1\n");
    accepted("a:\n  \"one\n  two\"\nb: 1\n");
    accepted("a:\n  - \"one\n    two\"\n");
    accepted("a:\n- \"one\n  two\"\n");
    accepted("a: \"one\n  two\"");
    accepted("a: \"one\n  ...\n  ---\"\n");
    // Continuation lines not deeper than the collection, document markers and the end of
    // the stream inside: saphyr's (most are errors).
    unsupported("a: \"one\ntwo\"\n");
    unsupported("a:\n  b: 'one\n  two'\n");
    unsupported("a: \"one\n---\n\"\n");
    unsupported("a: \"one\n...\n\"\n");
    unsupported("a: \"one\n  two\n");
    unsupported("a: \"one\n  two");
    unsupported("a: \"one\\\n");
    unsupported("\"one\n two\"\n");
    unsupported("--- \"one\n two\"\n");
    unsupported("a: \"one\n  two\": 1\n");
    unsupported("a: \"one\n  two\" x\n");
    unsupported("\"one\n  two\": 1\n");
    unsupported("a: [\"one\n  two\"]\n");
    unsupported("a: \"one\n\t two\"\n");
}

#[test]
fn first_unreadable_byte_is_found_in_and_across_chunks() {
    use crate::fast::first_unreadable_byte;
    // What the chunked scan must agree with: the first control byte but `\n`, `DEL` or byte
    // order mark from `from` on.
    let naive = |text: &str, from: usize| {
        text.char_indices()
            .find(|&(at, character)| {
                at >= from
                    && ((character < ' ' && character != '\n')
                        || character == '\u{7f}'
                        || character == '\u{feff}')
            })
            .map_or(text.len(), |(at, _)| at)
    };
    let plain = "key: value é 中\n".repeat(20);
    for bad in ["\t", "\r", "\u{0}", "\u{7f}", "\u{feff}", "\u{1b}"] {
        for position in [0, 1, 62, 63, 64, 65, 127, 128, 150, plain.len()] {
            let Some((head, tail)) = plain.split_at_checked(position) else {
                continue;
            };
            let text = format!("{head}{bad}{tail}");
            for from in [0, 1, 63, 64, 100, text.len()] {
                if text.is_char_boundary(from) {
                    assert_eq!(
                        first_unreadable_byte(text.as_bytes(), from),
                        naive(&text, from),
                        "{bad:?} at {position}, from {from}"
                    );
                }
            }
        }
    }
    // Bytes of other characters that look like the start of a byte order mark.
    let lookalike = "a: \u{f000}\u{fe00}\u{ef}b\n".repeat(30);
    assert_eq!(
        first_unreadable_byte(lookalike.as_bytes(), 0),
        lookalike.len()
    );
    assert_eq!(first_unreadable_byte(b"", 0), 0);
    assert_eq!(first_unreadable_byte(b"ab", 5), 2);
}

#[test]
fn non_ascii_text() {
    // Markers count characters: every marker after a non-ASCII character, on its line and the
    // lines after it, is shifted.
    accepted("a: é\nb: 1\n");
    accepted("é: ü\nñ: [ß, 'œ', \"ø\"]  # ç\nx: 1\n");
    accepted("# коммент\nkey: значение  # 注释\nnext: 😀 and 😀\n");
    accepted("- 中文\n- 'it''s 中文'\n- \"中\\t文\"\n- x: 文\n  y: 文\n");
    accepted("a: |\n  ünïcödé\n  ☃\nb: >-\n  😀\n  😀\nc: 1\n");
    accepted("a: éé\n  ü continued\nb: 'é\n  ü'\nc: \"é\\\n  ü\"\nd: {\n  é: ü,\n  ß: 1\n  }\n");
    accepted("a: &x é\nb: *x\n");
    accepted("a: x\u{85}y\nb: x\u{2028}y\nc: \u{a0}\n");
    accepted("---\na: ü\n...\n---\nb: ü\n");
    accepted(&"ключ: значение\n".repeat(50));
    // A byte order mark inside a document, and anchors with non-ASCII names: saphyr's.
    unsupported("\u{feff}a: b\n");
    unsupported("a: b\u{feff}\n");
    unsupported("a: &é 1\nb: *é\n");
}

#[test]
fn multi_line_flow_collections() {
    accepted("a: {\n  b: c,\n  d: e\n }\nf: 1\n");
    accepted("a: {\n    b: c,\n    d: e\n  }\n");
    accepted("x:\n  a: {\n    b: c,\n    d: e\n   }\n  f: 1\n");
    accepted("x:\n  a: {\n    b: c,\n    d: e\n    }\n");
    accepted("a: [b,\n  c]\nd: [\n  e, f,\n  g\n  ]\n");
    accepted("a: [  # c\n  b,   # d\n\n  # e\n# f\n  c  # g\n  ]  # h\nz: 1\n");
    accepted("a: [\n  [b, c],\n  {d: e,\n   f: g},\n  'h',\n  \"i\"\n  ]\n");
    accepted("a: [\n  'b' ,\n  \"c\"\n  ]\n");
    accepted("a: {\n  b: [1,\n    2],\n  c: {d: e}\n  }\n");
    accepted("a: {\n  b: c,\n  }\n");
    accepted("a: [\n  b,\n  ]\n");
    accepted("- [a,\n  b]\n- {c: d,\n   e: f}\n");
    accepted("- a: [b,\n    c]\n  d: 1\n");
    accepted("a: &x {\n  b: c\n  }\nd: *x\n");
    accepted("a: {\n  b: c\n  }");
    accepted("a: {\n  b: c\n  } # end\n");
    accepted("a: {\n  'b': c,\n  \"d\": 'e'\n  }\n");
    // A closing bracket at the collection's column: saphyr takes it or not, depending on
    // what came before it in the flow collection. Left to it.
    unsupported("a: {\n  b: c\n}\n");
    unsupported("x:\n  a: [b,\n    c\n  ]\n");
    unsupported("   -\n    [ # c: x\n   ]\n# comment");
    unsupported("   -\n    [ x\n   ]\n");
    // At the root, keys or values on another line than their `:`, a plain scalar going on over
    // lines, lines not deeper than the block, markers and the end of the stream inside:
    // saphyr's.
    unsupported("[a,\n b]\n");
    unsupported("--- [a,\n b]\n");
    unsupported("a: {b\n  : c}\n");
    unsupported("a: {b:\n  c}\n");
    unsupported("a: {b: # c\n  d}\n");
    unsupported("a: [b\n  c]\n");
    unsupported("a: [b # c\n  d]\n");
    unsupported("x:\n  a: [\n  b]\n");
    unsupported("x:\n  a: [\n b]\n");
    unsupported("a: [\nb]\n");
    unsupported("a: [\n---\n]\n");
    unsupported("a: [\n  b,\n");
    unsupported("a: [\n  b");
    unsupported("a: {\n  b,\n  c: d}\n");
    unsupported("a: [b,#c\n  d]\n");
    unsupported("a: [b,\n  c] x\n");
    unsupported("a: [b,\n  c]: x\n");
    unsupported("a: [b,\n\t c]\n");
}

#[test]
fn multi_line_plain_scalars() {
    accepted("a: one\n  two\nb: 1\n");
    accepted("a: one\n two\n  three   \n    four\nb: 1\n");
    accepted("a: one\n\n  two\n\n\n  three\nb: 1\n");
    accepted("a: one\n  \n  two\n");
    accepted("- a: one\n \n    two\n");
    accepted("- a: one\n\n    two\n");
    accepted("- a: one\n \n");
    accepted("- a: one\n ");
    accepted("- a: one\n\n");
    accepted("a: one\n  two\n  # comment\nb: 1\n");
    accepted("a: one\n  two\n# comment\nb: 1\n");
    accepted("a: one  \n  two");
    accepted("a: one\n  two\n");
    accepted("a: one\n  - two\n  [x] {y} 'z' \"w\" &a *b !c |d >e %f @g `h ?i ,j\n");
    accepted("a: one\n  two:three x#y\n  ... --- -\n");
    accepted("- one\n  two\n- three\n   four\n");
    accepted("- - one\n    two\n");
    accepted("- a: one\n    two\n  b: 1\n");
    accepted("a:\n  one\n  two\nb: 1\n");
    accepted("a:\n- one\n  two\n- three\n");
    accepted("a:\n  - one\n    two\n");
    accepted("a: b # comment\nc: d\n");
    // A comment after the first or a later line with continuation after it, a key or comment
    // inside a continuation line, lines not deeper than the collection: saphyr's.
    unsupported("a: one # c\n  two\n");
    unsupported("a: one\n  two # c\n  three\n");
    unsupported("a: one\n  two: x\n");
    unsupported("a: one\n  two:\n");
    unsupported("a:\n  one\n  two: x\n");
    unsupported("- a: one\n  two\n");
    unsupported("one\ntwo\n");
    unsupported("--- one\n two\n");
    unsupported("a: one\n  two\n  # c\n  three\n");
    unsupported("a: one\n\ttwo\n");
}

#[test]
fn anchors_and_aliases() {
    accepted("a: &x 1\nb: *x\n");
    accepted("a: &x-1.y_z 'q'\nb: *x-1.y_z  # c\n");
    accepted("a: &x\n  b: 1\nc: *x\n");
    accepted("a: &x\n  - 1\nc: *x\n");
    accepted("a: &x\n- 1\n- 2\nc: *x\n");
    accepted("a: &x # c\n  b: 1\n");
    accepted("a: &x\nb: 1\nc: *x\n");
    accepted("a: &x\n");
    accepted("a: &x");
    accepted("a: &x   ");
    accepted("a: &x\n...\n");
    accepted("a: &x\n---\nb: 1\n");
    accepted("a: &x [1, 2]\nb: &y {c: d}\ne: *x\n");
    unsupported("a: &x 1\ne: [*x]\n");
    accepted("a: &x |\n  text\nb: &y >-\n  folded\n  text\nc: *y\n");
    accepted("a: &x one\n  two\nb: *x\n");
    accepted("a: &x \"one\n  two\"\nb: *x\n");
    accepted("- &x 1\n- *x\n- &y\n  a: 1\n- &z\n  - 2\n- &w\n- *w\n");
    accepted("- &x\n- b\n");
    accepted("- &x # c\n  a: 1\n");
    accepted("a: &x 1\nb: &x 2\nc: *x\n");
    accepted("base: &base\n  replicas: 3\nservice:\n  <<: *base\n  replicas: 5\n");
    accepted("a:\n  <<: &m {b: 1}\n  c: 2\nd: *m\n");
    accepted("x: &x 1\na:\n  *x\n");
    accepted("x: &x 1\na:\n  - *x\n  - *x\n");
    unsupported("- &a - x\n");
    unsupported("a: &x &y 1\n");
    unsupported("a: &x *y\n");
    // Anchors at the root, before keys, names saphyr reads differently, aliases as keys, of
    // unknown or other documents' anchors: saphyr's.
    unsupported("a: *y\n");
    unsupported("a: &x 1\n---\nb: *x\n");
    unsupported("a: *x\nb: &x 1\n");
    unsupported("- &x a: 1\n");
    unsupported("a: &x b: 1\n");
    unsupported("&x\na: 1\n");
    unsupported("--- &x\na: 1\n");
    unsupported("a: &x:y 1\n");
    unsupported("a: &x#y 1\n");
    unsupported("a: &x,y 1\n");
    unsupported("a: &\n");
    unsupported("a: & x\n");
    unsupported("x: &x 1\n*x : 2\n");
    unsupported("x: &x 1\n*x: 2\n");
    unsupported("x: &x 1\na: *x b\n");
    unsupported("x: &x 1\na: *x, b\n");
    unsupported("a: [&x a, *x]\n");
    unsupported("a: &é 1\n");
}

#[test]
fn documents() {
    accepted("");
    accepted("\n\n");
    accepted("# only a comment\n");
    accepted("# only a comment");
    accepted("---\n");
    accepted("---");
    accepted("--- \n");
    accepted("--- # comment\n");
    accepted("---\n---\n");
    accepted("---\n...\n");
    accepted("...\n");
    accepted("...\n...\na: 1\n");
    accepted("--- value\n");
    accepted("--- 'value'  # c\n");
    accepted("--- []\n");
    accepted("--- {}  # c\n...\n");
    accepted("a: 1\n---\nb: 2\n");
    accepted("a: 1\n...\nb: 2\n");
    accepted("a: 1\n... # end\n# between\n---\nb: 2\n...\n");
    accepted("a:\n---\n- x\n-\n...\n");
    accepted("---\n# c\n---\nfoo\n");
    accepted("foo\n---\n'bar'\n---\n[]\n");
    accepted("---\na: 1\n");
    accepted("\n\n# c\n\n  a: 1\n");
    unsupported("--- a: b\n");
    unsupported("--- - a\n");
    unsupported("--- foo\nbar\n");
    unsupported("foo\nbar\n");
    unsupported("... x\n");
    unsupported("%YAML 1.2\n---\na: 1\n");
}

#[test]
fn block_scalars() {
    for header in ["|", "|-", "|+", ">", ">-", ">+"] {
        for body in [
            "  text\n",
            "  text",
            "  a\n  b\n",
            "  a\n\n  b\n\n\n",
            "  a\n   more\n  b\n",
            "  a\n  b\n   \n",
            "  a\n  b\n     ",
            "  a\n  b\n  ",
            "\n\n  a\n",
            "   \n  a\n",
            "  \n   \n",
            "",
            "\n",
            "  # not a comment\n  x\n",
            "  a  \n    b\n  c\n\n  d\n",
        ] {
            for after in ["", "b: 1\n", "# c\nb: 1\n", "...\n", "---\nx\n", " b: 1\n"] {
                agrees_with_prefixes(&format!("a: {header}\n{body}{after}"));
                agrees_with_prefixes(&format!("- {header} # c\n{body}{after}"));
                agrees_with_prefixes(&format!("- a: {header}\n{body}{after}"));
                agrees_with_prefixes(&format!("--- {header}\n{body}{after}"));
                agrees_with_prefixes(&format!("x:\n  y: {header}\n  {body}{after}"));
            }
        }
    }
    accepted("a: |\n  text\n");
    accepted("a: >-\n  text\nb: 1\n");
    accepted("k:\n  - |\n    -----BEGIN X-----\n    YWdl\n    -----END X-----\n  - x\n");
    accepted("--- |\n  text\n");
    unsupported("a: |x\n  text\n");
    unsupported("a: |#c\n  text\n");
}

#[test]
fn empty_flow_collections() {
    accepted("a: []\nb: {}\n");
    accepted("a: [] # c\nb: {}   \n");
    accepted("- []\n- {}\n");
    accepted("[]\n");
    accepted("a: [ ]\nb: {  }  # c\n");
    unsupported("[]: a\n");
    unsupported("a: []x\n");
}

#[test]
fn flow_sequences() {
    accepted("layerOrder: [global, type, site]\n");
    accepted("days: [tue, thu]\n");
    accepted("a: [1]\n");
    accepted("a: [ a , b ]   # c\n");
    accepted("a: [a,b,c]\n");
    accepted("a: [a b, c d  ,e]\n");
    accepted("a: [a,]\nb: [a , ]\n");
    accepted("a: ['x', \"y\" , 'it''s', '', \"\"]\n");
    accepted("a: ['a, b', \"[c]\", '{d}: e']\n");
    accepted("a: [x:y, http://h:80/p, a#b, -1, a-b]\n");
    accepted("a: [[], {}, [[a]], [a, [b, c]]]\n");
    accepted("- [a, b]\n- [c]\n");
    accepted("- - [a]\n  - [b, c]\n");
    accepted("- a: [x]\n  b: [y, z]\n");
    accepted("[a, b]\n");
    accepted("--- [a, b]\n...\n");
    accepted("--- [a, b] # c\n");
    accepted("a:\n  [x, y]\nb: 1\n");
    accepted("a:\n- [x]\n- [y]\n");
    accepted("k: [a]");
    accepted("k: [a]   ");
    accepted(&format!("k: [{}]\n", vec!["v"; 600].join(", ")));
    accepted(&format!("k: {}{}\n", "[".repeat(60), "]".repeat(60)));
    unsupported(&format!("k: {}{}\n", "[".repeat(70), "]".repeat(70)));
    unsupported("a: [a, b\n  c]\n");
    accepted("a: [\n  b]\n");
    accepted("a: [a, # c\n  b]\n");
    unsupported("a: [a: b]\n");
    unsupported("a: [? a]\n");
    unsupported("a: [&x a, *x]\n");
    unsupported("a: [!!str a]\n");
    unsupported("[a]: b\n");
    unsupported("- [a]: b\n");
    unsupported("a: [a] b\n");
    unsupported("a: [a]x\n");
    unsupported("a: [a]#c\n");
    accepted("a: [\"a\\tb\", \"\\u00e9\\x41\\U0001F600\"]\n");
    unsupported("a: [\"a\\qb\"]\n");
    unsupported("a: [\"a\n  b\"]\n");
    // Malformed: saphyr reports these.
    unsupported("a: [,]\n");
    unsupported("a: [a,,b]\n");
    unsupported("a: [a}\n");
    unsupported("a: [a]]\n");
    unsupported("a: [-]\n");
    unsupported("a: [a -]\n");
    unsupported("a: ['a' b]\n");
}

#[test]
fn flow_mappings() {
    accepted("labels: {name: x, component: y}\n");
    accepted("parentSelector: {key1: value1}\n");
    accepted("a: {b: 1}\n");
    accepted("a: {  b : 1 ,c:  2  }  # c\n");
    accepted("a: {b: 1,}\nc: {d: 2 , }\n");
    accepted("a: {'b': 'c', \"d\" : \"e\", 'f' : g}\n");
    accepted("a: {b: [c, d], e: {f: g}, h: []}\n");
    accepted("a: {b: , c: }\n");
    accepted("a: {b: }\n");
    accepted("a: {b}\nc: {d, e , f}\n");
    accepted("a: {b, c: d,}\n");
    accepted("a: {b: c d, e: x:y, f: http://h:80/p}\n");
    accepted("actions: [{method: merge, path: .}]\n");
    accepted("- {a: 1}\n- {b: [x]}\n");
    accepted("{a: 1}\n");
    accepted("--- {a: 1}\n");
    accepted("- a: {b: c}\n  d: {e: f}\n");
    accepted("k: {a: b}");
    accepted("a: {b:c}\n");
    unsupported("a: {b:}\n");
    unsupported("a: {b: [c], [d]: e}\n");
    unsupported("a: {{b: c}: d}\n");
    unsupported("a: {\"b\":c}\n");
    unsupported("a: {? b: c}\n");
    accepted("a: {b: c\n  }\n");
    unsupported("{a: 1}: b\n");
    unsupported("a: {b: &x c}\n");
    // Malformed: saphyr reports these.
    unsupported("a: {,}\n");
    unsupported("a: {b: c d: e}\n");
    unsupported("a: {b: c]\n");
}

#[test]
fn unsupported_constructs() {
    unsupported("--- &x 1\n");
    unsupported("&x a: 1\n");
    unsupported("a: !x 1\n");
    unsupported("a: !!str 1\n");
    unsupported("? a\n: b\n");
    unsupported("a: |2\n  text\n");
    unsupported("--- |\ntext\n");
    unsupported("a:\tb\n");
    unsupported("a: b\r\n");
    unsupported("\u{feff}a: b\n");
    unsupported("a: b\0\n");
    unsupported("a: @b\n");
    unsupported("a: `b\n");
    unsupported("a: b: c\n");
    unsupported("a: - b\n");
}

#[test]
fn malformed_input_is_left_to_saphyr() {
    unsupported("a: 1\n- b\n");
    unsupported("- a\nb: 1\n");
    unsupported("a:\n  b: 1\n c: 2\n");
    unsupported("a: 1\n  b: 2\n");
    unsupported("- a # c\n  b: 1\n");
    unsupported("a\nb: 1\n");
    unsupported("a: 'unclosed\n");
    unsupported("a: \"unclosed\n");
    unsupported("a: ]\n");
    unsupported("a: ,\n");
    unsupported("a: [\n");
    unsupported("a: {b: 1\n");
    unsupported("- a: 1\n   b: 2\n");
}

#[test]
fn errors_found_by_the_loader_match() {
    // Duplicate keys are found by the loader on fast events; the result must not change.
    accepted("a: 1\nb: 2\n");
    check("a: 1\na: 2\n", FastPath::Accepted);
    check("- a: 1\n  a: 2\n", FastPath::Accepted);
    check("a: !!int x\n", FastPath::Unsupported);
    check("<<: 1\n", FastPath::Accepted);
}

/// Every file under `dir` (recursively) with extension `extension`.
fn files(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|found| found == extension) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every site manifest agrees, and the fast source reads them all (they are the typical input).
#[test]
fn site_manifests_take_the_fast_path() {
    let manifests = files(&workspace_root().join("site-manifests"), "yaml");
    assert!(manifests.len() > 50, "site manifests not found");
    let mut unsupported = Vec::new();
    for path in &manifests {
        let text = std::fs::read_to_string(path).unwrap();
        match check_fast_path(&text) {
            Ok(FastPath::Accepted) => {}
            Ok(FastPath::Unsupported) => unsupported.push(path.display().to_string()),
            Err(disagreement) => panic!("{}: {disagreement}", path.display()),
        }
    }
    assert!(
        unsupported.is_empty(),
        "fast source refused {} of {} manifests: {unsupported:?}",
        unsupported.len(),
        manifests.len()
    );
}

/// The fast target's fuzz seeds are typical inputs, so the fast source must read them.
#[test]
fn fuzz_seeds_take_the_fast_path() {
    let seeds = files(
        &workspace_root().join("crates/aero-yaml/fuzz/seeds/fast_events"),
        "yaml",
    );
    assert!(seeds.len() >= 3, "seeds not found");
    for path in seeds {
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            agrees_with_prefixes(&text),
            FastPath::Accepted,
            "{}",
            path.display()
        );
    }
}

#[test]
fn corpus_files_agree() {
    let root = workspace_root();
    let mut paths = files(&root.join("schemas"), "json");
    paths.extend(files(&root.join("crates/aero-yaml/fuzz/seeds"), "yaml"));
    assert!(paths.len() > 5, "corpus not found");
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        if let Err(disagreement) = check_fast_path(&text) {
            panic!("{}: {disagreement}", path.display());
        }
    }
}

/// The string literals of the crate's other tests are YAML inputs (and some are not, which is
/// fine): each agrees, with its prefixes.
#[test]
fn existing_test_inputs_agree() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sources = files(&root.join("tests"), "rs");
    sources.extend(files(&root.join("src"), "rs"));
    let mut count = 0;
    for path in sources {
        let text = std::fs::read_to_string(&path).unwrap();
        for literal in string_literals(&text) {
            agrees_with_prefixes(&literal);
            count += 1;
        }
    }
    assert!(count > 100, "only {count} literals found");
}

/// The contents of the ordinary `"..."` string literals in Rust source (common escapes only).
fn string_literals(rust: &str) -> Vec<String> {
    let mut literals = Vec::new();
    let mut chars = rust.chars().peekable();
    let mut previous = ' ';
    while let Some(character) = chars.next() {
        if character == '\'' && previous != '\\' {
            // Skip char literals such as '"', keep lifetimes.
            let mut lookahead = chars.clone();
            if let (Some(_), Some('\'')) = (lookahead.next(), lookahead.next()) {
                chars.next();
                chars.next();
                previous = '\'';
                continue;
            }
        }
        if character != '"' || previous.is_alphanumeric() || previous == '#' {
            previous = character;
            continue;
        }
        let mut literal = String::new();
        while let Some(inner) = chars.next() {
            match inner {
                '"' => break,
                '\\' => match chars.next() {
                    Some('n') => literal.push('\n'),
                    Some('t') => literal.push('\t'),
                    Some('r') => literal.push('\r'),
                    Some('0') => literal.push('\0'),
                    Some('\n') => {
                        while chars.peek().is_some_and(|next| next.is_whitespace()) {
                            chars.next();
                        }
                    }
                    Some(other) => literal.push(other),
                    None => {}
                },
                other => literal.push(other),
            }
        }
        literals.push(literal);
        previous = '"';
    }
    literals
}

/// A typical Airship document, repeated: the fast source must read it.
#[test]
fn airship_like_documents_take_the_fast_path() {
    let document = "---
schema: armada/Chart/v1
metadata:
  schema: metadata/Document/v1
  name: ingress
  layeringDefinition:
    abstract: false
    layer: site
    parentSelector:
      name: ingress-global
    actions:
      - method: merge
        path: .
  storagePolicy: cleartext
  substitutions:
    - src:
        schema: pegleg/CommonAddresses/v1
        name: common-addresses
        path: .dns.servers[0]
      dest:
        path: .values.conf.dns
data:
  chart_name: ingress
  release: 'ingress-kube-system'
  namespace: \"kube-system\"
  wait:
    timeout: 300
    labels:
      release_group: airship-ingress
  install:
    no_hooks: false
  values: {}
  dependencies: []
  layerOrder: [global, type, site]
  labels: {name: x, component: y}
  schedule:
    days: [tue, thu]
    actions: [{method: merge, path: .}, {method: replace, path: '.a'}]
  matrix:
    - [a, b]
    - ['c', \"d\", {e: f}]
  source:
    type: git
    location: https://opendev.org/openstack/openstack-helm-infra:443/x  # pinned
    subpath: ingress
    reference: 'a1b2c3'
...
";
    assert_eq!(agrees_with_prefixes(document), FastPath::Accepted);
    check(&document.repeat(200), FastPath::Accepted);
}

#[test]
fn real_site_constructs_take_the_fast_path() {
    // What real sites mix into plain lines: multi-line plain and quoted scalars, escapes,
    // anchors, aliases, merge keys and flow collections over several lines (the fuzz seed of
    // that name). Every prefix agrees too (unterminated scalars included).
    let document = include_str!("../../fuzz/seeds/fast_events/real-site-constructs.yaml");
    assert_eq!(agrees_with_prefixes(document), FastPath::Accepted);
    check(&document.repeat(50), FastPath::Accepted);
}

/// Single-line flow collections, nested, with scalars of all kinds, odd spacing, trailing commas,
/// pairs and lone keys, and a few things the fast source leaves to saphyr.
fn flow_collection() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("a".to_owned()),
        Just("b c".to_owned()),
        Just("-1".to_owned()),
        Just("x:y".to_owned()),
        Just("a#b".to_owned()),
        Just("'q, ''s'".to_owned()),
        Just("\"[d]\"".to_owned()),
        Just("''".to_owned()),
        Just("&a x".to_owned()),
        Just("?".to_owned()),
        Just("".to_owned()),
    ];
    let space = prop_oneof![Just(""), Just(" "), Just("  ")];
    leaf.prop_recursive(3, 16, 4, move |inner| {
        let item = (
            inner.clone(),
            prop_oneof![Just(None), Just(Some(": ")), Just(Some(":"))],
            inner,
        )
            .prop_map(|(key, colon, value)| match colon {
                Some(colon) => format!("{key}{colon}{value}"),
                None => key,
            });
        (
            prop::bool::ANY,
            prop::collection::vec((item, space.clone(), space.clone()), 0..4),
            prop::bool::ANY,
            space.clone(),
        )
            .prop_map(|(mapping, items, trailing_comma, inside)| {
                let (open, close) = if mapping { ('{', '}') } else { ('[', ']') };
                let body = items
                    .iter()
                    .map(|(item, before, after)| format!("{before}{item}{after}"))
                    .collect::<Vec<_>>()
                    .join(",");
                let comma = if trailing_comma && !items.is_empty() {
                    ","
                } else {
                    ""
                };
                format!("{open}{inside}{body}{comma}{close}")
            })
    })
}

/// Block-YAML-ish text from a small grammar: keys, entries, scalars of all supported kinds and
/// some that are not, comments, markers, odd indentation.
fn yamlish_line() -> impl Strategy<Value = String> {
    let indent = 0usize..7;
    let scalar = prop_oneof![
        Just("x".to_owned()),
        Just("1".to_owned()),
        Just("a b".to_owned()),
        Just("http://h:80/p".to_owned()),
        Just("'q''s'".to_owned()),
        Just("\"d q\"".to_owned()),
        Just("''".to_owned()),
        Just("[]".to_owned()),
        Just("{}".to_owned()),
        Just("-x".to_owned()),
        Just("a#b".to_owned()),
        Just("x # c".to_owned()),
        Just("|".to_owned()),
        Just(">-".to_owned()),
        Just("|+ # c".to_owned()),
        Just("&a x".to_owned()),
        Just("&b".to_owned()),
        Just("&a [x]".to_owned()),
        Just("*a".to_owned()),
        Just("*b # c".to_owned()),
        Just("\"e\\t\\u00e9\\\"\"".to_owned()),
        Just("\"open d".to_owned()),
        Just("\"open \\".to_owned()),
        Just("'open".to_owned()),
        Just("close'".to_owned()),
        Just("close\"".to_owned()),
        Just("more words".to_owned()),
        Just("é ü".to_owned()),
        Just("中文: x".to_owned()),
        Just("'😀'".to_owned()),
        Just("x\u{85}\u{2028}y".to_owned()),
        Just("\u{feff}x".to_owned()),
        Just("[a,".to_owned()),
        Just("{".to_owned()),
        Just("[ # c".to_owned()),
        Just("{b: c,".to_owned()),
        Just("[1]".to_owned()),
        Just("x:y".to_owned()),
        Just("".to_owned()),
        flow_collection(),
    ];
    let line = prop_oneof![
        (scalar.clone(), scalar.clone()).prop_map(|(key, value)| format!("{key}: {value}")),
        scalar.clone().prop_map(|key| format!("{key}:")),
        scalar.clone().prop_map(|value| format!("- {value}")),
        (scalar.clone(), scalar.clone()).prop_map(|(key, value)| format!("- {key}: {value}")),
        scalar.clone().prop_map(|value| format!("- - {value}")),
        Just("-".to_owned()),
        Just("]".to_owned()),
        Just("}".to_owned()),
        Just("b, 'c']".to_owned()),
        Just("d: e,".to_owned()),
        Just("d: e }".to_owned()),
        Just("x, # c".to_owned()),
        Just("# ñ".to_owned()),
        Just("# comment".to_owned()),
        Just("".to_owned()),
        Just("---".to_owned()),
        Just("--- x".to_owned()),
        Just("...".to_owned()),
        scalar,
    ];
    (indent, line, prop::bool::ANY).prop_map(|(indent, line, trailing_space)| {
        let marker = line.starts_with("---") || line.starts_with("...");
        let indent = if marker { 0 } else { indent };
        format!(
            "{}{line}{}",
            " ".repeat(indent),
            if trailing_space { " " } else { "" }
        )
    })
}

fn yamlish_text() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(yamlish_line(), 0..14),
        prop::bool::ANY,
    )
        .prop_map(|(lines, final_newline)| {
            let mut text = lines.join("\n");
            if final_newline {
                text.push('\n');
            }
            text
        })
}

/// Replaces, inserts or deletes a few bytes (ASCII, so the text stays UTF-8).
fn mutated(text: String, edits: Vec<(usize, u8, u8)>) -> String {
    let mut bytes = text.into_bytes();
    for (position, kind, byte) in edits {
        let byte = b" -:#'\"\n[]{}ax.\t"[usize::from(byte) % 15];
        let position = if bytes.is_empty() {
            0
        } else {
            position % (bytes.len() + 1)
        };
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
    #![proptest_config(ProptestConfig::with_cases(crate::testing::proptest_cases(2000)))]

    #[test]
    fn generated_yaml_agrees(text in yamlish_text()) {
        if let Err(disagreement) = check_fast_path(&text) {
            prop_assert!(false, "{}", disagreement);
        }
    }

    #[test]
    fn generated_flow_collections_agree(
        collection in flow_collection(),
        place in 0usize..4,
        after in prop_oneof![Just(""), Just("  # c"), Just(" "), Just(": x")],
    ) {
        let text = match place {
            0 => format!("k: {collection}{after}\nnext: 1\n"),
            1 => format!("- {collection}{after}\n- x\n"),
            2 => format!("--- {collection}{after}\n"),
            _ => format!("{collection}{after}"),
        };
        if let Err(disagreement) = check_fast_path(&text) {
            prop_assert!(false, "{}", disagreement);
        }
    }

    #[test]
    fn mutated_yaml_agrees(
        text in yamlish_text(),
        edits in prop::collection::vec((0usize..400, 0u8..3, 0u8..15), 1..4),
    ) {
        let text = mutated(text, edits);
        if let Err(disagreement) = check_fast_path(&text) {
            prop_assert!(false, "{}", disagreement);
        }
    }
}
