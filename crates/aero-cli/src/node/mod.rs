//! `aero node ...`: what a site's servers are and what each is given to install itself
//! (list, config, image). Arguments in [`args`], what each verb does in [`run`], what it
//! prints in [`output`]; the work is `aero-baremetal`'s.

mod args;
mod output;
mod run;

pub use args::NodeArgs;
pub use run::run;
