//! The store on a disk that fills up and empties again: what a community's small VM does when its
//! logs, WAL or pictures take the last megabyte. The disk here is a real one (a small tmpfs), so
//! every failure is SQLite's own, not a simulation.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::*;

/// A tmpfs of `kib` KiB at a fresh folder, unmounted when dropped. Mounting needs root, as in CI.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    /// `None` (said on stderr) when this is not root: only root may mount.
    fn mount(kib: u32) -> Option<SmallDisk> {
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

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a filler file until the disk is full; returns it.
    fn fill(&self) -> PathBuf {
        let filler = self.path().join("filler");
        let mut file = std::fs::File::create(&filler).expect("filler");
        let chunk = vec![0u8; 4096];
        while file
            .write_all(&chunk)
            .and_then(|_| file.sync_data())
            .is_ok()
        {}
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

fn deal(show: ShowId, now: UtcMillis) -> NewDeal {
    NewDeal {
        show,
        product: 1,
        price: 990,
        stock: 10,
        per_resident_limit: 2,
        starts_at: now,
        ends_at: now + 60_000,
    }
}

/// A write that fails because the disk is full leaves no connection inside a failed transaction:
/// once space is back, the next write succeeds in the same process, without a restart.
#[tokio::test]
async fn writes_succeed_again_once_a_full_disk_has_room() {
    let Some(disk) = SmallDisk::mount(4096) else {
        return;
    };
    let store = Store::open(&disk.path().join("mulin.db"))
        .await
        .expect("opened");
    let now = 1_800_000_000_000;
    let show = store.seed_demo(now).await.expect("seeded").show;
    store
        .insert_deal(&deal(show, now))
        .await
        .expect("room to write");

    let filler = disk.fill();
    // Writes fail while the disk is full (the WAL's free frames may take a few first).
    let mut failed = 0;
    for _ in 0..2000 {
        if store.insert_deal(&deal(show, now)).await.is_err() {
            failed += 1;
            if failed == 5 {
                break;
            }
        }
    }
    assert_eq!(failed, 5, "writes to a full disk fail");

    std::fs::remove_file(filler).expect("space freed");
    for attempt in 0..3 {
        if let Err(e) = store.insert_deal(&deal(show, now)).await {
            panic!("write {attempt} after space came back failed: {e}");
        }
    }
    // What was written before and after is all there.
    assert!(store.deals(show).await.expect("read").len() >= 4);
}
