//! The `aero` command-line tool.
fn main() {}
