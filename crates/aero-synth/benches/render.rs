//! Render benchmark: synthetic sites of 1k, 10k and 50k documents, in both modes.
//!
//! Generation happens outside the timed part; each iteration is one full `render`
//! (load, layering, substitution) plus validation against every kind's schema, as the
//! issue's figure counts it, without dropping the result. The allocator is the `aero`
//! binary's (mimalloc), so the figures are the ones users get.
//! `cargo bench -p aero-synth --bench render`; pass a filter such as `10000` to run
//! one size. For one-shot figures with peak memory, use the `aero-bench-render` binary.

use std::time::Duration;

use aero_docs::diagnostic::Severity;
use aero_docs::mode::Mode;
use aero_docs::render::{RenderConfig, render};
use aero_synth::{Shape, SynthConfig, synthetic_site};
use criterion::{BenchmarkId, Criterion, Throughput};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SIZES: [usize; 3] = [1_000, 10_000, 50_000];
const SEED: u64 = 2024;

fn render_benchmark(criterion: &mut Criterion) {
    let mut group = criterion.benchmark_group("render");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    for documents in SIZES {
        let sources = synthetic_site(&SynthConfig {
            documents,
            seed: SEED,
            shape: Shape::Plain,
        });
        group.throughput(Throughput::Elements(documents as u64));
        group.measurement_time(Duration::from_secs(if documents > 10_000 { 30 } else { 8 }));
        for (label, mode) in [("aerostat", Mode::Aerostat), ("deckhand", Mode::Deckhand)] {
            group.bench_with_input(
                BenchmarkId::new(label, documents),
                &sources,
                |bencher, sources| {
                    // The drop of the result (hundreds of thousands of allocations) is
                    // not part of rendering; `aero-bench-render` reports it separately.
                    bencher.iter_with_large_drop(|| {
                        let rendered = render(sources, &RenderConfig::new(mode));
                        let validation = aero_docs::validate::validate(&rendered);
                        assert!(!rendered.has_errors(), "the synthetic site renders clean");
                        assert!(
                            validation
                                .iter()
                                .all(|diagnostic| diagnostic.severity != Severity::Error),
                            "the synthetic site validates"
                        );
                        (rendered, validation)
                    });
                },
            );
        }
    }
    group.finish();
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    render_benchmark(&mut criterion);
    criterion.final_summary();
}
