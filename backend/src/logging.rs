//! The server's log and the lines it prints, which must never bring it down.
//!
//! A write to stdout or stderr fails when the disk under a redirected log is full, when the pipe
//! to a log collector has closed, or when the terminal that started the server has gone.
//! `println!` panics then, and so did the log: tracing-subscriber reports its own failed write with
//! `eprintln!`, which fails the same way. With `panic = "abort"` that ended the process, dropping
//! every viewer and every purchase in flight. Here a line that cannot be written is dropped and
//! counted (`/api/metrics`: `log_lines_dropped`), and serving goes on.

use std::fmt;
use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};

static DROPPED: AtomicU64 = AtomicU64::new(0);

/// Lines of log or output that could not be written since the process started.
pub fn dropped() -> u64 {
    DROPPED.load(Ordering::Relaxed)
}

fn count(result: io::Result<()>) {
    if result.is_err() {
        DROPPED.fetch_add(1, Ordering::Relaxed);
    }
}

/// Stderr for the log (`tracing_subscriber::fmt().with_writer(|| LogWriter)`): every write
/// succeeds as far as the logger knows; one that fails is counted and dropped.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        count(io::stderr().lock().write_all(buf));
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        count(io::stderr().lock().flush());
        Ok(())
    }
}

/// A line on stdout (the links people read), or dropped and counted if stdout cannot take it.
pub fn say(line: fmt::Arguments) {
    let mut out = io::stdout().lock();
    count(writeln!(out, "{line}").and_then(|_| out.flush()));
}

/// A line on stderr, or dropped and counted if stderr cannot take it.
pub fn say_err(line: fmt::Arguments) {
    count(writeln!(io::stderr().lock(), "{line}"));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writing to a closed pipe fails (EPIPE; Rust ignores SIGPIPE): counted, no panic.
    #[test]
    fn a_failed_write_is_counted_not_a_panic() {
        let before = dropped();
        count(Err(io::Error::from(io::ErrorKind::BrokenPipe)));
        count(Ok(()));
        assert_eq!(dropped(), before + 1);
    }
}
