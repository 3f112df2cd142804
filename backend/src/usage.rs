//! What a process costs the machine: CPU time and resident memory, from Linux's /proc.
//!
//! The server reports its own in `/api/metrics`, so that a load run from another machine (where
//! viewers do not take the server's cores) can still put the server's cost beside its delays; load
//! tools on the server's machine read any process's directly.

use serde::{Deserialize, Serialize};

/// CPU time and resident memory of a process.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ProcessUsage {
    /// CPU time used so far, user and system, in seconds (10 ms steps).
    pub cpu_s: f64,
    /// Of `cpu_s`, the time spent in the kernel (system time). It holds the network stack's work
    /// for the process's sends, and (Linux runs the softirqs where they are raised) on loopback
    /// the receiving side's too: the part of a fan-out's cost that is not the server's own code.
    pub kernel_s: f64,
    /// Resident memory now, in KiB.
    pub rss_kb: u64,
}

/// Why a process's usage could not be read.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    /// The /proc file is missing or unreadable: the process is gone, or this is not Linux.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The /proc file did not hold what Linux puts there.
    #[error("unexpected contents in {path}: {what}")]
    Format {
        /// The file.
        path: String,
        /// What was missing.
        what: &'static str,
    },
}

/// Clock ticks per second in /proc CPU times (USER_HZ: 100 on every Linux that matters).
const TICKS_PER_S: f64 = 100.0;

/// The usage of process `pid`.
pub fn of_pid(pid: u32) -> Result<ProcessUsage, UsageError> {
    read(&pid.to_string())
}

/// The usage of this process.
pub fn of_self() -> Result<ProcessUsage, UsageError> {
    read("self")
}

fn read(proc: &str) -> Result<ProcessUsage, UsageError> {
    let file = |name: &str| {
        let path = format!("/proc/{proc}/{name}");
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok((path, text)),
            Err(source) => Err(UsageError::Read { path, source }),
        }
    };
    let (path, stat) = file("stat")?;
    let bad = |what| UsageError::Format {
        path: path.clone(),
        what,
    };
    // Fields after the command name (which may hold spaces or brackets) start after the last ')'.
    let rest = stat
        .rsplit_once(')')
        .ok_or_else(|| bad("no command name"))?
        .1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name and state.
    let ticks = |i: usize| -> Result<u64, UsageError> {
        (fields.get(i).and_then(|v| v.parse::<u64>().ok())).ok_or_else(|| bad("no CPU times"))
    };
    let (user_ticks, kernel_ticks) = (ticks(11)?, ticks(12)?);
    let (path, status) = file("status")?;
    let rss_kb = (status.lines())
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .ok_or(UsageError::Format {
            path,
            what: "no VmRSS",
        })?;
    Ok(ProcessUsage {
        cpu_s: (user_ticks + kernel_ticks) as f64 / TICKS_PER_S,
        kernel_s: kernel_ticks as f64 / TICKS_PER_S,
        rss_kb,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_uses_some_memory_and_a_missing_one_is_an_error() {
        let mine = of_self().expect("own usage");
        assert!(mine.rss_kb > 0, "{mine:?}");
        assert!(
            0.0 <= mine.kernel_s && mine.kernel_s <= mine.cpu_s,
            "{mine:?}"
        );
        // Process ids stop well below this (pid_max is at most 2^22).
        let gone = of_pid(u32::MAX);
        assert!(matches!(gone, Err(UsageError::Read { .. })), "{gone:?}");
    }
}
