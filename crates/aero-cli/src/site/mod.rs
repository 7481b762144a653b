//! `aero site ...`: the verbs over a Pegleg-style site (list, lint, render, validate,
//! compat, explain, diff). Arguments in [`args`], what each verb does in [`run`], what it
//! prints in [`output`].

mod args;
mod output;
mod run;

pub use args::SiteArgs;
pub use run::run;
