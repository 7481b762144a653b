//! `aero actions ...`: list, show, follow and control the actions in the workflow store.
//! Arguments in [`args`], what each verb does in [`run`], what it prints in [`output`].

mod args;
mod output;
mod run;

pub use args::ActionsArgs;
pub use run::{exit_code_of, run};
