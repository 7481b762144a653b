//! Link settings of the `aero` binary.
//!
//! Relative relocations are packed (`-z pack-relative-relocs`, the RELR format) when the C
//! library that will load the binary understands them (glibc 2.36 and later). The binary has
//! some 48,000 relative relocations: as RELA entries they take 1.1 MiB that the dynamic
//! loader reads at every start (about a megabyte of every `aero` process's resident memory,
//! a short `aero render` included); packed they take 13 KiB. An older glibc refuses to load
//! a binary that needs RELR, so the flag is only set when building for the machine that
//! builds (target = host) and its glibc is new enough.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if host_glibc_reads_relr() {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}

/// Whether the binary is built for this machine and its glibc is 2.36 or later.
fn host_glibc_reads_relr() -> bool {
    let target = std::env::var("TARGET").unwrap_or_default();
    let host = std::env::var("HOST").unwrap_or_default();
    if target != host || !target.ends_with("-linux-gnu") {
        return false;
    }
    // `getconf GNU_LIBC_VERSION` prints e.g. `glibc 2.36`.
    let Ok(output) = Command::new("getconf").arg("GNU_LIBC_VERSION").output() else {
        return false;
    };
    let text = String::from_utf8_lossy(&output.stdout);
    let Some(version) = text.trim().strip_prefix("glibc ") else {
        return false;
    };
    let mut parts = version.split('.').map(|part| part.parse::<u32>().ok());
    match (parts.next().flatten(), parts.next().flatten()) {
        (Some(major), Some(minor)) => (major, minor) >= (2, 36),
        _ => false,
    }
}
