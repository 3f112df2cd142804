//! The server is paused (SIGSTOP) for 20 s under 2,000 connected viewers, as when its VM is frozen
//! for a snapshot or migrated, then continued (SIGCONT). It must come back serving: a purchase sent
//! during the pause is answered after it, nothing acknowledged is lost, and every viewer is current
//! again (sees the stock that purchase moved) within seconds, without anyone being cut off for the
//! time the server itself was away.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use mulin_shared::{ClientMsg, DealId, ServerMsg, ShowId};
use mulin_tests::process::ServerProcess;
use mulin_tests::spike::{self, Answer};
use mulin_tests::wire::Wire;

const VIEWERS: usize = 2_000;
const PAUSE: Duration = Duration::from_secs(20);

/// Opens a viewer's connection and joins; `keep_room` so room states are read, not skipped.
async fn join(url: &str, show: ShowId) -> Result<Wire, String> {
    let mut wire = Wire::open(url, Duration::from_secs(30)).await?;
    wire.keep_room = true;
    wire.send(&ClientMsg::Join {
        show,
        since: None,
        catalogue: None,
    })
    .await?;
    Ok(wire)
}

/// The units sold of `deal` in a room state.
fn sold(msg: &ServerMsg, deal: DealId) -> Option<i64> {
    match msg {
        ServerMsg::Room(state) => state.deals.iter().find(|d| d.id == deal).map(|d| d.sold),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_paused_for_20_s_comes_back_current_for_2000_viewers() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("mulin.db");
    let server = ServerProcess::start(&db, 4096)
        .await
        .expect("server starts");
    let target = server.target();
    let deal = spike::launch_deal(&target, 1_000, 10).await.expect("deal");
    let (mut buyer, _) = spike::resident(&target.ws_url, target.show, Err("buyer".into()))
        .await
        .expect("signed in");
    let first = spike::place(&mut buyer, deal, 1, "before", 0).await;
    assert!(
        matches!(first.answer, Answer::Accepted(_)),
        "{:?}",
        first.answer
    );

    // Viewers join and read; each ends when it sees 2 units sold, reconnecting if cut off.
    let dropped = Arc::new(AtomicUsize::new(0));
    let (joined_tx, mut joined_rx) = tokio::sync::mpsc::channel::<()>(VIEWERS);
    let continued = Arc::new(tokio::sync::OnceCell::<Instant>::new());
    let mut viewers = Vec::with_capacity(VIEWERS);
    for _ in 0..VIEWERS {
        let (url, show) = (target.ws_url.clone(), target.show);
        let (dropped, joined_tx, continued) =
            (dropped.clone(), joined_tx.clone(), continued.clone());
        viewers.push(tokio::spawn(async move {
            let mut wire = join(&url, show).await?;
            let mut told = false;
            loop {
                match wire.next(Duration::from_secs(120)).await {
                    Ok(msg) => {
                        let seen = sold(&msg, deal);
                        if !told && seen.is_some() {
                            told = true;
                            let _ = joined_tx.send(()).await;
                        }
                        if seen.is_some_and(|n| n >= 2) {
                            let back = continued.get().map(|c| c.elapsed());
                            return Ok::<_, String>(back);
                        }
                    }
                    Err(e) => {
                        // Cut off: come back as the widget does.
                        dropped.fetch_add(1, Ordering::Relaxed);
                        if !told {
                            return Err(format!("viewer lost before the pause: {e}"));
                        }
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        wire = join(&url, show).await?;
                    }
                }
            }
        }));
    }
    drop(joined_tx);
    for _ in 0..VIEWERS {
        joined_rx.recv().await.expect("every viewer joins");
    }

    let pid = server.pid().expect("pid").to_string();
    let signal = |sig: &str| {
        let sent = std::process::Command::new("kill")
            .args([sig, &pid])
            .status()
            .is_ok_and(|s| s.success());
        assert!(sent, "kill {sig}");
    };
    signal("-STOP");
    // A purchase sent while the server is stopped waits in the kernel for it.
    let during = tokio::spawn(async move {
        let intent = spike::place(&mut buyer, deal, 1, "during", 0).await;
        (intent, buyer)
    });
    tokio::time::sleep(PAUSE).await;
    signal("-CONT");
    let _ = continued.set(Instant::now());

    let (intent, _buyer) = during.await.expect("buyer");
    assert!(
        matches!(intent.answer, Answer::Accepted(_)),
        "the purchase sent during the pause: {:?}",
        intent.answer
    );
    let mut back = Vec::with_capacity(VIEWERS);
    for viewer in viewers {
        let after = viewer
            .await
            .expect("viewer task")
            .expect("viewer")
            .expect("current only after the continue");
        back.push(after);
    }
    back.sort();
    let dropped = dropped.load(Ordering::Relaxed);
    eprintln!(
        "after SIGCONT: {} viewers current, p50 {:?}, p99 {:?}, last {:?}; {dropped} cut off",
        back.len(),
        back[back.len() / 2],
        back[back.len() * 99 / 100],
        back[back.len() - 1]
    );
    assert_eq!(back.len(), VIEWERS, "every viewer is current again");
    assert_eq!(
        dropped, 0,
        "nobody was cut off for the time the server was stopped"
    );

    let status = server.stop_status().await.expect("stopped");
    assert!(status.success(), "{status:?}");
    let (_, sold, units, stored) = spike::stored(&db, target.show, deal).await.expect("read");
    assert_eq!((sold, units, stored.len()), (2, 2, 2), "both orders stored");
}
