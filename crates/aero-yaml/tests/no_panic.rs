//! Deterministic stress test standing in for the fuzz target (`fuzz/`, which needs nightly):
//! random and mutated YAML-ish text must never panic `load_all`, and whatever loads must
//! survive emitting and loading again unchanged.

use aero_yaml::{Dialect, LoadOptions, documents_to_yaml, load_all};
use proptest::prelude::*;
use serde_json::Value;

/// The fuzz target's seed corpus.
const SEEDS: &[&str] = &[
    include_str!("../fuzz/seeds/load/alias-bomb.yaml"),
    include_str!("../fuzz/seeds/load/anchors-merges.yaml"),
    include_str!("../fuzz/seeds/load/bad-indent.yaml"),
    include_str!("../fuzz/seeds/load/deckhand-certificate.yaml"),
    include_str!("../fuzz/seeds/load/deckhand-layering.yaml"),
    include_str!("../fuzz/seeds/load/flow-nesting.yaml"),
    include_str!("../fuzz/seeds/load/scalars.yaml"),
    include_str!("../fuzz/seeds/load/unclosed-quote.yaml"),
];

/// What the fuzz target checks for one input.
fn check_input(source: &str) -> Result<(), TestCaseError> {
    for dialect in [Dialect::Yaml12, Dialect::PyYaml11] {
        let mut options = LoadOptions::new(dialect);
        options.max_nodes = 100_000;
        let Ok(documents) = load_all(source, &options) else {
            continue;
        };
        let values: Vec<Value> = documents
            .iter()
            .map(|document| document.root.to_json())
            .collect();
        let emitted = documents_to_yaml(&values);
        let reloaded = load_all(&emitted, &LoadOptions::new(dialect)).map_err(|error| {
            TestCaseError::fail(format!(
                "{dialect:?}: emitted YAML does not load: {error}\n{emitted}"
            ))
        })?;
        let reloaded_values: Vec<Value> = reloaded
            .iter()
            .map(|document| document.root.to_json())
            .collect();
        prop_assert_eq!(
            &values,
            &reloaded_values,
            "{:?} emitted:\n{}",
            dialect,
            emitted
        );
    }
    Ok(())
}

/// Fragments that exercise the scanner's corners.
fn fragment() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "a",
        "key",
        ": ",
        ":",
        "- ",
        "-",
        "? ",
        "?",
        ",",
        "[",
        "]",
        "{",
        "}",
        "#",
        " #c",
        "&a ",
        "*a",
        "&b ",
        "*b",
        "!",
        "!!str ",
        "!!int ",
        "!!map ",
        "!foo ",
        "!<tag:x> ",
        "|",
        "|-",
        "|+",
        "|2",
        ">",
        ">-",
        "'",
        "''",
        "\"",
        "\\",
        "\\x4",
        "\\u12",
        "%YAML 1.2",
        "%TAG ! !x",
        "---",
        "...",
        "--- ",
        "\n",
        "\n  ",
        "\n    ",
        "\n- ",
        "\r\n",
        "\t",
        " ",
        "  ",
        "<<: ",
        "<<",
        "=",
        "~",
        "null",
        "yes",
        "0755",
        "1:30",
        ".inf",
        "1e3",
        "2001-12-14",
        "\u{feff}",
        "\u{85}",
        "\u{2028}",
        "é",
        "😀",
        "\0",
    ])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    #[test]
    fn fragments_never_panic(pieces in prop::collection::vec(fragment(), 0..40)) {
        check_input(&pieces.concat())?;
    }

    #[test]
    fn arbitrary_text_never_panics(source in any::<String>()) {
        check_input(&source)?;
    }

    #[test]
    fn mutated_seeds_never_panic(
        seed in prop::sample::select(SEEDS.to_vec()),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0..4usize, fragment()), 1..6),
    ) {
        let mut source = seed.to_owned();
        for (position, removed, inserted) in edits {
            let boundaries: Vec<usize> = source
                .char_indices()
                .map(|(offset, _)| offset)
                .chain(std::iter::once(source.len()))
                .collect();
            let start_index = position.index(boundaries.len());
            let end_index = (start_index + removed).min(boundaries.len() - 1);
            source.replace_range(boundaries[start_index]..boundaries[end_index], inserted);
        }
        check_input(&source)?;
    }
}

#[test]
fn seeds_load_or_fail_cleanly() {
    for seed in SEEDS {
        if let Err(error) = check_input(seed) {
            panic!("{error}");
        }
    }
    // The well-formed Deckhand seeds load in both dialects.
    for seed in &SEEDS[3..5] {
        for dialect in [Dialect::Yaml12, Dialect::PyYaml11] {
            assert!(load_all(seed, &LoadOptions::new(dialect)).is_ok(), "{seed}");
        }
    }
}
