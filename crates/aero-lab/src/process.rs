//! The lab's processes as the kernel sees them (Linux `/proc`), and signals to its
//! process group, through `rustix` (no `unsafe` here).
//!
//! The lab's background process makes itself a session and process group leader
//! (`setsid`), so every process it starts (the emulators) is in its group and one
//! signal to the group reaches them all, even those whose parent died. A zombie (exited,
//! not yet reaped by its parent) counts as gone.

use std::fs;
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, kill_process_group};

use crate::error::LabError;

/// State and process group of a process, from `/proc/<pid>/stat`; `None` when it does
/// not exist.
fn stat(pid: i32) -> Option<(char, i32)> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) S ppid pgrp ...": comm may hold spaces and parentheses.
    let after = &text[text.rfind(')')? + 1..];
    let mut fields = after.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let _parent = fields.next()?;
    let group = fields.next()?.parse().ok()?;
    Some((state, group))
}

/// Whether `pid` runs (exists and is not a zombie).
pub(crate) fn is_alive(pid: i32) -> bool {
    stat(pid).is_some_and(|(state, _)| state != 'Z' && state != 'X')
}

/// The arguments `pid` was started with.
pub(crate) fn arguments(pid: i32) -> Vec<String> {
    fs::read(format!("/proc/{pid}/cmdline"))
        .map(|bytes| {
            bytes
                .split(|byte| *byte == 0)
                .filter(|part| !part.is_empty())
                .map(|part| String::from_utf8_lossy(part).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Whether `pid` is the lab daemon of `site` (and not another process that got its pid
/// after the daemon died): it runs, and its arguments end with `lab run <site>`.
pub(crate) fn is_lab_daemon(pid: i32, site: &str) -> bool {
    if !is_alive(pid) {
        return false;
    }
    let arguments = arguments(pid);
    arguments
        .windows(3)
        .any(|window| window[0] == "lab" && window[1] == "run" && window[2] == site)
}

/// The live (non-zombie) members of process group `group`.
pub(crate) fn group_members(group: i32) -> Vec<i32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut members: Vec<i32> = entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            stat(*pid).is_some_and(|(state, member_of)| {
                member_of == group && state != 'Z' && state != 'X'
            })
        })
        .collect();
    members.sort_unstable();
    members
}

/// Sends `signal` to every process of `group`; a group that no longer exists is fine.
fn signal_group(group: i32, signal: Signal) -> Result<(), LabError> {
    let Some(pid) = Pid::from_raw(group) else {
        return Ok(());
    };
    match kill_process_group(pid, signal) {
        Ok(()) => Ok(()),
        Err(rustix::io::Errno::SRCH) => Ok(()),
        Err(error) => Err(LabError::Signal {
            group,
            source: error.into(),
        }),
    }
}

/// Waits until `group` has no live member or `within` passes; the members left.
fn wait_group_gone(group: i32, within: Duration) -> Vec<i32> {
    let started = Instant::now();
    loop {
        let members = group_members(group);
        if members.is_empty() || started.elapsed() >= within {
            return members;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Stops every process of `group`: SIGTERM (the daemon stops its emulators and exits),
/// then SIGKILL for whatever is left after `grace`. Returns how many processes there
/// were.
pub(crate) fn stop_group(group: i32, grace: Duration) -> Result<usize, LabError> {
    if group <= 1 {
        return Ok(0);
    }
    let members = group_members(group);
    if members.is_empty() {
        return Ok(0);
    }
    signal_group(group, Signal::TERM)?;
    let left = wait_group_gone(group, grace);
    if left.is_empty() {
        return Ok(members.len());
    }
    signal_group(group, Signal::KILL)?;
    let left = wait_group_gone(group, Duration::from_secs(5));
    if left.is_empty() {
        Ok(members.len())
    } else {
        Err(LabError::Survivors { group, pids: left })
    }
}

/// Stops one process with SIGKILL and waits (5 s at most) until it is gone. Returns 1
/// when it was running.
pub(crate) fn stop_process(pid: i32) -> Result<usize, LabError> {
    let Some(target) = Pid::from_raw(pid) else {
        return Ok(0);
    };
    match rustix::process::kill_process(target, Signal::KILL) {
        Ok(()) => {}
        Err(rustix::io::Errno::SRCH) => return Ok(0),
        Err(error) => {
            return Err(LabError::Signal {
                group: pid,
                source: error.into(),
            });
        }
    }
    let started = Instant::now();
    while is_alive(pid) && started.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(50));
    }
    if is_alive(pid) {
        return Err(LabError::Survivors {
            group: pid,
            pids: vec![pid],
        });
    }
    Ok(1)
}

/// Makes the calling process a session and process group leader, detached from any
/// terminal (the lab's background process calls it first).
pub(crate) fn detach() -> std::io::Result<()> {
    rustix::process::setsid().map(|_| ()).map_err(Into::into)
}

#[cfg(test)]
mod tests {
    use std::process::{Command, Stdio};

    use super::*;

    #[test]
    fn this_process_is_alive_and_in_its_group() {
        let pid = std::process::id() as i32;
        assert!(is_alive(pid));
        let (_, group) = stat(pid).unwrap();
        assert!(group_members(group).contains(&pid));
        assert!(!is_alive(i32::MAX));
        assert!(!is_lab_daemon(pid, "edge-lon1"));
        assert!(!arguments(pid).is_empty());
    }

    #[test]
    fn a_group_is_stopped_whole() {
        // `sleep` in a group of its own, as the daemon's children are in the daemon's.
        use std::os::unix::process::CommandExt;
        let mut child = Command::new("sleep")
            .arg("30")
            .process_group(0)
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let group = child.id() as i32;
        assert_eq!(group_members(group), vec![group]);
        let reaper = std::thread::spawn(move || child.wait());
        assert_eq!(stop_group(group, Duration::from_secs(5)).unwrap(), 1);
        assert!(group_members(group).is_empty());
        reaper.join().unwrap().unwrap();
        assert_eq!(stop_group(group, Duration::from_secs(1)).unwrap(), 0);
    }
}
