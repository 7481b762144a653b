//! Load throughput on a YAML file: `cargo run --release -p aero-yaml --example time_load -- FILE [RUNS] [load|whole]`.
//!
//! Loads FILE (a multi-document stream) RUNS times (default 5) in both dialects and prints the
//! best time and MiB/s of each, the loader as it was when one unreadable document sent the
//! whole stream to saphyr, the share of bytes the fast source reads, plus the `saphyr-parser`
//! events and the fast source's events alone for comparison. On a busy
//! machine wall times vary widely; `valgrind --tool=callgrind` instruction counts on a smaller
//! file compare versions more reliably.

use aero_yaml::{Dialect, LoadOptions, load_all};
use std::time::{Duration, Instant};

fn best_of(runs: usize, mut work: impl FnMut() -> usize) -> (Duration, usize) {
    let mut best = Duration::MAX;
    let mut result = 0;
    for _ in 0..runs {
        let start = Instant::now();
        result = std::hint::black_box(work());
        best = best.min(start.elapsed());
    }
    (best, result)
}

fn report(label: &str, bytes: usize, (time, count): (Duration, usize)) {
    let mib = bytes as f64 / (1024.0 * 1024.0);
    println!(
        "{label:<28} {:>8.1} ms {:>7.1} MiB/s ({count} items)",
        time.as_secs_f64() * 1000.0,
        mib / time.as_secs_f64()
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: time_load FILE [RUNS] [load|whole]")?;
    let runs: usize = args
        .next()
        .map(|runs| runs.parse())
        .transpose()?
        .unwrap_or(5);
    // `load` or `whole` runs that loader alone once per run (Yaml12), for instruction counts
    // (`perf stat -e instructions:u`), which a busy machine does not disturb.
    let only = args.next();
    let text = std::fs::read_to_string(&path)?;
    if let Some(only) = only {
        let options = LoadOptions::new(Dialect::Yaml12);
        for _ in 0..runs {
            let loaded = match only.as_str() {
                "load" => load_all(&text, &options),
                "whole" => aero_yaml::testing::load_all_whole_stream_fallback(&text, &options),
                other => return Err(format!("unknown loader `{other}` (load or whole)").into()),
            };
            std::hint::black_box(loaded.map_err(|error| error.to_string())?);
        }
        return Ok(());
    }
    println!("{path}: {:.1} MiB", text.len() as f64 / (1024.0 * 1024.0));
    for dialect in [Dialect::Yaml12, Dialect::PyYaml11] {
        let options = LoadOptions::new(dialect);
        let mut failure = None;
        let timing = best_of(runs, || match load_all(&text, &options) {
            Ok(documents) => documents.len(),
            Err(error) => {
                failure = Some(error);
                0
            }
        });
        if let Some(error) = failure {
            return Err(format!("{dialect:?}: {error}").into());
        }
        report(&format!("load_all {dialect:?}"), text.len(), timing);
    }
    let options = LoadOptions::new(Dialect::Yaml12);
    let whole = best_of(runs, || {
        aero_yaml::testing::load_all_whole_stream_fallback(&text, &options).map_or(0, |d| d.len())
    });
    report("whole-stream fallback Yaml12", text.len(), whole);
    let (fast_bytes, total) = aero_yaml::testing::fast_byte_share(&text);
    println!(
        "fast path reads {fast_bytes} of {total} bytes ({:.1} %); saphyr the documents it leaves",
        100.0 * fast_bytes as f64 / total.max(1) as f64
    );
    let events = best_of(runs, || saphyr_parser::Parser::new_from_str(&text).count());
    report("saphyr-parser events alone", text.len(), events);
    match aero_yaml::testing::count_fast_events(&text) {
        Some(_) => {
            let fast = best_of(runs, || {
                aero_yaml::testing::count_fast_events(&text).unwrap_or_default()
            });
            report("fast events alone", text.len(), fast);
        }
        None => println!("fast events alone: the fast source leaves this file to saphyr"),
    }
    Ok(())
}
