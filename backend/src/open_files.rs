//! How many files the process may hold open, and how many WebSocket connections that leaves room
//! for.
//!
//! Why: every viewer's connection is an open file. Once the process has none left, the kernel
//! refuses the next accept (`EMFILE`), axum pauses accepting for a second at a time, and newcomers
//! wait in the listen backlog until they give up, with no answer at all; the store could fail to
//! open a file too. The connection limit must therefore engage first, so that a viewer past it is
//! promptly told `503 unavailable` and retries, and it can only do that if it fits under the file
//! limit.

/// Files kept free beyond the WebSocket connections: plain HTTP requests (the widget's files, the
/// API, pictures), upgrades being refused with 503 while the limit is reached, and the store's
/// files as its pool grows.
pub const HEADROOM: u64 = 256;

/// The open-file limit before and after [`raise_limit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Raised {
    /// The soft limit the process started with.
    pub from: u64,
    /// The soft limit now (the hard limit, unless that could not be set).
    pub to: u64,
}

/// Why the limit could not be raised.
#[derive(Debug, thiserror::Error)]
#[error("cannot raise the open-file limit: {0}")]
pub struct OpenFilesError(#[from] std::io::Error);

/// Raises the process's soft open-file limit to its hard one. A shell's or a service's default soft
/// limit is often 1,024, which would hold a node to about a thousand viewers, while the hard limit
/// the administrator set is usually far higher; raising the soft limit is the process's own call
/// (Go's runtime does it at start for the same reason).
#[cfg(unix)]
pub fn raise_limit() -> Result<Raised, OpenFilesError> {
    let (from, _) = rlimit::getrlimit(rlimit::Resource::NOFILE)?;
    let to = rlimit::increase_nofile_limit(u64::MAX)?;
    Ok(Raised { from, to })
}

/// Elsewhere there is no such limit to raise.
#[cfg(not(unix))]
pub fn raise_limit() -> Result<Raised, OpenFilesError> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported).into())
}

/// The soft open-file limit, where the system has one.
pub fn limit() -> Option<u64> {
    #[cfg(unix)]
    if let Ok((soft, _)) = rlimit::getrlimit(rlimit::Resource::NOFILE) {
        return Some(soft);
    }
    None
}

/// How many files the process has open now, where the system says (Linux: `/proc/self/fd`).
pub fn open_now() -> Option<u64> {
    let entries = std::fs::read_dir("/proc/self/fd").ok()?;
    // The listing itself holds one open while it is read.
    Some((entries.count() as u64).saturating_sub(1))
}

/// How many WebSocket connections fit: `requested`, or fewer when `limit` files, `open` of them
/// already open and [`HEADROOM`] kept free, cannot hold that many.
pub fn connection_limit(requested: usize, limit: u64, open: u64) -> usize {
    let room = limit.saturating_sub(open).saturating_sub(HEADROOM);
    requested.min(usize::try_from(room).unwrap_or(usize::MAX))
}

#[cfg(test)]
mod tests {
    use super::{HEADROOM, connection_limit};

    #[test]
    fn the_limit_asked_for_stands_when_the_files_can_hold_it() {
        assert_eq!(connection_limit(20_000, 1_048_576, 40), 20_000);
        assert_eq!(connection_limit(10, 40 + HEADROOM + 10, 40), 10);
    }

    #[test]
    fn the_limit_shrinks_to_what_the_files_can_hold() {
        // The machine's 20,000 files cannot hold 20,000 connections beside the rest.
        assert_eq!(
            connection_limit(20_000, 20_000, 40),
            20_000 - 40 - HEADROOM as usize
        );
        assert_eq!(connection_limit(20_000, 40 + HEADROOM, 40), 0);
        assert_eq!(connection_limit(20_000, 100, 40), 0);
    }
}
