//! Arguments of `aero actions`.

use clap::{Args, Subcommand};

use crate::format::OutputFormat;

/// Arguments of `aero actions`.
#[derive(Debug, Args)]
pub struct ActionsArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: ActionsCommand,
}

/// `aero actions` verbs.
#[derive(Debug, Subcommand)]
pub enum ActionsCommand {
    /// List actions, newest first.
    List {
        /// Only this site's.
        #[arg(long)]
        site: Option<String>,
        /// Only actions in this state (pending, running, paused, stopping, stopped,
        /// succeeded, succeeded-with-failures, failed; repeatable).
        #[arg(long = "state", value_name = "STATE")]
        states: Vec<String>,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Output format.
        #[arg(short, long, value_enum, default_value = "table")]
        output: OutputFormat,
    },
    /// Show an action and its steps.
    Show {
        /// The action id.
        action: String,
        /// Output format.
        #[arg(short, long, value_enum, default_value = "table")]
        output: OutputFormat,
    },
    /// Print an action's journal (every step's start, attempts, intents, results, end).
    Logs {
        /// The action id.
        action: String,
        /// Only this step's entries.
        #[arg(long)]
        step: Option<String>,
        /// Keep printing new entries until the action ends.
        #[arg(long, short)]
        follow: bool,
        /// Output format (table prints one line per entry).
        #[arg(short, long, value_enum, default_value = "table")]
        output: OutputFormat,
    },
    /// Pause an action at the next step boundary (steps in flight finish their request).
    Pause {
        /// The action id.
        action: String,
    },
    /// Stop an action at the next step boundary and release its site; it can be resumed.
    Stop {
        /// The action id.
        action: String,
    },
    /// Resume a paused, stopped or interrupted action (or every interrupted one).
    Resume {
        /// The action id.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        action: Option<String>,
        /// Every action left running by a worker that is gone, paused or stopped.
        #[arg(long)]
        all: bool,
        /// Run it here and follow it to its end (exit code from its final state).
        #[arg(long)]
        wait: bool,
    },
    /// Run failed or skipped steps again: the steps named (or a group's steps) and every
    /// step after them.
    Retry {
        /// The action id.
        action: String,
        /// A step id, or a deployment group's name (repeatable).
        #[arg(long = "from", value_name = "STEP", required = true)]
        from: Vec<String>,
        /// Run it here and follow it to its end.
        #[arg(long)]
        wait: bool,
    },
}
