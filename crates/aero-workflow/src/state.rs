//! The states of actions and steps, and their names in the store.
//!
//! ```text
//! action:  Pending ──claim──► Running ──► Succeeded | SucceededWithFailures | Failed
//!             │                 │  ▲ pause (at a step boundary)
//!             │ pause/stop      ▼  │ resume
//!             └──────────────► Paused
//!                    stop ──► Stopping ──(in-flight acts end)──► Stopped ──resume──► Pending
//!          Failed / SucceededWithFailures ──retry_from──► Pending
//!
//! step:    Pending ──► Running ──► Succeeded | Failed
//!             └──(a Success dependency failed or was skipped)──► Skipped
//!          Running ──(pause/stop at a boundary inside the step)──► Cancelled ──resume──► Pending
//! ```
//!
//! An action holds its site (the store runs one action per site) from submission until it
//! is Stopped, Succeeded, SucceededWithFailures or Failed; a Paused action keeps it.

use std::fmt;

/// The state of an action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ActionState {
    /// Submitted (or resumed), waiting for a worker.
    Pending,
    /// A worker holds its lease and runs its steps.
    Running,
    /// Paused at a step boundary; resumable.
    Paused,
    /// Stop requested: steps in flight finish their current act, no new step starts.
    Stopping,
    /// Stopped at a step boundary; resumable.
    Stopped,
    /// Every step succeeded.
    Succeeded,
    /// Every failure was accepted (a step allowed to fail, or a gate's success criteria).
    SucceededWithFailures,
    /// A step failed and nothing accepted it.
    Failed,
}

impl ActionState {
    /// Every state, in lifecycle order.
    pub const ALL: [ActionState; 8] = [
        ActionState::Pending,
        ActionState::Running,
        ActionState::Paused,
        ActionState::Stopping,
        ActionState::Stopped,
        ActionState::Succeeded,
        ActionState::SucceededWithFailures,
        ActionState::Failed,
    ];

    /// The name stored and shown: `pending`, `succeeded_with_failures`, ...
    pub fn name(self) -> &'static str {
        match self {
            ActionState::Pending => "pending",
            ActionState::Running => "running",
            ActionState::Paused => "paused",
            ActionState::Stopping => "stopping",
            ActionState::Stopped => "stopped",
            ActionState::Succeeded => "succeeded",
            ActionState::SucceededWithFailures => "succeeded_with_failures",
            ActionState::Failed => "failed",
        }
    }

    /// The state of a stored name.
    pub fn from_name(name: &str) -> Option<ActionState> {
        ActionState::ALL
            .into_iter()
            .find(|state| state.name() == name)
    }

    /// Whether the action has finished for good (until `retry_from`).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ActionState::Succeeded | ActionState::SucceededWithFailures | ActionState::Failed
        )
    }

    /// Whether the action holds its site in this state.
    pub fn holds_site(self) -> bool {
        matches!(
            self,
            ActionState::Pending
                | ActionState::Running
                | ActionState::Paused
                | ActionState::Stopping
        )
    }

    /// Whether a worker may claim the action in this state (when no live lease holds it).
    pub fn is_claimable(self) -> bool {
        matches!(
            self,
            ActionState::Pending | ActionState::Running | ActionState::Stopping
        )
    }
}

impl fmt::Display for ActionState {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.name())
    }
}

/// The state of a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StepState {
    /// Not started (or reset by resume or `retry_from`).
    Pending,
    /// Started and not ended (on a worker that died: resumed from the journal).
    Running,
    /// Ended well.
    Succeeded,
    /// Ended badly.
    Failed,
    /// Not run: a dependency it needed to succeed failed or was skipped.
    Skipped,
    /// Interrupted at a boundary by pause or stop; runs again on resume.
    Cancelled,
}

impl StepState {
    /// Every state.
    pub const ALL: [StepState; 6] = [
        StepState::Pending,
        StepState::Running,
        StepState::Succeeded,
        StepState::Failed,
        StepState::Skipped,
        StepState::Cancelled,
    ];

    /// The name stored and shown.
    pub fn name(self) -> &'static str {
        match self {
            StepState::Pending => "pending",
            StepState::Running => "running",
            StepState::Succeeded => "succeeded",
            StepState::Failed => "failed",
            StepState::Skipped => "skipped",
            StepState::Cancelled => "cancelled",
        }
    }

    /// The state of a stored name.
    pub fn from_name(name: &str) -> Option<StepState> {
        StepState::ALL
            .into_iter()
            .find(|state| state.name() == name)
    }

    /// Whether the step has ended (succeeded, failed or skipped): what a `Completion`
    /// dependency waits for.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            StepState::Succeeded | StepState::Failed | StepState::Skipped
        )
    }

    /// Whether the step ended without succeeding.
    pub fn is_failure(self) -> bool {
        matches!(self, StepState::Failed | StepState::Skipped)
    }
}

impl fmt::Display for StepState {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.name())
    }
}

/// An operator's request to a running action, applied at the next step boundary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Control {
    /// Pause: no new step starts; steps in flight finish their current act; resumable.
    Pause,
    /// Stop: like pause, and the action releases its site.
    Stop,
}

impl Control {
    /// The name stored.
    pub fn name(self) -> &'static str {
        match self {
            Control::Pause => "pause",
            Control::Stop => "stop",
        }
    }

    /// The request of a stored name.
    pub fn from_name(name: &str) -> Option<Control> {
        match name {
            "pause" => Some(Control::Pause),
            "stop" => Some(Control::Stop),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for state in ActionState::ALL {
            assert_eq!(ActionState::from_name(state.name()), Some(state));
        }
        for state in StepState::ALL {
            assert_eq!(StepState::from_name(state.name()), Some(state));
        }
        assert_eq!(ActionState::from_name("done"), None);
    }

    #[test]
    fn paused_actions_keep_their_site_and_stopped_ones_release_it() {
        let holding: Vec<ActionState> = ActionState::ALL
            .into_iter()
            .filter(|state| state.holds_site())
            .collect();
        assert_eq!(
            holding,
            [
                ActionState::Pending,
                ActionState::Running,
                ActionState::Paused,
                ActionState::Stopping
            ]
        );
    }
}
