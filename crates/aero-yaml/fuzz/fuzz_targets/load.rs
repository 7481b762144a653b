//! Fuzz target: arbitrary bytes (as UTF-8 text) through `load_all` in both dialects; whatever
//! loads is emitted, loaded again and must give the same JSON value.
//!
//! Run with `cargo +nightly fuzz run load fuzz/corpus/load fuzz/seeds/load` from `crates/aero-yaml`.

#![no_main]

use aero_yaml::{Dialect, LoadOptions, documents_to_yaml, load_all};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    for dialect in [Dialect::Yaml12, Dialect::PyYaml11] {
        let mut options = LoadOptions::new(dialect);
        // Keep alias bombs cheap: the limit itself is what is under test.
        options.max_nodes = 100_000;
        let Ok(documents) = load_all(source, &options) else {
            continue;
        };
        let values: Vec<serde_json::Value> =
            documents.iter().map(|document| document.root.to_json()).collect();
        let emitted = documents_to_yaml(&values);
        let reloaded = match load_all(&emitted, &LoadOptions::new(dialect)) {
            Ok(reloaded) => reloaded,
            Err(error) => panic!("emitted YAML does not load: {error}\n{emitted}"),
        };
        let reloaded_values: Vec<serde_json::Value> =
            reloaded.iter().map(|document| document.root.to_json()).collect();
        assert_eq!(values, reloaded_values, "emitted:\n{emitted}");
    }
});
