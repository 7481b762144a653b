//! Fault injection for crash tests: with `AERO_CRASH_AT=KIND:N` set, the process kills
//! itself with SIGKILL right after the commit (synced) that holds the N-th journal entry
//! of KIND (`intent`, `result`, `step_ended`, …; see [`EntryKind::name`]).
//!
//! Why in the product: a crash test must stop the real binary at exact points of a real
//! run (after an intent reached the disk but before its side effect, after a step's end
//! was committed, …), and only the journal writer knows when those commits land. Killing
//! from outside at a time would hit the points by chance. The variable is read once per
//! process; unset (always, outside tests), this costs one branch per committed batch.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::events::EntryKind;

/// The environment variable naming the crash point.
pub const CRASH_AT_ENV: &str = "AERO_CRASH_AT";

struct CrashPoint {
    kind: EntryKind,
    nth: u64,
    seen: AtomicU64,
}

fn point() -> Option<&'static CrashPoint> {
    static POINT: OnceLock<Option<CrashPoint>> = OnceLock::new();
    POINT
        .get_or_init(|| {
            let (kind, nth) = parse(&std::env::var(CRASH_AT_ENV).ok()?)?;
            Some(CrashPoint {
                kind,
                nth,
                seen: AtomicU64::new(0),
            })
        })
        .as_ref()
}

/// `KIND:N` (N from 1).
fn parse(text: &str) -> Option<(EntryKind, u64)> {
    let (kind, nth) = text.split_once(':')?;
    Some((
        EntryKind::from_name(kind)?,
        nth.parse().ok().filter(|nth| *nth > 0)?,
    ))
}

/// Called after a batch holding entries of `kinds` was committed.
pub(crate) fn after_commit(kinds: &[EntryKind]) {
    let Some(point) = point() else {
        return;
    };
    let matching = kinds.iter().filter(|kind| **kind == point.kind).count() as u64;
    if matching == 0 {
        return;
    }
    let before = point.seen.fetch_add(matching, Ordering::SeqCst);
    if before < point.nth && point.nth <= before + matching {
        tracing::warn!(point = %format!("{}:{}", point.kind.name(), point.nth), "crash point reached: killing this process");
        kill_self();
    }
}

/// SIGKILL to this process, as an operator's `kill -9` would send it: no destructor,
/// no flush, no cleanup. `kill(1)` does it without unsafe code; the thread then waits
/// for the signal to land.
fn kill_self() -> ! {
    let _ = std::process::Command::new("kill")
        .args(["-KILL", &std::process::id().to_string()])
        .status();
    loop {
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crash_points_name_a_journal_kind_and_an_occurrence_from_one() {
        assert_eq!(parse("intent:3"), Some((EntryKind::Intent, 3)));
        assert_eq!(parse("step_ended:1"), Some((EntryKind::StepEnded, 1)));
        assert_eq!(parse("intent:0"), None);
        assert_eq!(parse("nothing:2"), None);
        assert_eq!(parse("intent"), None);
    }
}
