//! Differential checks of the fast event source against `saphyr-parser`, shared by the unit
//! tests, the proptest, the fuzz target and the `time_load` example.
//!
//! Hidden from the documentation: this is test support, not part of the crate's API.

use crate::fast::FastEvents;
use crate::load::{load_all, load_all_with_saphyr};
use crate::{Dialect, LoadOptions};
use saphyr_parser::{Event, Parser, Span};

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

/// Checks that the fast path agrees with saphyr on `source`: where the fast source accepts the
/// input, its events and spans equal saphyr's; and `load_all` equals the saphyr-only loader in
/// both dialects (documents with their spans, or the error).
///
/// # Errors
/// A description of the first disagreement.
pub fn check_fast_path(source: &str) -> Result<FastPath, String> {
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
