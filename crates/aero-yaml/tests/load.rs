//! Loader tests through the public API: scalar resolution per dialect, spans, anchors and
//! aliases, merge keys, duplicate keys, tags, limits and syntax errors.

use aero_yaml::{
    Dialect, Document, DuplicateKeys, LoadErrorKind, LoadOptions, Mark, Node, Yaml, load_all,
};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const BOTH: [Dialect; 2] = [Dialect::Yaml12, Dialect::PyYaml11];

#[track_caller]
fn load(source: &str, dialect: Dialect) -> Vec<Document> {
    load_all(source, &LoadOptions::new(dialect))
        .unwrap_or_else(|error| panic!("{dialect:?} {source:?}: {error}"))
}

#[track_caller]
fn root(source: &str, dialect: Dialect) -> Node {
    let mut documents = load(source, dialect);
    assert_eq!(documents.len(), 1, "{source:?}");
    documents.remove(0).root
}

/// Loads `source` (one document) and compares its JSON form.
#[track_caller]
fn check(dialect: Dialect, source: &str, expected: Value) {
    assert_eq!(
        root(source, dialect).to_json(),
        expected,
        "{dialect:?} {source:?}"
    );
}

/// Loads a one-scalar document and compares the value itself (Int and Float differ).
#[track_caller]
fn check_scalar(dialect: Dialect, source: &str, expected: Yaml) {
    let actual = root(source, dialect).value;
    match (&actual, &expected) {
        (Yaml::Float(actual), Yaml::Float(expected)) if actual.is_nan() && expected.is_nan() => {}
        _ => assert_eq!(actual, expected, "{dialect:?} {source:?}"),
    }
}

/// Expects an error of `kind` at `line`:`col`.
#[track_caller]
fn check_error(options: &LoadOptions, source: &str, kind: LoadErrorKind, line: u32, col: u32) {
    let shown: String = source.chars().take(80).collect();
    let error = load_all(source, options).expect_err(&shown);
    assert_eq!(
        (error.kind, error.mark.line, error.mark.col),
        (kind, line, col),
        "{shown:?}: {error}"
    );
}

fn string(text: &str) -> Yaml {
    Yaml::Str(text.to_owned())
}

/// The line and column where a node starts.
fn at(node: &Node) -> (u32, u32) {
    (node.span.start.line, node.span.start.col)
}

fn map_entries(node: &Node) -> &[(Node, Node)] {
    match &node.value {
        Yaml::Map(entries) => entries,
        other => panic!("not a map: {other:?}"),
    }
}

fn seq_items(node: &Node) -> &[Node] {
    match &node.value {
        Yaml::Seq(items) => items,
        other => panic!("not a sequence: {other:?}"),
    }
}

#[test]
fn yaml12_scalars() {
    use Yaml::{Bool, Float, Int, Null};
    let dialect = Dialect::Yaml12;
    for (source, expected) in [
        ("~", Null),
        ("null", Null),
        ("NULL", Null),
        ("true", Bool(true)),
        ("True", Bool(true)),
        ("FALSE", Bool(false)),
        ("yes", string("yes")),
        ("no", string("no")),
        ("on", string("on")),
        ("off", string("off")),
        ("y", string("y")),
        ("0", Int(0)),
        ("-0", Int(0)),
        ("+12", Int(12)),
        ("0755", Int(755)),
        ("0o17", Int(15)),
        ("0x1f", Int(31)),
        ("0b1010", string("0b1010")),
        ("1_000", string("1_000")),
        ("1:30", string("1:30")),
        ("1e3", Float(1000.0)),
        (".5", Float(0.5)),
        ("-1.5e-3", Float(-0.0015)),
        (".inf", Float(f64::INFINITY)),
        ("-.Inf", Float(f64::NEG_INFINITY)),
        (".NaN", Float(f64::NAN)),
        ("2001-12-14", string("2001-12-14")),
        ("99999999999999999999", Float(1e20)),
        ("'123'", string("123")),
        ("\"true\"", string("true")),
        ("|\n  12\n", string("12\n")),
        (">-\n  yes\n  no\n", string("yes no")),
    ] {
        check_scalar(dialect, source, expected);
    }
    check_scalar(dialect, "---\n", Null);
}

#[test]
fn pyyaml_scalars() {
    use Yaml::{Bool, Float, Int, Null};
    let dialect = Dialect::PyYaml11;
    for (source, expected) in [
        ("~", Null),
        ("Null", Null),
        ("yes", Bool(true)),
        ("No", Bool(false)),
        ("ON", Bool(true)),
        ("off", Bool(false)),
        ("y", string("y")),
        ("n", string("n")),
        ("0755", Int(493)),
        ("0o17", string("0o17")),
        ("0b1010", Int(10)),
        ("0x1F", Int(31)),
        ("1_000", Int(1000)),
        ("1:30", Int(90)),
        ("1e3", string("1e3")),
        ("1.0e+3", Float(1000.0)),
        (".5", Float(0.5)),
        ("-.Inf", Float(f64::NEG_INFINITY)),
        (".nan", Float(f64::NAN)),
        ("2001-12-14", string("2001-12-14")),
        (
            "2001-12-14 21:59:43.10 -5",
            string("2001-12-14 21:59:43.10 -5"),
        ),
        ("'yes'", string("yes")),
        ("! 12", Int(12)),
        ("!!str 12", string("12")),
        ("!!timestamp 2001-12-14", string("2001-12-14")),
    ] {
        check_scalar(dialect, source, expected);
    }
}

#[test]
fn pyyaml_value_and_merge_markers_cannot_be_values() {
    let options = LoadOptions::new(Dialect::PyYaml11);
    check_error(&options, "a: =\n", LoadErrorKind::InvalidValue, 1, 4);
    check_error(&options, "- <<\n", LoadErrorKind::InvalidValue, 1, 3);
    check(Dialect::PyYaml11, "=: 1\n", json!({"=": 1}));
    check(
        Dialect::Yaml12,
        "a: =\nb: <<\n",
        json!({"a": "=", "b": "<<"}),
    );
}

#[test]
fn keys_are_compared_and_stringified_by_value() {
    check(
        Dialect::PyYaml11,
        "1: a\nyes: b\n~: c\n1.5: d\n0x10: e\n",
        json!({"1": "a", "true": "b", "null": "c", "1.5": "d", "16": "e"}),
    );
    check(Dialect::PyYaml11, "1: a\n'1': b\n", json!({"1": "b"}));
    check_error(
        &LoadOptions::new(Dialect::Yaml12),
        "1: a\n'1': b\n",
        LoadErrorKind::DuplicateKey,
        2,
        1,
    );
}

#[test]
fn collection_keys() {
    check(
        Dialect::Yaml12,
        "? [a, 1]\n: x\n",
        json!({"[\"a\",1]": "x"}),
    );
    check_error(
        &LoadOptions::new(Dialect::PyYaml11),
        "? [a, 1]\n: x\n",
        LoadErrorKind::InvalidValue,
        1,
        3,
    );
}

#[test]
fn spans_of_nested_nodes() {
    let source = "\
# leading comment
metadata:
  name: site-a
  labels: {tier: 'web', 'n': 2}
data:
  - first
  - key: value
    other: [1, 2]
";
    for dialect in BOTH {
        let document_root = root(source, dialect);
        assert_eq!(at(&document_root), (2, 1));
        let top = map_entries(&document_root);
        assert_eq!(at(&top[0].0), (2, 1));
        let metadata = map_entries(&top[0].1);
        assert_eq!(at(&top[0].1), (3, 3));
        assert_eq!(at(&metadata[0].0), (3, 3));
        assert_eq!(at(&metadata[0].1), (3, 9));
        assert_eq!(
            metadata[0].1.span.end,
            Mark {
                line: 3,
                col: 15,
                offset: 42
            }
        );
        let labels = &metadata[1].1;
        assert_eq!(at(labels), (4, 11));
        assert_eq!((labels.span.end.line, labels.span.end.col), (4, 32));
        assert_eq!(at(&map_entries(labels)[0].1), (4, 18));
        assert_eq!(at(&map_entries(labels)[1].0), (4, 25));
        let data = seq_items(&top[1].1);
        assert_eq!(at(&top[1].1), (6, 3));
        assert_eq!(at(&data[0]), (6, 5));
        assert_eq!(at(&data[1]), (7, 5));
        let item = map_entries(&data[1]);
        assert_eq!(at(&item[1].0), (8, 5));
        assert_eq!(at(&item[1].1), (8, 12));
        assert_eq!(at(&seq_items(&item[1].1)[1]), (8, 16));
        // The block sequence ends with its last item, not at the next token.
        assert_eq!((top[1].1.span.end.line, top[1].1.span.end.col), (8, 18));
    }
}

#[test]
fn block_scalars_start_at_their_indicator() {
    let source = "certificate: |\n  -----BEGIN-----\n  abc\nfolded: >- # comment\n\n  text\nanchored: &a |\n  x\n";
    for dialect in BOTH {
        let document_root = root(source, dialect);
        let entries = map_entries(&document_root);
        assert_eq!(
            entries[0].1.span.start,
            Mark {
                line: 1,
                col: 14,
                offset: 13
            }
        );
        assert_eq!(
            (entries[0].1.span.end.line, entries[0].1.span.end.col),
            (4, 1)
        );
        assert_eq!(at(&entries[1].1), (4, 9));
        assert_eq!(at(&entries[2].1), (7, 11));
    }
}

#[test]
fn spans_count_characters_and_bytes() {
    let document_root = root("ключ: значение\nb: ü\n", Dialect::Yaml12);
    let entries = map_entries(&document_root);
    assert_eq!(
        entries[0].1.span.start,
        Mark {
            line: 1,
            col: 7,
            offset: 10
        }
    );
    assert_eq!(
        entries[1].1.span.start,
        Mark {
            line: 2,
            col: 4,
            offset: 30
        }
    );
    assert_eq!(
        entries[1].1.span.end,
        Mark {
            line: 2,
            col: 5,
            offset: 32
        }
    );
}

#[test]
fn multi_document_streams() {
    let source = "\
# comment before the first document
---
schema: deckhand/Passphrase/v1
data: one
...
# between documents

---
data: two
---
--- # empty document with a comment
third: 3
";
    for dialect in BOTH {
        let documents = load(source, dialect);
        assert_eq!(
            documents
                .iter()
                .map(|document| (
                    document.start.line,
                    document.start.col,
                    document.explicit_start
                ))
                .collect::<Vec<_>>(),
            vec![(2, 1, true), (8, 1, true), (10, 1, true), (11, 1, true)]
        );
        assert_eq!(at(&documents[0].root), (3, 1));
        assert_eq!(
            documents[0].root.to_json(),
            json!({"schema": "deckhand/Passphrase/v1", "data": "one"})
        );
        assert_eq!(at(&map_entries(&documents[1].root)[0].1), (9, 7));
        assert_eq!(documents[2].root.value, Yaml::Null);
        assert_eq!(documents[3].root.to_json(), json!({"third": 3}));
    }
}

#[test]
fn implicit_document_after_comments() {
    let documents = load("# only a comment\n\n  # another\nkey: v\n", Dialect::Yaml12);
    assert_eq!(documents.len(), 1);
    assert!(!documents[0].explicit_start);
    assert_eq!((documents[0].start.line, documents[0].start.col), (4, 1));
    assert_eq!(documents[0].start.offset, 30);
}

#[test]
fn empty_streams() {
    for dialect in BOTH {
        assert!(load("", dialect).is_empty());
        assert!(load("# nothing\n", dialect).is_empty());
        let documents = load("---\n", dialect);
        assert_eq!(documents.len(), 1);
        assert!(documents[0].explicit_start);
        assert_eq!(documents[0].root.value, Yaml::Null);
    }
}

#[test]
fn aliases_are_deep_copies_with_the_anchor_span() {
    let source = "base: &b\n  x: 1\n  y: [a, b]\ncopy: *b\nscalar: &s hello\nagain: *s\n";
    for dialect in BOTH {
        let document_root = root(source, dialect);
        assert_eq!(
            document_root.to_json(),
            json!({"base": {"x": 1, "y": ["a", "b"]}, "copy": {"x": 1, "y": ["a", "b"]}, "scalar": "hello", "again": "hello"})
        );
        let entries = map_entries(&document_root);
        assert_eq!(entries[1].1.span, entries[0].1.span);
        assert_eq!(entries[3].1.span, entries[2].1.span);
        assert_eq!(at(&entries[2].1), (5, 9));
    }
}

#[test]
fn anchors_do_not_cross_documents() {
    let options = LoadOptions::new(Dialect::Yaml12);
    check_error(
        &options,
        "a: &x 1\n---\nb: *x\n",
        LoadErrorKind::UnknownAlias,
        3,
        4,
    );
    check_error(&options, "a: *missing\n", LoadErrorKind::UnknownAlias, 1, 4);
    check_error(
        &options,
        "a: &x [1, *x]\n",
        LoadErrorKind::UnknownAlias,
        1,
        11,
    );
}

#[test]
fn redefined_anchor_uses_latest() {
    check(
        Dialect::Yaml12,
        "a: &x 1\nb: &x 2\nc: *x\n",
        json!({"a": 1, "b": 2, "c": 2}),
    );
}

#[test]
fn merge_keys() {
    let source = "\
defaults: &defaults
  adapter: postgres
  host: localhost
  port: 5432
override: &override
  host: db.example
  timeout: 30
single:
  <<: *defaults
  port: 6432
several:
  name: x
  <<: [*override, *defaults]
inline:
  <<: {a: 1}
  b: 2
";
    for dialect in BOTH {
        let document_root = root(source, dialect);
        let value = document_root.to_json();
        assert_eq!(
            value["single"],
            json!({"adapter": "postgres", "host": "localhost", "port": 6432})
        );
        // Earlier maps of the sequence win; the key order is PyYAML's.
        assert_eq!(
            serde_json::to_string(&value["several"]).ok(),
            Some(
                r#"{"adapter":"postgres","host":"db.example","port":5432,"timeout":30,"name":"x"}"#
                    .to_owned()
            )
        );
        assert_eq!(value["inline"], json!({"a": 1, "b": 2}));
        // Merged entries keep the spans of the merged map.
        let single = map_entries(&map_entries(&document_root)[2].1);
        assert_eq!(at(&single[0].1), (2, 12));
        assert_eq!(at(&single[2].1), (10, 9));
    }
}

#[test]
fn merge_keys_need_mappings() {
    for dialect in BOTH {
        let options = LoadOptions::new(dialect);
        check_error(&options, "a:\n  <<: 1\n", LoadErrorKind::InvalidValue, 2, 7);
        check_error(
            &options,
            "a:\n  <<: [{x: 1}, 2]\n",
            LoadErrorKind::InvalidValue,
            2,
            16,
        );
        // A quoted `<<` is an ordinary key.
        check(dialect, "'<<': 1\n", json!({"<<": 1}));
    }
}

#[test]
fn duplicate_keys() {
    let error_mode = LoadOptions::new(Dialect::Yaml12);
    check_error(
        &error_mode,
        "a: 1\nb: 2\na: 3\n",
        LoadErrorKind::DuplicateKey,
        3,
        1,
    );
    check_error(
        &error_mode,
        "x:\n  - {k: 1, k: 2}\n",
        LoadErrorKind::DuplicateKey,
        2,
        12,
    );
    let error = load_all("a: 1\nb: 2\na: 3\n", &error_mode).expect_err("duplicate");
    assert_eq!(
        error.to_string(),
        "duplicate key \"a\" (first at line 1 column 1) at line 3 column 1"
    );

    let document_root = root("a: 1\nb: 2\na: 3\n", Dialect::PyYaml11);
    assert_eq!(
        serde_json::to_string(&document_root.to_json()).ok(),
        Some(r#"{"a":3,"b":2}"#.to_owned())
    );
    let entries = map_entries(&document_root);
    assert_eq!(at(&entries[0].0), (1, 1));
    assert_eq!(at(&entries[0].1), (3, 4));

    let mut last_wins = LoadOptions::new(Dialect::Yaml12);
    last_wins.duplicate_keys = DuplicateKeys::LastWins;
    let documents = load_all("a: 1\na: 2\n", &last_wins).expect("last wins");
    assert_eq!(documents[0].root.to_json(), json!({"a": 2}));

    let mut pyyaml_strict = LoadOptions::new(Dialect::PyYaml11);
    pyyaml_strict.duplicate_keys = DuplicateKeys::Error;
    check_error(
        &pyyaml_strict,
        "on: 1\nyes: 2\n",
        LoadErrorKind::DuplicateKey,
        2,
        1,
    );
}

#[test]
fn last_wins_lists_each_duplicate_with_its_document() {
    let mut last_wins = LoadOptions::new(Dialect::Yaml12);
    last_wins.duplicate_keys = DuplicateKeys::LastWins;
    let source = "---\na: 1\nb: {k: 1, k: 2}\na: 3\n---\nc: 1\n---\n<<: {m: 1}\nm: 2\n";
    let documents = load_all(source, &last_wins).expect("last wins never fails on a repeated key");
    /// A duplicate as (key, first line and column, second line and column).
    type Listed = (String, (u32, u32), (u32, u32));
    let listed: Vec<Vec<Listed>> = documents
        .iter()
        .map(|document| {
            document
                .duplicate_keys
                .iter()
                .map(|duplicate| {
                    (
                        duplicate.key.clone(),
                        (duplicate.first.line, duplicate.first.col),
                        (duplicate.again.line, duplicate.again.col),
                    )
                })
                .collect()
        })
        .collect();
    // Keys in the order their second occurrence is read; an explicit key overriding a
    // merged one is not a duplicate.
    assert_eq!(
        listed,
        [
            vec![
                ("k".to_string(), (3, 5), (3, 11)),
                ("a".to_string(), (2, 1), (4, 1))
            ],
            vec![],
            vec![],
        ]
    );
    assert_eq!(documents[0].root.to_json(), json!({"a": 3, "b": {"k": 2}}));
    // The fast event source and saphyr's parser agree on what is reported (PyYAML's
    // dialect keeps the last value by default).
    for text in [source, "a: [1, {x: 1, x: 2}]\n"] {
        aero_yaml::testing::check_fast_path(text).expect("fast path agrees with saphyr");
    }
    let flow = root("a: [1, {x: 1, x: 2}]\n", Dialect::PyYaml11);
    assert_eq!(flow.to_json(), json!({"a": [1, {"x": 2}]}));
}

#[test]
fn duplicate_keys_in_large_maps() {
    let mut source: String = (0..40)
        .map(|index| format!("key{index}: {index}\n"))
        .collect();
    source.push_str("key7: again\n");
    check_error(
        &LoadOptions::new(Dialect::Yaml12),
        &source,
        LoadErrorKind::DuplicateKey,
        41,
        1,
    );
    let value = root(&source, Dialect::PyYaml11).to_json();
    assert_eq!(value["key7"], json!("again"));
    assert_eq!(value.as_object().map(|object| object.len()), Some(40));
}

#[test]
fn explicit_core_tags() {
    for dialect in BOTH {
        check(
            dialect,
            "a: !!str 123\nb: !!int '42'\nc: !!float 1\nd: !!bool true\ne: !!null ''\nf: !!binary R0lGODlh\ng: !!seq [1]\nh: !!map {k: v}\ni: !<tag:yaml.org,2002:str> true\nj: ! x\n",
            json!({"a": "123", "b": 42, "c": 1.0, "d": true, "e": null, "f": "R0lGODlh", "g": [1], "h": {"k": "v"}, "i": "true", "j": "x"}),
        );
    }
}

#[test]
fn unknown_and_misplaced_tags() {
    for dialect in BOTH {
        let options = LoadOptions::new(dialect);
        check_error(
            &options,
            "a: !include other.yaml\n",
            LoadErrorKind::UnknownTag,
            1,
            4,
        );
        check_error(
            &options,
            "- !!python/object:os.system x\n",
            LoadErrorKind::UnknownTag,
            1,
            3,
        );
        check_error(&options, "a: !!set {x}\n", LoadErrorKind::UnknownTag, 1, 4);
        check_error(
            &options,
            "a: !!str [1]\n",
            LoadErrorKind::InvalidValue,
            1,
            4,
        );
        check_error(
            &options,
            "a: !!map [1]\n",
            LoadErrorKind::InvalidValue,
            1,
            4,
        );
        check_error(
            &options,
            "a: !!int abc\n",
            LoadErrorKind::InvalidValue,
            1,
            4,
        );
        check_error(&options, "a: !!seq x\n", LoadErrorKind::InvalidValue, 1, 4);
    }
}

#[test]
fn billion_laughs_fails_fast() {
    let source = "\
a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]
";
    for dialect in BOTH {
        let started = Instant::now();
        let error = load_all(source, &LoadOptions::new(dialect)).expect_err("billion laughs");
        // Line 7 starts at 1,234,572 nodes; its 8th alias (of 1,111,111 nodes) crosses 10 million.
        assert_eq!(
            (error.kind, error.mark.line, error.mark.col),
            (LoadErrorKind::TooLarge, 7, 36),
            "{error}"
        );
        // Counted without building: no gigabyte of copies first.
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        // With a smaller budget it fails before copying much at all.
        let mut options = LoadOptions::new(dialect);
        options.max_nodes = 10_000;
        let started = Instant::now();
        let error = load_all(source, &options).expect_err("billion laughs");
        assert_eq!((error.kind, error.mark.line), (LoadErrorKind::TooLarge, 4));
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "{:?}",
            started.elapsed()
        );
    }
}

#[test]
fn heavy_alias_use_within_the_budget_loads() {
    // `b` is 1,004 nodes; 200 copies of it pass the loader's counting threshold.
    let mut source = String::from("a: &a [");
    source.push_str(&vec!["x"; 1000].join(", "));
    source.push_str("]\nb: &b {k: *a}\nc:\n");
    for _ in 0..200 {
        source.push_str("  - *b\n");
    }
    let document_root = root(&source, Dialect::Yaml12);
    let copies = document_root.to_json()["c"].as_array().map(Vec::len);
    assert_eq!(copies, Some(200));
    // A budget the copies cross fails at the copy that crosses it: before `c`'s items there
    // are 1 + 1001 (a) + 1 + 1004 (b) + 1 + 1 (c) = 2,009 nodes.
    let mut options = LoadOptions::new(Dialect::Yaml12);
    options.max_nodes = 150_000;
    let error = load_all(&source, &options).expect_err("over budget");
    let crossing_copy = (150_000 - 2_009) / 1_004 + 1;
    assert_eq!(
        (error.kind, error.mark.line, error.mark.col),
        (LoadErrorKind::TooLarge, 3 + crossing_copy, 5)
    );
}

#[test]
fn node_limit_counts_keys_and_aliases() {
    let mut options = LoadOptions::new(Dialect::Yaml12);
    options.max_nodes = 5;
    // map + 2 keys + 2 values = 5 nodes.
    assert!(load_all("a: 1\nb: 2\n", &options).is_ok());
    check_error(
        &options,
        "a: 1\nb: 2\nc: 3\n",
        LoadErrorKind::TooLarge,
        3,
        1,
    );
    // map, key, [x, y] (3 nodes) = 5; the alias adds 3 more.
    check_error(
        &options,
        "a: &x [1, 2]\nb: *x\n",
        LoadErrorKind::TooLarge,
        2,
        1,
    );
}

#[test]
fn deep_nesting_fails_with_too_deep() {
    for dialect in BOTH {
        let options = LoadOptions::new(dialect);
        // The parser itself stops flow nesting at 255 levels.
        let deep_flow = "[".repeat(100_000);
        check_error(&options, &deep_flow, LoadErrorKind::TooDeep, 1, 256);
        let deep_map = "{a: ".repeat(100_000);
        check_error(&options, &deep_map, LoadErrorKind::TooDeep, 1, 1 + 4 * 255);
        // Block nesting is limited by max_depth.
        let deep_block: String = (0..400)
            .map(|level| format!("{}- \n", " ".repeat(level)))
            .collect();
        check_error(&options, &deep_block, LoadErrorKind::TooDeep, 257, 257);
        let at_limit: String = (0..256)
            .map(|level| format!("{}- \n", " ".repeat(level)))
            .collect();
        assert!(load_all(&at_limit, &options).is_ok());
        // Exactly at a smaller limit is fine, one more is not.
        let mut small = LoadOptions::new(dialect);
        small.max_depth = 10;
        let at_limit = format!("{}{}", "[".repeat(10), "]".repeat(10));
        assert!(load_all(&at_limit, &small).is_ok());
        let over_limit = format!("{}{}", "[".repeat(11), "]".repeat(11));
        check_error(&small, &over_limit, LoadErrorKind::TooDeep, 1, 11);
        check_error(
            &small,
            "a:\n b:\n  c:\n   d:\n    e:\n     f:\n      g:\n       h:\n        i:\n         j:\n          k: 1\n",
            LoadErrorKind::TooDeep,
            11,
            11,
        );
    }
}

#[test]
fn syntax_errors_have_positions() {
    let options = LoadOptions::new(Dialect::Yaml12);
    // Bad indentation: `c` is less indented than its sibling `b`.
    check_error(&options, "a:\n  b: 1\n c: 2\n", LoadErrorKind::Syntax, 3, 2);
    // Unclosed quotes.
    check_error(&options, "a: 'x\n", LoadErrorKind::Syntax, 1, 4);
    check_error(
        &options,
        "a: 1\nb: \"never closed\n",
        LoadErrorKind::Syntax,
        2,
        4,
    );
    // Tab indentation.
    check_error(&options, "a:\n\tb: 1\n", LoadErrorKind::Syntax, 2, 2);
    // A mapping value where none is allowed.
    check_error(&options, "a: b: c\n", LoadErrorKind::Syntax, 1, 5);
    // An unclosed flow sequence.
    let error = load_all("a: [1, 2\n", &options).expect_err("unclosed flow");
    assert_eq!(error.kind, LoadErrorKind::Syntax);
    assert_eq!(error.mark.line, 2);
}

#[test]
fn error_display() {
    let error = load_all("a: !include x\n", &LoadOptions::new(Dialect::Yaml12)).expect_err("tag");
    assert_eq!(
        error.to_string(),
        "unsupported tag !include at line 1 column 4"
    );
}

#[test]
fn defaults() {
    let yaml12 = LoadOptions::new(Dialect::Yaml12);
    assert_eq!(yaml12.duplicate_keys, DuplicateKeys::Error);
    assert_eq!((yaml12.max_depth, yaml12.max_nodes), (256, 10_000_000));
    let pyyaml = LoadOptions::new(Dialect::PyYaml11);
    assert_eq!(pyyaml.duplicate_keys, DuplicateKeys::LastWins);
}

#[test]
fn byte_order_mark_is_not_content() {
    let documents = load("\u{feff}a: 1\n", Dialect::Yaml12);
    let entries = map_entries(&documents[0].root);
    assert_eq!(entries[0].0.value, string("a"));
    assert_eq!(
        entries[0].0.span.start,
        Mark {
            line: 1,
            col: 1,
            offset: 3
        }
    );
}

#[test]
fn crlf_line_endings() {
    let document_root = root("a: 1\r\nb: |\r\n  x\r\n  y\r\n", Dialect::PyYaml11);
    assert_eq!(document_root.to_json(), json!({"a": 1, "b": "x\ny\n"}));
    let entries = map_entries(&document_root);
    assert_eq!(
        entries[1].0.span.start,
        Mark {
            line: 2,
            col: 1,
            offset: 6
        }
    );
    assert_eq!(
        entries[1].1.span.start,
        Mark {
            line: 2,
            col: 4,
            offset: 9
        }
    );
}
