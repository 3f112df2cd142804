//! Kill the server with SIGKILL in the middle of a spike, start it again on the same database, and
//! check the promise: every acknowledged order is stored, nothing is oversold, the desk's stock is
//! rebuilt from the store, and retried keys get their original outcome.

use std::collections::HashMap;
use std::time::Duration;

use mulin_shared::ServerMsg;
use mulin_tests::FRAME_WAIT;
use mulin_tests::process::ServerProcess;
use mulin_tests::spike::{self, Answer, SpikeConfig};
use mulin_tests::wire::Wire;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_spike_loses_no_acknowledged_order() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let db = dir.path().join("mulin.db");
    let first = ServerProcess::start(&db, 64).await.expect("server starts");
    let target = first.target();
    let cfg = SpikeConfig {
        buyers: 300,
        stock: 500,
        limit: 3,
        qty: 1,
        orders_each: 3,
        duplicates: 0,
        window: Duration::from_secs(2),
    };
    let spike_task = tokio::spawn({
        let (target, cfg) = (target.clone(), cfg.clone());
        async move { spike::run(&target, &cfg).await }
    });

    // Kill it once orders are being committed, while others are still in flight.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (_, committed) = spike::commits(first.addr).await.expect("metrics");
        if committed >= 60 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the spike never got going"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    first.kill().await;
    let run = spike_task
        .await
        .expect("spike task")
        .expect("spike records survive the kill");

    let acked: Vec<(&str, &str, i64)> = run
        .buyers
        .iter()
        .flat_map(|b| b.intents.iter().map(move |i| (b.token.as_str(), i)))
        .filter_map(|(token, i)| match i.answer {
            Answer::Accepted(id) => Some((token, i.key.as_str(), id)),
            _ => None,
        })
        .collect();
    let unanswered = run
        .buyers
        .iter()
        .flat_map(|b| &b.intents)
        .filter(|i| i.answer == Answer::Unanswered)
        .count();
    assert!(
        !acked.is_empty(),
        "some orders were acknowledged before the kill"
    );
    assert!(unanswered > 0, "the kill landed mid-spike");

    // Every acknowledged order is in the store, under its key; nothing is oversold.
    let (stock, sold, units, rows) = spike::stored(&db, 1, run.deal).await.expect("store");
    let by_id: HashMap<i64, &str> = rows.iter().map(|(k, id)| (*id, k.as_str())).collect();
    let by_key: HashMap<String, i64> = rows.iter().map(|(k, id)| (k.clone(), *id)).collect();
    for (_, key, id) in &acked {
        assert_eq!(
            by_id.get(id),
            Some(key),
            "acknowledged order {id} ({key}) is stored"
        );
    }
    assert_eq!(sold, units, "the sold count matches the stored orders");
    assert!(units <= stock);

    // Restart: the desk is rebuilt from the store, and every viewer sees remaining = stock − sold.
    let second = ServerProcess::start(&db, 64)
        .await
        .expect("server restarts");
    let mut viewer = Wire::open(&second.ws_url(), FRAME_WAIT)
        .await
        .expect("connects");
    viewer.keep_room = true;
    viewer
        .send(&mulin_shared::ClientMsg::Join {
            show: second.show,
            since: None,
            catalogue: None,
        })
        .await
        .expect("join");
    let remaining = viewer
        .until(FRAME_WAIT, |m| match m {
            ServerMsg::Room(room) => room
                .deals
                .iter()
                .find(|d| d.id == run.deal)
                .map(|d| d.remaining()),
            _ => None,
        })
        .await
        .expect("room state");
    assert_eq!(remaining, stock - units);

    // Residents come back with their tokens and retry every intent with its key.
    let mut retries = Vec::new();
    for buyer in &run.buyers {
        let (url, token, intents) = (second.ws_url(), buyer.token.clone(), buyer.intents.clone());
        let deal = run.deal;
        retries.push(tokio::spawn(async move {
            let (mut wire, _) = spike::resident(&url, 1, Ok(token)).await.expect("resumes");
            let mut answers = Vec::new();
            for intent in intents {
                let again = spike::place(&mut wire, deal, 1, &intent.key, 0).await;
                answers.push((intent, again.answer));
            }
            answers
        }));
    }
    let mut committed_but_unacked = 0;
    for retry in retries {
        for (before, after) in retry.await.expect("retry task") {
            match (before.answer, by_key.get(&before.key)) {
                (Answer::Accepted(id), _) => {
                    assert_eq!(
                        after,
                        Answer::Accepted(id),
                        "{} keeps its order",
                        before.key
                    )
                }
                // Stored before the kill, but the answer never reached the resident: the retry
                // must name that very order instead of making a second one.
                (_, Some(&id)) => {
                    committed_but_unacked += 1;
                    assert_eq!(
                        after,
                        Answer::Accepted(id),
                        "{} finds its stored order",
                        before.key
                    )
                }
                _ => assert!(
                    matches!(after, Answer::Accepted(_) | Answer::Refused(_)),
                    "{} gets a true answer after the restart, not {after:?}",
                    before.key
                ),
            }
        }
    }

    // After all the retries: still one order per intent at most, and never oversold.
    let (stock, sold, units, rows) = spike::stored(&db, 1, run.deal).await.expect("store");
    assert_eq!(sold, units);
    assert!(units <= stock);
    let keys: std::collections::HashSet<&str> = rows.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys.len(), rows.len(), "no intent became two orders");
    println!(
        "acked before kill: {}, unanswered: {unanswered}, committed but unacked: {committed_but_unacked}, stored after retries: {}",
        acked.len(),
        rows.len()
    );
    second.stop().await;
}
