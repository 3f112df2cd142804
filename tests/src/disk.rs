//! A small real disk that the tests fill up: a tmpfs of a few MiB, so that every failure a full
//! disk causes is the kernel's and SQLite's own, not a simulation.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs at a fresh folder, unmounted when dropped. Mounting needs root, as in CI.
#[derive(Debug)]
pub struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    /// A tmpfs of `kib` KiB; `None` (said on stderr) when this is not root: only root may mount.
    /// Root that cannot mount fails the test: CI must not skip it silently.
    pub fn mount(kib: u32) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().expect("temp dir");
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kib}k"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
            let root = status
                .lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"));
            assert!(!root, "root could not mount a tmpfs");
            eprintln!(
                "SKIPPED: a full disk needs a tmpfs, and only root may mount one (CI runs as root)"
            );
            return None;
        }
        Some(SmallDisk { dir })
    }

    /// The disk's folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        // A server's or a pool's files may still be closing: then detach it now and let the
        // kernel finish when they are closed (lazy), rather than leave it mounted.
        let unmounted = Command::new("umount")
            .arg(self.dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !unmounted {
            let _ = Command::new("umount")
                .arg("-l")
                .arg(self.dir.path())
                .status();
        }
    }
}

/// Writes a file `filler` in `dir` until its disk is full; returns its path. Delete it to free
/// the space.
pub fn fill(dir: &Path) -> PathBuf {
    let filler = dir.join("filler");
    let mut file = std::fs::File::create(&filler).expect("filler");
    let chunk = vec![0u8; 4096];
    while file
        .write_all(&chunk)
        .and_then(|_| file.sync_data())
        .is_ok()
    {}
    filler
}

/// Bytes free for an unprivileged writer on the filesystem holding `path`.
pub fn free_bytes(path: &Path) -> u64 {
    let fs = rustix::fs::statvfs(path).expect("statvfs");
    fs.f_bavail * fs.f_frsize
}
