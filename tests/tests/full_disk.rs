//! A full disk must not take the show down (issue 27). The disk is a real one, a small tmpfs, so
//! every failure is the kernel's and SQLite's own: the store on a disk that fills and empties
//! again, and a whole server whose disk fills in the middle of a spike.
//!
//! Mounting needs root (CI runs as root); elsewhere these tests say SKIPPED and pass.

use std::time::Duration;

use mulin_backend::store::{NewDeal, SpaceLimits, Store};
use mulin_shared::{ClientMsg, ErrorCode, ServerMsg, ShowId, UtcMillis};
use mulin_tests::disk::{self, SmallDisk};
use mulin_tests::process::ServerProcess;
use mulin_tests::spike::{self, Answer, SpikeConfig};
use mulin_tests::wire::{Wire, http_get};

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

/// No reserve: every write goes as far as SQLite's own failure.
const NO_RESERVE: SpaceLimits = SpaceLimits {
    reserve: 0,
    warn: 0,
};

/// A write that fails because the disk is full leaves no connection inside a failed transaction:
/// once space is back, the next write succeeds in the same process, without a restart. While it
/// is full, writes say `Unavailable` (retryable), the store's health says why, and reads work.
#[tokio::test]
async fn writes_succeed_again_once_a_full_disk_has_room() {
    let Some(disk) = SmallDisk::mount(4096) else {
        return;
    };
    let store = Store::open_with(&disk.path().join("mulin.db"), NO_RESERVE)
        .await
        .expect("opened");
    let now = 1_800_000_000_000;
    let show = store.seed_demo(now).await.expect("seeded").show;
    store
        .insert_deal(&deal(show, now), None)
        .await
        .expect("room to write");
    assert_eq!(store.health().degraded, None);

    let filler = disk::fill(disk.path());
    // Writes fail while the disk is full (the WAL's free frames may take a few first).
    let mut failed = 0;
    for _ in 0..2000 {
        match store.insert_deal(&deal(show, now), None).await {
            Ok(_) => {}
            Err(e) => {
                assert!(e.is_unavailable(), "a full disk is retryable, not {e}");
                failed += 1;
                if failed == 5 {
                    break;
                }
            }
        }
    }
    assert_eq!(failed, 5, "writes to a full disk fail");
    let health = store.health();
    let degraded = health.degraded.expect("degraded while full");
    assert!(degraded.reason.contains("full"), "{}", degraded.reason);
    assert!(health.failed_writes >= 5);
    assert!(!store.probe().await, "the probe cannot write either");
    let before = store
        .deals(show)
        .await
        .expect("reads work on a full disk")
        .len();

    std::fs::remove_file(filler).expect("space freed");
    assert!(store.probe().await, "the probe writes once there is room");
    assert_eq!(store.health().degraded, None, "healthy again");
    for attempt in 0..3 {
        if let Err(e) = store.insert_deal(&deal(show, now), None).await {
            panic!("write {attempt} after space came back failed: {e}");
        }
    }
    // What was written before and after is all there.
    assert_eq!(store.deals(show).await.expect("read").len(), before + 3);
}

/// Below the reserve a write is refused before it starts, with why; the file is not touched; once
/// space is back, the probe finds it.
#[tokio::test]
async fn writes_stop_at_the_reserve() {
    let Some(disk) = SmallDisk::mount(8192) else {
        return;
    };
    let limits = SpaceLimits {
        reserve: 2 << 20,
        warn: 4 << 20,
    };
    let db = disk.path().join("mulin.db");
    let store = Store::open_with(&db, limits).await.expect("opened");
    let now = 1_800_000_000_000;
    let show = store.seed_demo(now).await.expect("seeded").show;
    store
        .insert_deal(&deal(show, now), None)
        .await
        .expect("room");
    let deals = store.deals(show).await.expect("read").len();

    // The WAL is copied into the database and cut back first: the store's probe does that when
    // degraded, which would otherwise hand the WAL's room back in the middle of the test.
    {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
            .await
            .expect("second connection");
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut c)
            .await
            .expect("checkpointed");
        c.close().await.expect("closed");
    }
    // Leave 1 MiB: under the reserve, though SQLite itself could still write.
    let free = disk::free_bytes(disk.path());
    let filler = disk.path().join("filler");
    std::fs::write(&filler, vec![0u8; (free - (1 << 20)) as usize]).expect("filler");
    let report = store.health();
    assert!(report.low_space, "below the warning threshold");
    let refused = store
        .insert_deal(&deal(show, now), None)
        .await
        .expect_err("refused");
    assert!(refused.is_unavailable(), "{refused}");
    let degraded = store.health().degraded.expect("degraded");
    assert!(
        degraded.reason.contains("nearly full"),
        "{}",
        degraded.reason
    );
    assert_eq!(store.health().refused_writes, 1);
    assert_eq!(store.health().failed_writes, 0, "SQLite was never asked");
    assert_eq!(store.deals(show).await.expect("read").len(), deals);

    // Half a MiB above the reserve is not yet room: health does not flip back and forth.
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&filler)
        .expect("filler");
    let len = file.metadata().expect("size").len();
    file.set_len(len - (3 << 19))
        .expect("filler shrunk by 1.5 MiB");
    drop(file);
    assert!(
        !store.probe().await,
        "just above the reserve, still degraded"
    );
    assert!(store.health().degraded.is_some());

    std::fs::remove_file(filler).expect("space freed");
    assert!(store.probe().await);
    assert_eq!(store.health().degraded, None);
    store
        .insert_deal(&deal(show, now), None)
        .await
        .expect("writes again");
}

/// A database file moved away under the running server: writes stop (SQLite would go on writing
/// to the moved file, where nobody looks), reads go on, and once it is back writes resume.
#[tokio::test]
async fn writes_stop_while_the_database_file_is_gone() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("mulin.db");
    let store = Store::open_with(&db, NO_RESERVE).await.expect("opened");
    let now = 1_800_000_000_000;
    let show = store.seed_demo(now).await.expect("seeded").show;
    store
        .insert_deal(&deal(show, now), None)
        .await
        .expect("writes");
    let deals = store.deals(show).await.expect("read").len();

    let away = dir.path().join("moved.db");
    std::fs::rename(&db, &away).expect("moved away");
    let refused = store
        .insert_deal(&deal(show, now), None)
        .await
        .expect_err("refused");
    assert!(refused.is_unavailable(), "{refused}");
    let reason = store.health().degraded.expect("degraded").reason;
    assert!(reason.contains("removed or replaced"), "{reason}");
    assert_eq!(store.deals(show).await.expect("reads go on").len(), deals);
    assert!(!store.probe().await);

    std::fs::rename(&away, &db).expect("moved back");
    assert!(store.probe().await);
    store
        .insert_deal(&deal(show, now), None)
        .await
        .expect("writes again");
    assert_eq!(store.deals(show).await.expect("read").len(), deals + 1);
}

/// `GET /api/health`: its status code and JSON body.
async fn health(server: &ServerProcess) -> (u16, serde_json::Value) {
    let answer = http_get(server.addr, "/api/health").await.expect("health");
    let status = answer
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let body = answer.split("\r\n\r\n").nth(1).expect("a body");
    (status, serde_json::from_str(body).expect("JSON"))
}

/// Waits up to `within` for `/api/health` to answer `status`; returns its body.
async fn health_becomes(
    server: &ServerProcess,
    status: u16,
    within: Duration,
) -> serde_json::Value {
    let until = tokio::time::Instant::now() + within;
    loop {
        let (now, body) = health(server).await;
        if now == status {
            return body;
        }
        assert!(
            tokio::time::Instant::now() < until,
            "health stayed {now} {body} for {within:?}, not {status}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The disk under the database fills in the middle of a spike. Every purchase is answered,
/// accepted or `store_unavailable`; health says 503 while full; joining and watching go on; once
/// space is back the same process takes orders again (the failed purchases, retried with their
/// own keys, are accepted), and after a restart the file holds every acknowledged order and no
/// other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disk_that_fills_mid_spike_loses_nothing_and_recovers_in_the_same_process() {
    // Larger than the WAL grows between checkpoints (40 MB), as on a real server's disk: the
    // filler, not the WAL, fills it.
    let Some(small) = SmallDisk::mount(96 * 1024) else {
        return;
    };
    let db = small.path().join("mulin.db");
    // No reserve: writes go as far as SQLite's own failure (the reserve is tested above).
    let server = ServerProcess::start_with_args(&db, &["--disk-reserve-mb", "0"])
        .await
        .expect("server starts");
    let target = server.target();
    assert_eq!(health(&server).await.0, 200);
    let deal = spike::launch_deal(&target, 1_000_000, 1_000)
        .await
        .expect("deal launched");
    let cfg = SpikeConfig {
        buyers: 100,
        stock: 1_000_000,
        limit: 1_000,
        qty: 1,
        orders_each: 150,
        duplicates: 0,
        window: Duration::from_millis(200),
    };
    let buyers = spike::sign_in(&target, deal, &cfg)
        .await
        .expect("signed in");
    // The disk fills a few hundred orders into the spike.
    let (http, dir) = (server.addr, small.path().to_owned());
    let filling = tokio::spawn(async move {
        while !spike::commits(http)
            .await
            .is_ok_and(|(_, orders)| orders >= 300)
        {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::task::spawn_blocking(move || disk::fill(&dir))
            .await
            .expect("filled")
    });
    let run = buyers.go().await.expect("the spike ran");
    let filler = filling.await.expect("the disk filled");

    let answers: Vec<Answer> = run
        .buyers
        .iter()
        .flat_map(|b| b.intents.iter().map(|i| i.answer))
        .collect();
    let odd: Vec<&Answer> = answers
        .iter()
        .filter(|a| {
            !matches!(
                a,
                Answer::Accepted(_) | Answer::Error(ErrorCode::StoreUnavailable)
            )
        })
        .collect();
    assert!(
        odd.is_empty(),
        "accepted or store_unavailable, never {odd:?}"
    );
    let failed = answers
        .iter()
        .filter(|a| matches!(a, Answer::Error(_)))
        .count();
    assert!(failed > 0, "the disk filled before the spike ended");
    assert!(
        answers.len() - failed >= 300,
        "orders were taken before it filled"
    );

    // While full: health says so, with why.
    let degraded = health_becomes(&server, 503, Duration::from_secs(5)).await;
    assert_eq!(degraded["status"], "degraded");
    let reason = degraded["reason"].as_str().expect("a reason");
    assert!(reason.contains("full"), "{reason}");
    // Watching goes on: a newcomer joins and gets the room.
    let mut viewer = Wire::open(&target.ws_url, Duration::from_secs(10))
        .await
        .expect("connects");
    viewer
        .send(&ClientMsg::Join {
            show: target.show,
            since: None,
            catalogue: None,
        })
        .await
        .expect("join sent");
    viewer.keep_room = true;
    viewer
        .until(Duration::from_secs(10), |m| {
            matches!(m, ServerMsg::Room(_)).then_some(())
        })
        .await
        .expect("a viewer joins a room on a full disk");
    // A returning resident's purchases, a newcomer's sign-in and the host's launch are all told
    // to retry, and none of them is carried out.
    let (mut back, _) =
        spike::resident(&target.ws_url, target.show, Ok(run.buyers[0].token.clone()))
            .await
            .expect("a resident comes back on a full disk");
    for k in 0..5 {
        let intent = spike::place(&mut back, deal, 1, &format!("full-{k}"), 0).await;
        assert_eq!(intent.answer, Answer::Error(ErrorCode::StoreUnavailable));
    }
    let newcomer = spike::resident(&target.ws_url, target.show, Err("newcomer".into())).await;
    let refused = newcomer
        .err()
        .expect("no new resident is stored on a full disk");
    assert!(refused.contains("StoreUnavailable"), "{refused}");
    // (A fresh connection: the first host's went unread through the spike and was cut off.)
    let launch = spike::host_launch(&target, 10, 1)
        .await
        .map(|(_, deal)| deal);
    let refused = launch.expect_err("no deal is launched on a full disk");
    assert!(refused.contains("StoreUnavailable"), "{refused}");

    // Space comes back: the same process notices by itself and takes orders again.
    std::fs::remove_file(filler).expect("space freed");
    let ok = health_becomes(&server, 200, Duration::from_secs(15)).await;
    assert_eq!(ok["status"], "ok");
    let mut retries = Vec::new();
    for buyer in run.buyers.clone() {
        let failed: Vec<String> = buyer
            .intents
            .iter()
            .filter(|i| matches!(i.answer, Answer::Error(_)))
            .map(|i| i.key.clone())
            .collect();
        if failed.is_empty() {
            continue;
        }
        let url = target.ws_url.clone();
        retries.push(tokio::spawn(async move {
            let (mut wire, _) = spike::resident(&url, target.show, Ok(buyer.token))
                .await
                .expect("comes back");
            let mut answers = Vec::new();
            for key in failed {
                answers.push(spike::place(&mut wire, deal, 1, &key, 0).await);
            }
            answers
        }));
    }
    let mut accepted: Vec<(String, i64)> = run
        .buyers
        .iter()
        .flat_map(|b| b.intents.iter())
        .filter_map(|i| match i.answer {
            Answer::Accepted(id) => Some((i.key.clone(), id)),
            _ => None,
        })
        .collect();
    for retry in retries {
        for intent in retry.await.expect("retried") {
            match intent.answer {
                Answer::Accepted(id) => accepted.push((intent.key, id)),
                other => panic!("retry of {} after space came back: {other:?}", intent.key),
            }
        }
    }
    assert_eq!(accepted.len(), answers.len(), "every purchase is in, once");

    // After a restart, the file holds every acknowledged order, and nothing else.
    let status = server.stop_status().await.expect("stopped");
    assert!(status.success(), "stopped cleanly: {status:?}");
    let (stock, sold, units, mut stored) = spike::stored(&db, target.show, deal)
        .await
        .expect("read back");
    assert_eq!(stock, 1_000_000);
    accepted.sort();
    stored.sort();
    assert_eq!(
        stored, accepted,
        "the file holds exactly the acknowledged orders"
    );
    assert_eq!(
        (sold, units),
        (accepted.len() as i64, accepted.len() as i64)
    );
    let again = ServerProcess::start(&db, 4096).await.expect("restarts");
    assert_eq!(health(&again).await.0, 200);
    let (mut wire, _) = spike::resident(
        &again.ws_url(),
        target.show,
        Ok(run.buyers[1].token.clone()),
    )
    .await
    .expect("comes back after the restart");
    let after = spike::place(&mut wire, deal, 1, "after-restart", 0).await;
    assert!(
        matches!(after.answer, Answer::Accepted(_)),
        "{:?}",
        after.answer
    );
    again.stop().await;
}

/// The database's folder is removed under the running server (`rm -rf` of the wrong folder). The
/// server's open files still work, so SQLite would go on "saving" orders into a file nobody can
/// find again: writes stop at once as `store_unavailable`, health says why, and the operator can
/// copy the still-open file back out of /proc (the server has checkpointed its WAL into it) and
/// restart on the copy with every acknowledged order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_database_folder_stops_writes_and_the_file_can_be_rescued() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let db = data.join("mulin.db");
    let server = ServerProcess::start(&db, 4096)
        .await
        .expect("server starts");
    let target = server.target();
    let deal = spike::launch_deal(&target, 100, 10).await.expect("deal");
    let (mut wire, _) = spike::resident(&target.ws_url, target.show, Err("buyer".into()))
        .await
        .expect("signed in");
    let mut accepted = Vec::new();
    for k in 0..3 {
        match spike::place(&mut wire, deal, 1, &format!("before-{k}"), 0)
            .await
            .answer
        {
            Answer::Accepted(id) => accepted.push((format!("before-{k}"), id)),
            other => panic!("{other:?}"),
        }
    }

    std::fs::remove_dir_all(&data).expect("folder removed");
    let refused = spike::place(&mut wire, deal, 1, "after", 0).await;
    assert_eq!(refused.answer, Answer::Error(ErrorCode::StoreUnavailable));
    let degraded = health_becomes(&server, 503, Duration::from_secs(5)).await;
    let reason = degraded["reason"].as_str().expect("reason");
    assert!(reason.contains("removed or replaced"), "{reason}");

    // The rescue, as OPERATIONS.md tells it: after the next probe (2 s) has checkpointed the WAL,
    // copy the open file out of /proc.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let pid = server.pid().expect("pid");
    let open = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("fds")
        .filter_map(|e| e.ok())
        .find(|e| {
            std::fs::read_link(e.path())
                .is_ok_and(|t| t.to_string_lossy().ends_with("mulin.db (deleted)"))
        })
        .expect("the server still holds the removed file");
    let rescued = dir.path().join("rescued").join("mulin.db");
    std::fs::create_dir_all(rescued.parent().expect("folder")).expect("folder");
    std::fs::copy(open.path(), &rescued).expect("copied out of /proc");
    let status = server.stop_status().await.expect("stopped");
    assert!(status.success(), "{status:?}");

    let (_, sold, units, mut stored) = spike::stored(&rescued, target.show, deal)
        .await
        .expect("the rescued file reads");
    stored.sort();
    assert_eq!(
        stored, accepted,
        "every acknowledged order is in the rescued file"
    );
    assert_eq!((sold, units), (3, 3));
}
