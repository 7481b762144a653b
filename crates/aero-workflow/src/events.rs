//! What happens to actions and steps: journal entry kinds, and the [`Event`]s a running
//! engine broadcasts (the CLI draws progress from them).
//!
//! Every event is also a journal entry (persisted, scrubbed) and a `tracing` event inside
//! the `action` and `step` spans; the broadcast copy is for live display only and may lag
//! or drop under load (a slow receiver misses events, never blocks the engine).

use std::time::SystemTime;

use crate::state::{ActionState, StepState};

/// The kind of a journal entry (and of an event).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// The action was submitted.
    Submitted,
    /// A worker claimed the action (message: the worker; attempt: the fencing token).
    Claimed,
    /// The action changed state.
    ActionState,
    /// An operator asked for pause, stop, resume or a retry.
    Control,
    /// A step started (or restarted after a resume).
    StepStarted,
    /// An attempt of a step began.
    Attempt,
    /// A side effect is about to be performed (data: the op). Synced before the act.
    Intent,
    /// A side effect's result (ref_seq: the intent; data: the output or the error).
    Result,
    /// The step waits for the real state to converge.
    Waiting,
    /// An attempt failed and will be retried.
    Retrying,
    /// A step ended (state: succeeded or failed; data: its output).
    StepEnded,
    /// A step was skipped because a dependency failed.
    Skipped,
    /// A gate accepted a step's failure.
    Tolerated,
    /// A step was interrupted at a boundary (pause, stop) and will run again; without a
    /// step: the run noticed a pause or stop request and starts no new step.
    Interrupted,
    /// A step was reset to pending (`retry_from`, resume).
    Reset,
    /// A message emitted by a step.
    Message,
}

impl EntryKind {
    /// Every kind.
    pub const ALL: [EntryKind; 16] = [
        EntryKind::Submitted,
        EntryKind::Claimed,
        EntryKind::ActionState,
        EntryKind::Control,
        EntryKind::StepStarted,
        EntryKind::Attempt,
        EntryKind::Intent,
        EntryKind::Result,
        EntryKind::Waiting,
        EntryKind::Retrying,
        EntryKind::StepEnded,
        EntryKind::Skipped,
        EntryKind::Tolerated,
        EntryKind::Interrupted,
        EntryKind::Reset,
        EntryKind::Message,
    ];

    /// The name stored.
    pub fn name(self) -> &'static str {
        match self {
            EntryKind::Submitted => "submitted",
            EntryKind::Claimed => "claimed",
            EntryKind::ActionState => "action_state",
            EntryKind::Control => "control",
            EntryKind::StepStarted => "step_started",
            EntryKind::Attempt => "attempt",
            EntryKind::Intent => "intent",
            EntryKind::Result => "result",
            EntryKind::Waiting => "waiting",
            EntryKind::Retrying => "retrying",
            EntryKind::StepEnded => "step_ended",
            EntryKind::Skipped => "skipped",
            EntryKind::Tolerated => "tolerated",
            EntryKind::Interrupted => "interrupted",
            EntryKind::Reset => "reset",
            EntryKind::Message => "message",
        }
    }

    /// The kind of a stored name.
    pub fn from_name(name: &str) -> Option<EntryKind> {
        EntryKind::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

/// Something that happened to an action or one of its steps, as broadcast live.
#[derive(Clone, Debug)]
pub struct Event {
    /// When (the engine's clock).
    pub at: SystemTime,
    /// The action.
    pub action_id: String,
    /// The step, for step events.
    pub step_id: Option<String>,
    /// What happened.
    pub kind: EntryKind,
    /// The action's new state, for `ActionState` events.
    pub action_state: Option<ActionState>,
    /// The step's new state, for `StepStarted`, `StepEnded`, `Skipped`, `Interrupted`.
    pub step_state: Option<StepState>,
    /// The attempt, for step events.
    pub attempt: Option<u32>,
    /// Text for people (scrubbed).
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_round_trip() {
        for kind in EntryKind::ALL {
            assert_eq!(EntryKind::from_name(kind.name()), Some(kind));
        }
    }
}
