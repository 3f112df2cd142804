//! The promise under a spike: thousands press Buy at once; every one gets a true answer, no unit is
//! sold twice, no acknowledged order is lost, and retries never become second orders. Verdicts come
//! from the database, not from the server.

use std::time::Duration;

use mulin_tests::TestServer;
use mulin_tests::spike::{self, Answer, SpikeConfig};

async fn spike(ts: &TestServer, cfg: &SpikeConfig) -> (spike::SpikeRun, spike::Summary) {
    let target = ts.spike_target();
    let before = spike::commits(target.http).await.expect("metrics");
    let run = spike::run(&target, cfg).await.expect("spike runs");
    let after = spike::commits(target.http).await.expect("metrics");
    let summary = spike::summarize(
        &run,
        cfg,
        &ts.db,
        ts.show,
        (after.0 - before.0, after.1 - before.1),
    )
    .await
    .expect("summary");
    println!("{}", serde_json::to_string(&summary).unwrap_or_default());
    (run, summary)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_residents_two_hundred_units() {
    let ts = TestServer::start().await;
    let cfg = SpikeConfig {
        buyers: 2_000,
        stock: 200,
        limit: 1,
        qty: 1,
        orders_each: 1,
        duplicates: 0,
        window: Duration::from_millis(500),
    };
    let (_, s) = spike(&ts, &cfg).await;
    assert_eq!(s.accepted, 200, "exactly the stock is sold");
    assert_eq!(s.sold_out, 1_800, "everyone else hears sold out");
    assert_eq!(
        (s.errors, s.unanswered),
        (0, 0),
        "every resident gets a true answer"
    );
    assert_eq!(s.oversold, 0);
    assert_eq!(s.lost_acks, 0);
    assert!(s.orders_per_commit >= 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicate_key_storm_creates_no_extra_orders() {
    let ts = TestServer::start().await;
    let cfg = SpikeConfig {
        buyers: 300,
        stock: 10_000,
        limit: 5,
        qty: 1,
        orders_each: 3,
        duplicates: 4,
        window: Duration::from_millis(300),
    };
    let (run, s) = spike(&ts, &cfg).await;
    assert_eq!(
        (s.errors, s.unanswered, s.oversold, s.lost_acks),
        (0, 0, 0, 0)
    );
    assert_eq!(s.accepted, 900, "every intent is accepted once");
    let (_, sold, units, rows) = spike::stored(&ts.db, ts.show, run.deal)
        .await
        .expect("store");
    assert_eq!(
        rows.len(),
        900,
        "five copies of each intent made exactly one order"
    );
    assert_eq!((sold, units), (900, 900));
    // Each intent's answer names an order the store holds under that intent's key.
    let stored: std::collections::HashMap<i64, String> =
        rows.into_iter().map(|(k, id)| (id, k)).collect();
    for intent in run.buyers.iter().flat_map(|b| &b.intents) {
        let Answer::Accepted(id) = intent.answer else {
            panic!("{intent:?}")
        };
        assert_eq!(stored.get(&id), Some(&intent.key), "order {id}");
    }
}
