//! Fuzz target: the fast event source against `saphyr-parser`. Wherever the fast source accepts
//! an input, its events and spans must be saphyr's; and `load_all` (fast path first) must load
//! exactly what the saphyr-only loader loads, errors included.
//!
//! Wherever it gives up, the per-document source (fast where it can, saphyr for the other
//! documents) must give saphyr's whole-stream events and error.
//!
//! Run with `cargo +nightly fuzz run fast_events fuzz/corpus/fast_events fuzz/seeds/load` from
//! `crates/aero-yaml`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(disagreement) = aero_yaml::testing::check_fast_path(source) {
        panic!("{disagreement}");
    }
});
