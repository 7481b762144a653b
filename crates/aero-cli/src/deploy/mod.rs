//! `aero plan`, `aero deploy` and `aero worker`: plan an action on a site, run it here
//! or queue it for workers. Arguments in [`args`], what each verb does in [`run`], what
//! it prints in [`output`], progress in [`progress`]; BMC observation for the plan in
//! [`observe`]; the artifact server a running action needs in [`artifacts`].

mod args;
mod artifacts;
mod observe;
mod output;
mod progress;
mod run;

pub use args::{DeployArgs, PlanArgs, WorkerArgs};
pub use run::{deploy, plan, resume_all, run_here, worker};
