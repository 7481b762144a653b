//! `aero lab ...`: the local lab, a stand-in for a site's BMCs and machines (up, down,
//! status). Arguments in [`args`], what each verb does in [`run`], what it prints in
//! [`output`]; the work is `aero-lab`'s.

mod args;
mod output;
mod run;

pub use args::LabArgs;
pub use run::run;
