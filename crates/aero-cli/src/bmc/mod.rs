//! `aero bmc`: inventory, power, boot override and virtual media of one BMC, given on the
//! command line (`--endpoint URL --username U --password-file F`). Arguments in [`args`],
//! what each verb does in [`run`], what it prints in [`output`] (stable field names, snake
//! case; the Redfish types stay internal to `aero-redfish`).

mod args;
mod output;
mod run;

pub use args::BmcArgs;
pub use run::run;
