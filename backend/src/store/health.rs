//! Whether the store can write: what the last write found, and the room left on its disk.
//!
//! Why it is tracked: while SQLite cannot write (a full disk, an I/O error, a read-only or removed
//! file), every write fails the same way, and the people behind them must hear a retryable
//! `store_unavailable` rather than `internal`; a load balancer or a monitor must see `/api/health`
//! go 503. A write that succeeds again clears it; while it is set, [`super::Store::probe`] tries a
//! tiny write every few seconds, so a node nobody writes to (a load balancer took it out of
//! rotation) still finds out that it has recovered.
//!
//! Space is checked before every write transaction, not only when SQLite fails: below a reserve
//! the write is refused before it starts. The reserve is what the store itself needs to get going
//! again without help: a WAL checkpoint copies pages into the database file, which can grow, and a
//! write that takes the very last block leaves SQLite unable to write even its rollback. The check
//! is a `statvfs` and a `stat` of the database file (a few microseconds against a commit's fsync of
//! a millisecond or more), so it runs on every transaction, never on stale figures.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use mulin_shared::UtcMillis;

/// Why the store could not write, as told to operators (`/api/health`, the log).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Degraded {
    /// What is wrong, in a sentence an operator can act on.
    pub reason: String,
    /// Since when (UTC milliseconds).
    pub since: UtcMillis,
}

/// The store's write health and its disk, as `/api/health` and `/api/metrics` report them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoreHealth {
    /// `None` while writes succeed.
    pub degraded: Option<Degraded>,
    /// Bytes free for this process on the database's filesystem; `None` if it cannot be read.
    pub free_bytes: Option<u64>,
    /// Whether `free_bytes` is below the warning threshold (`--disk-warn-mb`).
    pub low_space: bool,
    /// Write transactions that failed because the store could not write, since start.
    pub failed_writes: u64,
    /// Writes refused before they started, because the disk was below the reserve or the database
    /// file was gone, since start.
    pub refused_writes: u64,
}

/// Free-space thresholds, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpaceLimits {
    /// Below this, writes are refused before they start.
    pub reserve: u64,
    /// Below this, the log warns and the metrics say `low_space`.
    pub warn: u64,
}

impl Default for SpaceLimits {
    fn default() -> SpaceLimits {
        SpaceLimits {
            reserve: 16 << 20,
            warn: 256 << 20,
        }
    }
}

/// What a write costs on disk beyond its rows: WAL frames are whole pages (4 KiB), and a
/// transaction touches a few index and table pages besides its own rows.
const PAGE: u64 = 4096;

/// The shared write-health state of one [`super::Store`].
#[derive(Debug)]
pub(super) struct WriteHealth {
    path: PathBuf,
    /// The database file's identity when it was opened: a file removed or replaced under the
    /// running server is no longer where the server writes.
    file: Option<(u64, u64)>,
    limits: SpaceLimits,
    degraded: Mutex<Option<Degraded>>,
    failed: AtomicU64,
    refused: AtomicU64,
}

impl WriteHealth {
    pub(super) fn new(path: &Path, limits: SpaceLimits) -> WriteHealth {
        WriteHealth {
            path: path.to_owned(),
            file: identity(path),
            limits,
            degraded: Mutex::new(None),
            failed: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        }
    }

    /// Whether a write of about `pages` pages may start: `Err(why)` if the database file is gone
    /// or the disk would be left below the reserve.
    pub(super) fn check_room(&self, pages: u64) -> Result<(), String> {
        let why = if self.file.is_some() && identity(&self.path) != self.file {
            Some(format!(
                "the database file {} was removed or replaced under the running server; writes \
                 stop so that no order is saved where nobody will find it (docs/OPERATIONS.md)",
                self.path.display()
            ))
        } else if self.limits.reserve == 0 {
            // The reserve is off: writes go as far as SQLite takes them.
            None
        } else {
            match free_bytes(&self.path) {
                Some(free) if free < self.limits.reserve + pages * PAGE => Some(format!(
                    "the disk holding {} is nearly full: {} free, {} kept in reserve",
                    self.path.display(),
                    mib(free),
                    mib(self.limits.reserve)
                )),
                _ => None,
            }
        };
        match why {
            None => Ok(()),
            Some(why) => {
                self.refused.fetch_add(1, Ordering::Relaxed);
                self.set_degraded(&why);
                Err(why)
            }
        }
    }

    /// Records a write that the store could not carry out.
    pub(super) fn failed(&self, why: &str) {
        self.failed.fetch_add(1, Ordering::Relaxed);
        self.set_degraded(&format!("writes to the database fail: {why}"));
    }

    /// Records a write that committed: the store writes again.
    pub(super) fn succeeded(&self) {
        let mut degraded = lock(&self.degraded);
        if let Some(was) = degraded.take() {
            tracing::warn!(since = was.since, reason = %was.reason, "the store writes again");
        }
    }

    /// Whether writes are failing now.
    pub(super) fn is_degraded(&self) -> bool {
        lock(&self.degraded).is_some()
    }

    pub(super) fn report(&self) -> StoreHealth {
        let free = free_bytes(&self.path);
        StoreHealth {
            degraded: lock(&self.degraded).clone(),
            free_bytes: free,
            low_space: free.is_some_and(|f| f < self.limits.warn),
            failed_writes: self.failed.load(Ordering::Relaxed),
            refused_writes: self.refused.load(Ordering::Relaxed),
        }
    }

    pub(super) fn limits(&self) -> SpaceLimits {
        self.limits
    }

    fn set_degraded(&self, reason: &str) {
        let mut degraded = lock(&self.degraded);
        match degraded.as_mut() {
            // The first reason is logged; a changed one too (the disk filled, then the file went).
            Some(d) if d.reason == reason => {}
            Some(d) => {
                tracing::error!(%reason, "the store cannot write");
                d.reason = reason.to_owned();
            }
            None => {
                tracing::error!(%reason, "the store cannot write: writes are refused as store_unavailable until one succeeds");
                *degraded = Some(Degraded {
                    reason: reason.to_owned(),
                    since: crate::now_ms(),
                });
            }
        }
    }
}

/// Poison-free: the state is a plain value, valid after any panic elsewhere.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Device and inode of `path`, if it exists.
fn identity(path: &Path) -> Option<(u64, u64)> {
    let meta = rustix::fs::stat(path).ok()?;
    Some((meta.st_dev, meta.st_ino))
}

/// Bytes an unprivileged writer may still use on the filesystem holding `path` (root may use the
/// blocks reserved for it as well; SQLite's writes run as whoever runs the server, so this is the
/// conservative figure).
pub(super) fn free_bytes(path: &Path) -> Option<u64> {
    // The file itself, or (not made yet, or gone) the folder it is to be in.
    let fs = rustix::fs::statvfs(path)
        .or_else(|_| {
            let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
            rustix::fs::statvfs(dir.unwrap_or(Path::new(".")))
        })
        .ok()?;
    Some(fs.f_bavail.saturating_mul(fs.f_frsize))
}

/// Whether a database error means the store cannot write now (rather than a bad request or a bug):
/// SQLite's full disk, I/O error, read-only database, unopenable file, or a lock held too long by
/// another process (primary result codes 13, 10, 8, 14, 5, 6; extended codes keep them in the low
/// byte).
pub(super) fn cannot_write(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => db
            .code()
            .and_then(|c| c.parse::<i32>().ok())
            .is_some_and(|code| matches!(code & 0xff, 5 | 6 | 8 | 10 | 13 | 14)),
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::WorkerCrashed => true,
        _ => false,
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1 << 20) as f64)
}

/// How often [`super::Store::keep_watch`] looks.
const WATCH_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// How often the log repeats that the disk is low while it stays low.
const WARN_AGAIN_MS: i64 = 10 * 60 * 1000;

/// Pages of room (4 KiB each) a probe asks for before it declares the store writable again.
const PROBE_PAGES: u64 = 256;

impl super::Store {
    /// Whether writes succeed, and the room left on the database's disk.
    pub fn health(&self) -> StoreHealth {
        self.health.report()
    }

    /// The free-space thresholds this store works to.
    pub fn space_limits(&self) -> SpaceLimits {
        self.health.limits()
    }

    /// While writes fail, tries a tiny one, so that the store finds out it writes again even when
    /// nobody else writes (a load balancer that saw the node degraded sends it nothing). Does
    /// nothing while writes succeed. Whether the store writes now.
    pub async fn probe(&self) -> bool {
        if !self.health.is_degraded() {
            return true;
        }
        // A full disk often holds a large WAL (up to ~40 MB between automatic checkpoints): copy
        // it into the database and truncate it, which gives most of it back. It may fail on the
        // full disk itself (the database file grows by the WAL's new pages); the next probe tries
        // again.
        {
            let _gate = self.write_gate.lock().await;
            match sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(TRUNCATE)")
                .fetch_one(&self.writer)
                .await
            {
                Ok((0, _, _)) => tracing::debug!("WAL checkpointed and truncated"),
                Ok(_) => tracing::debug!("WAL checkpoint could not finish: readers hold it"),
                Err(e) => tracing::debug!(error = %e, "WAL checkpoint failed"),
            }
        }
        let now = crate::now_ms();
        // The probe asks for room for a batch (1 MiB) above the reserve, not for its one row: a
        // disk hovering at the reserve must not flip health to ok and back with every probe.
        let probed = self
            .write(PROBE_PAGES, async |tx| {
                sqlx::query(
                    "INSERT INTO write_probe (id, at) VALUES (1, ?) \
                     ON CONFLICT (id) DO UPDATE SET at = excluded.at",
                )
                .bind(now)
                .execute(&mut *tx)
                .await?;
                Ok(())
            })
            .await;
        probed.is_ok()
    }

    /// Watches the disk and the store's health until `stop` resolves: warns in the log when free
    /// space falls below the warning threshold (and every ten minutes while it stays there), says
    /// when it is back above, and while writes fail probes every two seconds so the store notices
    /// it has recovered without waiting for someone to write.
    pub async fn keep_watch(self, stop: impl std::future::Future<Output = ()>) {
        let mut warned_at: Option<UtcMillis> = None;
        let mut tick = tokio::time::interval(WATCH_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let watch = async {
            loop {
                tick.tick().await;
                let now = crate::now_ms();
                let limits = self.health.limits;
                let low = free_bytes(&self.health.path).map(|free| (free, free < limits.warn));
                let warn_now = warned_at.is_none_or(|at| now - at >= WARN_AGAIN_MS);
                match low {
                    Some((free, true)) if warn_now => {
                        tracing::warn!(
                            free = %mib(free),
                            warn_below = %mib(limits.warn),
                            writes_refused_below = %mib(limits.reserve),
                            path = %self.health.path.display(),
                            "the database's disk is running out of space (docs/OPERATIONS.md: \
                             freeing space)"
                        );
                        warned_at = Some(now);
                    }
                    Some((free, false)) if warned_at.is_some() => {
                        tracing::warn!(free = %mib(free), "the database's disk has room again");
                        warned_at = None;
                    }
                    _ => {}
                }
                self.probe().await;
            }
        };
        tokio::select! {
            () = stop => {}
            () = watch => {}
        }
    }
}
