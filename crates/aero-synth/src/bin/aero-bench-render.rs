//! One-shot render timing for quoting figures: generates a synthetic site of the
//! size given on the command line, renders it once in the chosen mode and prints wall
//! time, documents per second and peak resident memory (`VmHWM`).
//!
//! ```text
//! cargo run --release -p aero-synth --bin aero-bench-render -- 10000 [aerostat|deckhand|both] [--seed N] [--repeat N] [--write DIR] [--phases] [--real-site]
//! ```
//!
//! `--real-site` generates the site shaped like a real Airship site (30 DataSchemas, YAML
//! mixing block scalars, multi-line scalars, anchors and merge keys, multi-line flow
//! mappings, comments and `...` ends; see `aero_synth::Shape::RealSite`) and prints the share
//! of its bytes the fast YAML path reads.
//!
//! `--repeat N` renders N times per mode and also prints the best and the median CPU
//! time: on a shared or virtual machine single runs vary widely (page faults of fresh
//! memory cost anything from nothing to a third of a run), and the best of several runs
//! is the figure that reflects the code rather than the neighbours.
//!
//! `--phases` also times the engine's public phases on their own (loading the YAML,
//! parent selection), to show where a slow render spends its time.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use aero_docs::diagnostic::Severity;
use aero_docs::mode::Mode;
use aero_docs::render::{RenderConfig, render};
use aero_synth::{Shape, SynthConfig, generate, layout};

/// The same allocator as the `aero` binary, so the figures are the ones users get.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "usage: aero-bench-render DOCUMENTS [aerostat|deckhand|both] [--seed N] [--repeat N] [--write DIR] [--phases] [--real-site]";

/// `println!` that ignores a closed stdout (`| head`) instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// `eprintln!` that ignores a closed stderr.
macro_rules! warn {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// Parsed command line.
struct Args {
    documents: usize,
    modes: Vec<Mode>,
    seed: u64,
    repeat: usize,
    write: Option<std::path::PathBuf>,
    phases: bool,
    shape: Shape,
}

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let mut documents = None;
    let mut modes = vec![Mode::Aerostat, Mode::Deckhand];
    let mut seed = 2024;
    let mut write = None;
    let mut phases = false;
    let mut repeat = 1;
    let mut shape = Shape::Plain;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "aerostat" => modes = vec![Mode::Aerostat],
            "deckhand" => modes = vec![Mode::Deckhand],
            "both" => modes = vec![Mode::Aerostat, Mode::Deckhand],
            "--seed" => {
                let value = args.next().ok_or("--seed needs a number")?;
                seed = value
                    .parse()
                    .map_err(|_| format!("invalid seed `{value}`"))?;
            }
            "--repeat" => {
                let value = args.next().ok_or("--repeat needs a number")?;
                repeat = value
                    .parse()
                    .ok()
                    .filter(|runs| *runs > 0)
                    .ok_or_else(|| format!("invalid repeat count `{value}`"))?;
            }
            "--write" => write = Some(args.next().ok_or("--write needs a folder")?.into()),
            "--phases" => phases = true,
            "--real-site" => shape = Shape::RealSite,
            "-h" | "--help" => return Err(USAGE.to_string()),
            number => {
                let count = number
                    .replace('_', "")
                    .parse()
                    .map_err(|_| format!("invalid argument `{number}`\n{USAGE}"))?;
                documents = Some(count);
            }
        }
    }
    Ok(Args {
        documents: documents.ok_or(USAGE)?,
        modes,
        seed,
        repeat,
        write,
        phases,
        shape,
    })
}

/// Peak resident set size of this process in KiB, from `/proc/self/status`.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Current resident set size in KiB.
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// CPU time this (single-threaded) process has run, from `/proc/self/schedstat`
/// (nanoseconds on a CPU), so that figures taken on a busy machine stay honest.
fn cpu_time() -> Option<Duration> {
    let schedstat = std::fs::read_to_string("/proc/self/schedstat").ok()?;
    let nanoseconds = schedstat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanoseconds))
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or_else(
        || "?".to_string(),
        |kib| format!("{:.1} MiB", kib as f64 / 1024.0),
    )
}

fn seconds(duration: Duration) -> f64 {
    duration.as_secs_f64()
}

/// Times loading and parent selection on their own.
fn time_phases(sources: &aero_docs::source::SourceSet, mode: Mode) {
    let started = Instant::now();
    let mut arena = aero_docs::value::Arena::new();
    let config = aero_docs::document::LoadConfig::new(mode);
    let loaded = aero_docs::document::load_documents(sources, &config, &mut arena);
    let load = started.elapsed();
    let layers: Vec<String> = ["global", "type", "site"].map(String::from).to_vec();
    let mut diagnostics = Vec::new();
    let mut failed = vec![false; loaded.documents.len()];
    let started = Instant::now();
    let parents = aero_docs::layering::select_parents(
        &loaded.documents,
        &layers,
        mode,
        &mut diagnostics,
        &mut failed,
    );
    let select = started.elapsed();
    say!(
        "  phases ({mode:?}): load_documents {:.3} s ({} arena nodes); select_parents {:.3} s ({} parents)",
        seconds(load),
        arena.node_count(),
        seconds(select),
        parents.parent.iter().flatten().count(),
    );
}

/// Renders and validates once, prints the figures, and returns the CPU seconds (when the
/// platform reports them) and the number of errors.
fn render_once(sources: &aero_docs::source::SourceSet, mode: Mode) -> (Option<f64>, usize) {
    let cpu_before = cpu_time();
    let started = Instant::now();
    let rendered = render(sources, &RenderConfig::new(mode));
    // The issue's figure includes validation against every kind's DataSchema.
    let validation = aero_docs::validate::validate(&rendered);
    let elapsed = started.elapsed();
    let cpu = cpu_time()
        .zip(cpu_before)
        .map(|(after, before)| seconds(after.saturating_sub(before)));
    let errors = rendered
        .diagnostics
        .iter()
        .chain(&validation)
        .filter(|diagnostic| diagnostic.severity == Severity::Error)
        .count();
    say!(
        "{mode:?}: {} documents rendered and validated ({} output, {} errors) in {:.3} s wall ({} CPU) = {:.0} documents/s; {} arena nodes; peak RSS so far {}",
        rendered.documents.len(),
        rendered.output.len(),
        errors,
        seconds(elapsed),
        cpu.map_or_else(|| "?".to_string(), |cpu| format!("{cpu:.3} s")),
        rendered.documents.len() as f64 / seconds(elapsed).max(1e-9),
        rendered.arena.node_count(),
        mib(peak_rss_kib()),
    );
    if let Some(first) = rendered
        .diagnostics
        .iter()
        .find(|diagnostic| diagnostic.severity == Severity::Error)
    {
        warn!("first error: {:?}: {}", first.kind, first.message);
    }
    let started = Instant::now();
    drop(rendered);
    say!(
        "  dropping the render result: {:.3} s",
        seconds(started.elapsed())
    );
    (cpu, errors)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            warn!("{message}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    let site = generate(&SynthConfig {
        documents: args.documents,
        seed: args.seed,
        shape: args.shape,
    });
    let generated = started.elapsed();
    let bytes: usize = site.sources.iter().map(|(_, file)| file.text.len()).sum();
    say!(
        "site: {} documents in {} files ({:.1} MiB of YAML), {} kinds, {} DataSchemas, {} substitutions, {} replaced; generated in {:.3} s; RSS {}",
        site.stats.documents,
        site.sources.len(),
        bytes as f64 / (1024.0 * 1024.0),
        site.stats.kinds,
        site.stats.data_schemas,
        site.stats.substitutions,
        site.stats.replaced,
        seconds(generated),
        mib(rss_kib()),
    );
    let (fast_bytes, _) = site
        .sources
        .iter()
        .map(|(_, file)| aero_yaml::testing::fast_byte_share(&file.text))
        .fold((0, 0), |(fast, all), (file_fast, file_all)| {
            (fast + file_fast, all + file_all)
        });
    // Before documents fell back one at a time, a file the fast source could not read whole
    // went to saphyr whole.
    let whole_file_bytes: usize = site
        .sources
        .iter()
        .filter(|(_, file)| aero_yaml::testing::count_fast_events(&file.text).is_some())
        .map(|(_, file)| file.text.len())
        .sum();
    say!(
        "YAML: {} real-site constructs; the fast path reads {fast_bytes} of {bytes} bytes ({:.1} %), saphyr the rest (falling back per file: {:.1} %)",
        site.stats.constructs,
        100.0 * fast_bytes as f64 / bytes.max(1) as f64,
        100.0 * whole_file_bytes as f64 / bytes.max(1) as f64,
    );
    if let Some(root) = &args.write {
        if let Err(error) = layout::write_sources(&site.sources, root) {
            warn!("{error}: {}", error.source);
            return ExitCode::FAILURE;
        }
        say!("written under {}", root.display());
    }
    let mut failed = false;
    for mode in &args.modes {
        if args.phases {
            time_phases(&site.sources, *mode);
        }
        let mut cpu_times = Vec::new();
        for _ in 0..args.repeat {
            let (cpu, errors) = render_once(&site.sources, *mode);
            cpu_times.extend(cpu);
            failed |= errors > 0;
        }
        if args.repeat > 1 && !cpu_times.is_empty() {
            cpu_times.sort_by(f64::total_cmp);
            say!(
                "{mode:?}: best {:.3} s CPU, median {:.3} s CPU over {} runs; peak RSS {}",
                cpu_times[0],
                cpu_times[cpu_times.len() / 2],
                cpu_times.len(),
                mib(peak_rss_kib()),
            );
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
