//! Checks the fast YAML path against saphyr on your own files:
//! `cargo run --release -p aero-yaml --example check_fast_path -- [--prefixes] PATH...`.
//!
//! Every `.yaml` / `.yml` file under each PATH (a file or a directory) goes through
//! [`aero_yaml::testing::check_fast_path`]: the events, spans, errors and loaded documents of
//! the fast path must be saphyr's. With `--prefixes`, every line-prefix of each file is
//! checked too (what an editor saves half-way, a truncated download), for files up to
//! 64 KiB. Prints the share of bytes the fast path read and every disagreement; exits 1 if
//! there was one. The differential tests and fuzz seeds cover the constructs one by one;
//! this is for real sites, which no synthetic input matches.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use aero_yaml::testing::{FastPath, check_fast_path, fast_byte_share};

/// Files larger than this are checked whole only: checking every prefix is quadratic.
const PREFIX_LIMIT: usize = 64 * 1024;

fn yaml_files(path: &Path, found: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)?
            .map(|entry| entry.map(|entry| entry.path()))
            .collect::<Result<_, _>>()?;
        entries.sort();
        for entry in entries {
            yaml_files(&entry, found)?;
        }
    } else if path
        .extension()
        .is_some_and(|extension| extension == "yaml" || extension == "yml")
    {
        found.push(path.to_path_buf());
    }
    Ok(())
}

fn main() -> ExitCode {
    let mut prefixes = false;
    let mut files = Vec::new();
    for argument in std::env::args().skip(1) {
        if argument == "--prefixes" {
            prefixes = true;
        } else if let Err(error) = yaml_files(Path::new(&argument), &mut files) {
            eprintln!("{argument}: {error}");
            return ExitCode::from(2);
        }
    }
    if files.is_empty() {
        eprintln!("usage: check_fast_path [--prefixes] PATH... (no .yaml or .yml files found)");
        return ExitCode::from(2);
    }

    let (mut fast_bytes, mut total_bytes, mut whole_fast, mut unreadable) = (0, 0, 0, 0);
    let mut disagreements = 0;
    let mut prefixes_checked = 0;
    for file in &files {
        let Ok(text) = std::fs::read_to_string(file) else {
            // Not UTF-8: the loader never sees it (the caller reports it).
            unreadable += 1;
            continue;
        };
        let (fast, total) = fast_byte_share(&text);
        fast_bytes += fast;
        total_bytes += total;
        match check_fast_path(&text) {
            Ok(FastPath::Accepted) => whole_fast += 1,
            Ok(FastPath::Unsupported) => {}
            Err(disagreement) => {
                disagreements += 1;
                println!("{}: {disagreement}", file.display());
            }
        }
        if prefixes && text.len() <= PREFIX_LIMIT {
            for (end, _) in text.match_indices('\n') {
                prefixes_checked += 1;
                if let Err(disagreement) = check_fast_path(&text[..end]) {
                    disagreements += 1;
                    println!("{} (first {end} bytes): {disagreement}", file.display());
                    break;
                }
            }
        }
    }
    println!(
        "{} files ({unreadable} not UTF-8), {:.1} MiB: the fast path read {:.1} % of the bytes; \
         {whole_fast} files wholly; {prefixes_checked} prefixes checked; {disagreements} \
         disagreements",
        files.len(),
        total_bytes as f64 / (1024.0 * 1024.0),
        if total_bytes == 0 {
            100.0
        } else {
            fast_bytes as f64 * 100.0 / total_bytes as f64
        }
    );
    if disagreements == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
