//! The load tool of `make bench` (`spike fanout`) in small, against a real server process: what it
//! measures of Mulin Live and of the floor peer alike, an order spike moving the stock with the
//! control room open or not, and the addresses it takes.

use std::time::Duration;

use mulin_shared::{ClientMsg, ErrorCode, ServerMsg};
use mulin_tests::FRAME_WAIT;
use mulin_tests::fanout::{self, UsageFrom};
use mulin_tests::process::{PeerProcess, ServerProcess};
use mulin_tests::wire::Wire;
use tokio_tungstenite::tungstenite::Message;

/// The fan-out load of `make bench`, in small: every reading viewer shows the final stock, each
/// counts only states published after all joined, the floor peer (which never coalesces) is
/// measured the same way as Mulin Live, and delays hold when the server's clock is not the tool's.
#[tokio::test]
async fn the_fan_out_load_measures_mulin_live_and_the_floor_peer_alike() {
    let cfg = fanout::FanoutConfig {
        viewers: 40,
        rate: 10,
        duration: Duration::from_secs(1),
        // Stalled viewers are another test's concern, and each run would wait for them.
        stalled_pct: 0,
        buyers: None,
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let server = ServerProcess::start(&dir.path().join("fanout.db"), 4096)
        .await
        .expect("mulin starts");
    let target = server.target();
    let pid = server.pid().expect("mulin runs");
    // Read as a run from another machine reads it: from the server's own /api/metrics.
    let mulin = fanout::run(&target, UsageFrom::Metrics(target.http), &cfg)
        .await
        .expect("fan-out run");
    assert_reported_usage_is_the_process(target.http, pid).await;
    server.stop().await;

    // Its clock a minute behind this machine's, as a server elsewhere might be: uncorrected, every
    // delay would read a minute and no state would count as published after the viewers joined.
    let behind_ms = 60_000;
    let peer = PeerProcess::start_floor(env!("CARGO_BIN_EXE_floor-peer").as_ref(), -behind_ms)
        .await
        .expect("floor peer starts");
    let target = peer.target();
    let pid = peer.pid().expect("floor peer runs");
    let floor = fanout::run(&target, UsageFrom::Process(pid), &cfg)
        .await
        .expect("fan-out run");
    assert_reported_usage_is_the_process(target.http, pid).await;
    // Bad input gets an error frame from the peer too, and the connection stays usable.
    let mut wire = Wire::open(&peer.ws_url(), FRAME_WAIT)
        .await
        .expect("floor peer answers");
    wire.send_message(Message::text("not json"))
        .await
        .expect("sent");
    let refused = wire.next(FRAME_WAIT).await.expect("an answer");
    assert!(
        matches!(
            refused,
            ServerMsg::Error {
                code: ErrorCode::MalformedFrame,
                ..
            }
        ),
        "{refused:?}"
    );
    wire.send(&ClientMsg::Ping { t: 7 }).await.expect("sent");
    let pong = wire.next(FRAME_WAIT).await.expect("an answer");
    assert!(matches!(pong, ServerMsg::Pong { t: 7, .. }), "{pong:?}");
    peer.stop().await;

    for summary in [&mulin, &floor] {
        assert_eq!((summary.viewers, summary.stalled), (40, 0), "{summary:?}");
        assert_eq!(summary.missed, 0, "{summary:?}");
        // Ten changes, each its own state at most; coalescing may merge some.
        assert!((1..=10).contains(&summary.pushes), "{summary:?}");
        assert!(summary.messages_delivered >= 40, "{summary:?}");
        assert!(summary.messages_delivered <= 40 * 10, "{summary:?}");
        assert!(
            summary.server_kernel_s_per_million <= summary.server_cpu_s_per_million,
            "{summary:?}"
        );
    }
    // The tool reckons each server's clock and times arrivals by it.
    assert!(mulin.clock_offset_ms.abs() <= 2, "{mulin:?}");
    assert!(
        (floor.clock_offset_ms + behind_ms).abs() <= 100,
        "{floor:?}"
    );
    assert!(floor.delay_p99_ms < 10_000.0, "{floor:?}");
    // The floor peer sends every state to every reading viewer.
    assert_eq!(floor.pushes, 10, "{floor:?}");
    assert_eq!(floor.messages_delivered, 40 * 10, "{floor:?}");
}

/// The fan-out load with an order spike moving the stock: every buyer's order is answered and
/// accepted (there is a unit for each), and every viewer ends showing the stock the orders left.
#[tokio::test]
async fn the_fan_out_load_can_move_the_stock_by_an_order_spike() {
    // With the control room open and enough units for all; then scenario A's shape (fewer units
    // than buyers) with nobody of staff following the show.
    for (stock, control_room, accepted) in [(None, true, 60), (Some(30), false, 30)] {
        let cfg = fanout::FanoutConfig {
            viewers: 40,
            rate: 10,
            duration: Duration::from_secs(1),
            stalled_pct: 0,
            buyers: Some(fanout::BuyersConfig {
                buyers: 60,
                window: Duration::from_millis(500),
                stock,
                control_room,
            }),
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let server = ServerProcess::start(&dir.path().join("buyers.db"), 4096)
            .await
            .expect("mulin starts");
        let pid = server.pid().expect("running");
        let summary = fanout::run(&server.target(), UsageFrom::Process(pid), &cfg)
            .await
            .expect("fan-out run with buyers");
        server.stop().await;
        let orders = summary.orders.clone().expect("order figures");
        assert_eq!(
            (orders.buyers, orders.accepted, orders.failed),
            (60, accepted, 60 - accepted),
            "{summary:?}"
        );
        assert!(
            orders.ack_p50_ms > 0.0 && orders.ack_p50_ms <= orders.ack_p99_ms,
            "{summary:?}"
        );
        // The figures' lag is measured only while the host follows the show.
        assert_eq!(
            orders.control_room_lag_max_ms.is_some(),
            control_room,
            "{summary:?}"
        );
        assert_eq!(summary.missed, 0, "{summary:?}");
        // The orders moved the stock: the viewers were pushed states while they were decided.
        assert!(
            summary.pushes >= 1 && summary.messages_delivered >= 40,
            "{summary:?}"
        );
    }
}

/// What a server reports of itself in `/api/metrics` is what /proc says of its process: CPU time
/// read between two readings of /proc, memory close to theirs.
async fn assert_reported_usage_is_the_process(http: std::net::SocketAddr, pid: u32) {
    let before = UsageFrom::Process(pid).read().await.expect("/proc before");
    let reported = UsageFrom::Metrics(http).read().await.expect("/api/metrics");
    let after = UsageFrom::Process(pid).read().await.expect("/proc after");
    assert!(
        before.cpu_s <= reported.cpu_s && reported.cpu_s <= after.cpu_s,
        "{before:?} {reported:?} {after:?}"
    );
    assert!(
        before.kernel_s <= reported.kernel_s && reported.kernel_s <= after.kernel_s,
        "{before:?} {reported:?} {after:?}"
    );
    let (low, high) = (
        before.rss_kb.min(after.rss_kb),
        before.rss_kb.max(after.rss_kb),
    );
    // The answer itself may take or give back a little memory.
    assert!(
        low.saturating_sub(2048) <= reported.rss_kb && reported.rss_kb <= high + 2048,
        "{before:?} {reported:?} {after:?}"
    );
}

/// The fan-out tool aimed at a server elsewhere takes only `ws://IP:PORT/…`, and says so.
#[test]
fn a_load_target_that_is_not_a_websocket_address_is_refused_with_the_form_expected() {
    let ok = mulin_tests::wire::addr_of("ws://10.0.0.7:3000/ws");
    assert_eq!(ok, Ok("10.0.0.7:3000".parse().expect("address")));
    for bad in [
        "http://10.0.0.7:3000/ws",
        "ws://mulin.example:3000/ws",
        "ws://10.0.0.7/ws",
        "",
    ] {
        let err = mulin_tests::wire::addr_of(bad).expect_err(bad);
        assert!(err.contains("ws://IP:PORT/ws"), "{bad}: {err}");
    }
}
