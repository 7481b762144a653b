//! Differential checks of the fast event source against `saphyr-parser`, shared by the unit
//! tests, the proptest, the fuzz target and the `time_load` example.
//!
//! Hidden from the documentation: this is test support, not part of the crate's API.

use crate::fast::FastEvents;
use crate::load::{load_all, load_all_fast_or_saphyr, load_all_with_saphyr};
use crate::mixed::MixedEvents;
use crate::{Dialect, Document, LoadError, LoadOptions};
use saphyr_parser::{Event, Parser, ScanError, Span};

/// The fast source's events for `source`, or `None` where it leaves the input to saphyr.
fn fast_events(source: &str) -> Option<Vec<(Event<'_>, Span)>> {
    let mut events = FastEvents::new(source);
    let mut collected = Vec::new();
    while let Some(next) = events.next_event() {
        collected.push(next.ok()?);
    }
    Some(collected)
}

/// How many events the fast source yields for `source` (`None`: it leaves the input to saphyr).
pub fn count_fast_events(source: &str) -> Option<usize> {
    let mut events = FastEvents::new(source);
    let mut count = 0;
    while let Some(next) = events.next_event() {
        next.ok()?;
        count += 1;
    }
    Some(count)
}

/// Events of a whole stream up to its end or its first error, and that error.
type EventsAndError<'input> = (Vec<(Event<'input>, Span)>, Option<ScanError>);

/// saphyr's events for the whole of `source`, and its error if it fails.
fn saphyr_events(source: &str) -> EventsAndError<'_> {
    let mut events = Vec::new();
    for next in Parser::new_from_str(source) {
        match next {
            Ok(item) => events.push(item),
            Err(error) => return (events, Some(error)),
        }
    }
    (events, None)
}

/// The per-document source's events for `source` (see `crate::mixed`), and its error.
fn mixed_events(source: &str) -> EventsAndError<'_> {
    let mut mixed = MixedEvents::new(source);
    let mut events = Vec::new();
    while let Some(next) = mixed.next_event() {
        match next {
            Ok(item) => events.push(item),
            Err(error) => return (events, Some(error)),
        }
    }
    (events, None)
}

/// How many bytes of `source` the per-document source reads with the fast scanner (the rest
/// is read by saphyr), and the length of `source`.
pub fn fast_byte_share(source: &str) -> (usize, usize) {
    let mut mixed = MixedEvents::new(source);
    while let Some(Ok(_)) = mixed.next_event() {}
    (mixed.fast_bytes(), source.len())
}

/// `load_all` as it was before documents fell back one at a time: the fast source for the
/// whole stream, or saphyr for the whole stream. For benchmarks comparing the two.
///
/// # Errors
/// As [`load_all`].
pub fn load_all_whole_stream_fallback(
    source: &str,
    options: &LoadOptions,
) -> Result<Vec<Document>, LoadError> {
    load_all_fast_or_saphyr(source, options)
}

/// Checks that the fast path agrees with saphyr on `source`: where the fast source accepts the
/// input, its events and spans equal saphyr's; the per-document source (fast where it can,
/// saphyr for the other documents) gives exactly saphyr's events and spans, and saphyr's error
/// at the same place; and `load_all` equals the saphyr-only loader in both dialects (documents
/// with their spans, or the error).
///
/// # Errors
/// A description of the first disagreement.
pub fn check_fast_path(source: &str) -> Result<FastPath, String> {
    let (mut saphyr, mut saphyr_error) = saphyr_events(source);
    let (mixed, mixed_error) = mixed_events(source);
    // The one thing a fresh parser cannot know: the names of anchors of earlier documents.
    // An alias to one is an alias event for the whole-stream parser, which the loader refuses
    // (anchors are per document), and an `unknown anchor` error for a fresh parser: both fail
    // the load, and `load_all` reports saphyr's whole-stream error.
    if let Some(error) = &mixed_error
        && error.info().contains("unknown anchor")
        && let Some((Event::Alias(_), span)) = saphyr.get(mixed.len())
        && span.start == *error.marker()
    {
        saphyr.truncate(mixed.len());
        saphyr_error = mixed_error.clone();
    }
    if let Some(index) =
        (0..mixed.len().max(saphyr.len())).find(|&index| mixed.get(index) != saphyr.get(index))
    {
        return Err(format!(
            "per-document events differ at {index} for {source:?}:\n mixed:  {:?}\n saphyr: {:?}",
            mixed.get(index),
            saphyr.get(index)
        ));
    }
    if mixed_error != saphyr_error {
        return Err(format!(
            "per-document error differs for {source:?}:\n mixed:  {mixed_error:?}\n saphyr: {saphyr_error:?}"
        ));
    }
    let accepted = match fast_events(source) {
        Some(fast) => {
            let mut saphyr = Vec::new();
            for next in Parser::new_from_str(source) {
                match next {
                    Ok(item) => saphyr.push(item),
                    Err(error) => {
                        return Err(format!(
                            "fast source accepted {source:?}, saphyr fails: {error}"
                        ));
                    }
                }
            }
            if let Some(index) = (0..fast.len().max(saphyr.len()))
                .find(|&index| fast.get(index) != saphyr.get(index))
            {
                return Err(format!(
                    "events differ at {index} for {source:?}:\n fast:   {:?}\n saphyr: {:?}",
                    fast.get(index),
                    saphyr.get(index)
                ));
            }
            FastPath::Accepted
        }
        None => FastPath::Unsupported,
    };
    for dialect in [Dialect::Yaml12, Dialect::PyYaml11] {
        let options = LoadOptions::new(dialect);
        // Compared as text: NaN is not equal to itself.
        let loaded = format!("{:?}", load_all(source, &options));
        let reference = format!("{:?}", load_all_with_saphyr(source, &options));
        if loaded != reference {
            return Err(format!(
                "load_all differs ({dialect:?}) for {source:?}:\n fast:   {loaded:?}\n saphyr: {reference:?}"
            ));
        }
    }
    Ok(accepted)
}

/// Whether the fast source read an input or left it to saphyr.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FastPath {
    /// The fast source read the whole input.
    Accepted,
    /// The fast source gave up and saphyr read the input.
    Unsupported,
}

/// How many cases a differential proptest runs: `default`, or `PROPTEST_CASES` when set (a
/// long run after changing the fast source: `PROPTEST_CASES=100000 cargo test -p aero-yaml`).
pub fn proptest_cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(default)
}
