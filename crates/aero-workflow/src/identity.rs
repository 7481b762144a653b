//! Who a worker process is, precisely enough to tell that it is dead.
//!
//! A lease normally ends by expiry (the database's clock). When the owner ran on *this*
//! machine, in *this* boot and *this* PID namespace, the engine can do better: if that
//! process no longer exists (or its PID now belongs to a process that started at another
//! time, or is a zombie), nobody can write with the lease any more, and it may be broken at
//! once so that `resume` after a crash does not wait for the TTL.
//!
//! Safety: every part of the identity must match before liveness is even asked. The boot
//! id (random per boot, from `/proc/sys/kernel/random/boot_id`) rules out another machine
//! with the same host name and a reboot; the PID namespace rules out a container whose
//! PIDs are invisible here; the start time rules out a reused PID. When any part cannot be
//! read (not Linux, no `/proc`), the identity is unknown and such a lease is never broken
//! early: it expires by its TTL as usual. A frozen process (SIGSTOP) is alive: its lease
//! expires by TTL and fencing stops it from writing afterwards.

/// The identity of a worker process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessIdentity {
    /// The host name.
    pub hostname: String,
    /// The kernel's boot id (empty when unknown).
    pub boot_id: String,
    /// The PID namespace, like `pid:[4026531836]` (empty when unknown).
    pub pid_ns: String,
    /// The process id.
    pub pid: u32,
    /// The process's start time in clock ticks since boot (0 when unknown).
    pub start_time: u64,
}

impl ProcessIdentity {
    /// The identity of the calling process.
    pub fn current() -> ProcessIdentity {
        let pid = std::process::id();
        ProcessIdentity {
            hostname: read_trimmed("/proc/sys/kernel/hostname")
                .or_else(|| std::env::var("HOSTNAME").ok())
                .unwrap_or_else(|| "unknown".to_string()),
            boot_id: read_trimmed("/proc/sys/kernel/random/boot_id").unwrap_or_default(),
            pid_ns: std::fs::read_link("/proc/self/ns/pid")
                .map(|link| link.to_string_lossy().into_owned())
                .unwrap_or_default(),
            pid,
            start_time: process_start_time(pid).map_or(0, |(start, _)| start),
        }
    }

    /// Whether every part of the identity could be read.
    pub fn is_known(&self) -> bool {
        !self.boot_id.is_empty() && !self.pid_ns.is_empty() && self.start_time != 0
    }

    /// Whether `other` is a process of the same machine, boot and PID namespace as `self`,
    /// so that its liveness can be checked from here.
    pub fn is_local(&self, other: &ProcessIdentity) -> bool {
        self.is_known()
            && other.is_known()
            && self.hostname == other.hostname
            && self.boot_id == other.boot_id
            && self.pid_ns == other.pid_ns
    }

    /// Whether the process `other` (local to `self`) certainly no longer runs: its PID is
    /// gone, reused by a later process, or a zombie. `false` whenever in doubt.
    pub fn is_dead_local(&self, other: &ProcessIdentity) -> bool {
        if !self.is_local(other) {
            return false;
        }
        match process_start_time(other.pid) {
            // `/proc` works here (our own identity is known): the PID is gone.
            None => true,
            Some((start, state)) => start != other.start_time || state == 'Z' || state == 'X',
        }
    }
}

fn read_trimmed(path: &str) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// The start time (field 22 of `/proc/PID/stat`) and state letter (field 3) of a process.
fn process_start_time(pid: u32) -> Option<(u64, char)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces or ')'.
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace();
    let state = fields.next()?.chars().next()?;
    // Fields 4.. follow; the start time is field 22, the 19th after the state.
    let start = fields.nth(18)?.parse().ok()?;
    Some((start, state))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_current_process_is_alive() {
        let me = ProcessIdentity::current();
        assert!(me.is_known(), "this platform has /proc: {me:?}");
        assert!(me.is_local(&me));
        assert!(!me.is_dead_local(&me));
    }

    #[test]
    fn an_exited_process_is_dead_and_a_foreign_one_is_never_judged() {
        let me = ProcessIdentity::current();
        let mut child = std::process::Command::new("true")
            .spawn()
            .expect("spawn true");
        let child_pid = child.id();
        let start = process_start_time(child_pid).map_or(1, |(start, _)| start);
        child.wait().expect("wait");
        let dead = ProcessIdentity {
            pid: child_pid,
            start_time: start,
            ..me.clone()
        };
        assert!(me.is_dead_local(&dead));
        let reused = ProcessIdentity {
            start_time: me.start_time + 1,
            ..me.clone()
        };
        assert!(
            me.is_dead_local(&reused),
            "a reused pid is not the same process"
        );
        let elsewhere = ProcessIdentity {
            boot_id: "another-boot".to_string(),
            ..dead
        };
        assert!(!me.is_dead_local(&elsewhere));
    }
}
