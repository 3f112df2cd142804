//! Room states reaching many viewers, and viewers that stop reading: a real server on port 0, real
//! WebSockets.

use std::time::Duration;

use mulin_shared::{ClientMsg, Deal, RoomEvent, ServerMsg};
use mulin_tests::process::ServerProcess;
use mulin_tests::wire::Wire;
use mulin_tests::{Client, FRAME_WAIT, TestServer, fanout};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn every_viewer_sees_versions_in_order_up_to_the_final_stock() {
    let ts = TestServer::start().await;
    let mut host = ts.host().await;
    let deal = host.launch_deal(1, 990, 100, 1).await;
    let viewers = ts.viewers(20).await;
    // Forty changes, faster than the ten pushes a second the room coalesces them into.
    restock_one_by_one(&mut host, &deal, 40, Duration::from_millis(5)).await;
    let last = deal.stock + 40;
    let watchers: Vec<_> = viewers
        .into_iter()
        .map(|mut v| {
            tokio::spawn(async move {
                let mut versions = Vec::new();
                v.recv_until(|m| match m {
                    ServerMsg::Room(state) => {
                        versions.push(state.version);
                        let stock = state.deals.iter().find(|d| d.id == deal.id)?.stock;
                        assert!(stock <= last, "stock {stock} past the last change {last}");
                        (stock == last).then_some(())
                    }
                    _ => None,
                })
                .await;
                versions
            })
        })
        .collect();
    for w in watchers {
        assert_in_order(&w.await.expect("viewer task"));
    }
}

/// Every viewer learns how many are watching, but a change of the count alone is pushed at most
/// once a second (`COUNT_INTERVAL`): at a show's start, or when thousands come back after a
/// restart, ten pushes a second of nothing else to everyone would take the cores the joins need.
#[tokio::test]
async fn the_viewer_count_moves_for_everyone_but_at_most_once_a_second_while_people_join() {
    let ts = TestServer::start().await;
    let mut watcher = ts.viewers(1).await.remove(0);
    let started = std::time::Instant::now();
    // Joins over more than a second: ten pushes a second would show here.
    let mut joiners = Vec::new();
    for _ in 0..60 {
        joiners.append(&mut ts.viewers(1).await);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut pushes = 0;
    watcher
        .recv_until(|m| match m {
            ServerMsg::Room(state) => {
                pushes += 1;
                (state.viewers == 61).then_some(())
            }
            _ => None,
        })
        .await;
    // A slow machine can only make fewer pushes in the time, never more.
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        pushes <= seconds.ceil() as usize + 1,
        "{pushes} pushes of the count in {seconds:.2} s"
    );
}

/// A change published while the previous one is still being handed out, shard by shard, and then
/// nothing more: every viewer must still end at the last state, whichever shard it sits in. (Shards
/// served before the second change once kept the first until some later change, which in a quiet
/// room never came: a host's console showed a launched deal only after the next sale.)
// Several workers, as the real server runs: the round and the next change then truly overlap.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_during_a_push_round_reaches_every_viewer_even_if_nothing_follows() {
    let ts = TestServer::start().await;
    let mut host = ts.host().await;
    // Enough viewers that every shard has some, so a round yields many times.
    let mut viewers = ts.viewers(200).await;
    for round in 0..5 {
        // Launches are published at once (not coalesced); the second follows the first's answer
        // at once, so it is published while the first is still going out to two hundred viewers.
        host.launch_deal(1, 990, 100, 1).await;
        let last = host.launch_deal(1, 990, 100, 1).await.id;
        let watchers: Vec<_> = viewers
            .into_iter()
            .map(|mut v| {
                tokio::spawn(async move {
                    v.recv_until(|m| match m {
                        ServerMsg::Room(state) => {
                            state.deals.iter().any(|d| d.id == last).then_some(())
                        }
                        _ => None,
                    })
                    .await;
                    v
                })
            })
            .collect();
        viewers = Vec::new();
        for w in watchers {
            viewers.push(w.await.unwrap_or_else(|e| {
                panic!("round {round}: a viewer never got a state with deal {last}: {e}")
            }));
        }
    }
}

/// The room writes states straight into viewers' sockets; a connection that follows the room again
/// (a resident signing in mid-show) must go on getting each change once and in order, from the
/// room and from its own writer alike, and an idle viewer beside it too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_signing_in_mid_show_gets_every_later_change_once_and_in_order() {
    let ts = TestServer::start().await;
    let mut host = ts.host().await;
    let deal = host.launch_deal(1, 990, 100, 1).await;
    let mut resident = ts.client().await;
    resident.join(ts.show).await;
    let mut idle = ts.client().await;
    idle.join(ts.show).await;
    resident.sign_in("Li Ming").await;
    // Spaced wider than the push interval: each change is a push of its own, none coalesced.
    const CHANGES: i64 = 8;
    restock_one_by_one(&mut host, &deal, CHANGES, Duration::from_millis(150)).await;
    let last = deal.stock + CHANGES;
    for (who, viewer) in [("signed-in", &mut resident), ("idle", &mut idle)] {
        let mut seen: Vec<(u64, i64)> = Vec::new();
        viewer
            .recv_until(|m| match m {
                ServerMsg::Room(state) => {
                    let stock = state.deals.iter().find(|d| d.id == deal.id)?.stock;
                    seen.push((state.version, stock));
                    (stock == last).then_some(())
                }
                _ => None,
            })
            .await;
        // The state sent again on signing in may repeat one version; after it, never.
        let after: Vec<_> = seen.iter().filter(|(_, s)| *s > deal.stock).collect();
        assert!(
            after.windows(2).all(|p| p[0].0 < p[1].0),
            "{who}: versions out of order or repeated: {seen:?}"
        );
        let stocks: Vec<i64> = after.iter().map(|(_, s)| *s).collect();
        assert_eq!(
            stocks,
            (deal.stock + 1..=last).collect::<Vec<_>>(),
            "{who}: every change, once"
        );
    }
}

#[tokio::test]
async fn a_viewer_that_stops_reading_holds_up_no_one_and_is_brought_current() {
    let ts = TestServer::start().await;
    let mut host = ts.host().await;
    let mut stalled = Client::connect_small_window(&ts.ws_url()).await;
    let start = stalled.join(ts.show).await;
    let mut reader = ts.client().await;
    reader.join(ts.show).await;

    // Each launch is an event and a room state that lists every deal so far: far more than the
    // stalled viewer's socket and the server's send buffer hold, and more events than it may miss.
    const LAUNCHES: u64 = 60;
    let mut launched = Vec::new();
    for _ in 0..LAUNCHES {
        launched.push(host.launch_deal(1, 990, 100, 1).await.id);
    }
    // The reading viewer got every event, numbered one by one, without waiting on the stalled one.
    let mut seqs = Vec::new();
    while seqs.len() < LAUNCHES as usize {
        let seq = reader
            .recv_until(|m| match m {
                ServerMsg::Event {
                    seq,
                    event: RoomEvent::DealLaunched { .. },
                } => Some(*seq),
                _ => None,
            })
            .await;
        seqs.push(seq);
    }
    let last = start.seq + LAUNCHES;
    assert_eq!(seqs, (start.seq + 1..=last).collect::<Vec<_>>());

    // The stalled viewer reads again: whatever it missed, it ends at the current state, with every
    // deal, and events it did get came in order.
    let mut event_seqs = Vec::new();
    let state = stalled
        .recv_until(|m| match m {
            ServerMsg::Event { seq, .. } => {
                event_seqs.push(*seq);
                None
            }
            ServerMsg::Room(state) if state.seq == last => Some(state.clone()),
            _ => None,
        })
        .await;
    assert!(
        launched
            .iter()
            .all(|id| state.deals.iter().any(|d| d.id == *id))
    );
    assert!(
        event_seqs.len() < LAUNCHES as usize,
        "the test's premise: the stalled viewer fell behind and missed events ({event_seqs:?})"
    );
    assert!(event_seqs.windows(2).all(|p| p[0] < p[1]), "{event_seqs:?}");
    // It stays a working connection.
    stalled.ping().await;
}

/// Room states are written straight to a viewer's socket, past its WebSocket, while nothing of the
/// WebSocket's own is half-written; a client's WebSocket pings are answered by the WebSocket itself.
/// Both kinds of frame must arrive whole and in order, however they mix.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_sending_websocket_pings_gets_every_pong_and_whole_states_in_order() {
    let ts = TestServer::start().await;
    let mut host = ts.host().await;
    let deal = host.launch_deal(1, 990, 100, 1).await;
    let mut viewer = ts.client().await;
    viewer.join(ts.show).await;
    const ROUNDS: u8 = 30;
    for round in 0..ROUNDS {
        viewer.send_message(Message::Ping(vec![round].into())).await;
        host.send(&ClientMsg::Restock {
            deal: deal.id,
            units: 1,
        })
        .await;
        tokio::time::sleep(Duration::from_millis(15)).await;
    }
    let last = deal.stock + i64::from(ROUNDS);
    let (versions, pongs) = read_to_stock(&mut viewer, &deal, last, usize::from(ROUNDS)).await;
    assert_eq!(pongs, (0..ROUNDS).map(|r| vec![r]).collect::<Vec<_>>());
    assert_in_order(&versions);
}

/// A viewer whose socket fills up partway through a room state (a phone on a weak signal): what the
/// socket did not take is sent before anything else, so once it reads again it gets whole frames,
/// in order, up to the current state, and the answer to a WebSocket ping sent meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_whose_socket_fills_mid_state_reads_whole_states_up_to_the_current_one() {
    let ts = TestServer::start().await;
    let mut host = ts.host().await;
    // Many deals make every state several KiB, so the socket fills mid-frame rather than between.
    let mut deals = Vec::new();
    for _ in 0..40 {
        deals.push(host.launch_deal(1, 990, 100, 1).await);
    }
    let deal = deals[0].clone();
    let mut slow = Client::connect_small_window(&ts.ws_url()).await;
    slow.join(ts.show).await;
    // More states than its socket and the server's send buffer hold, spaced past the room's
    // coalescing so that each is pushed.
    const CHANGES: i64 = 40;
    restock_one_by_one(&mut host, &deal, CHANGES, Duration::from_millis(110)).await;
    // A WebSocket ping now, while a state may be half-written: its pong must not land inside it.
    slow.send_message(Message::Ping(b"mid".to_vec().into()))
        .await;
    let (versions, pongs) = read_to_stock(&mut slow, &deal, deal.stock + CHANGES, 1).await;
    assert_eq!(pongs, [b"mid".to_vec()]);
    assert_in_order(&versions);
}

/// Reads `client`'s messages, control frames included, until the room shows `deal` at `stock`
/// and `pongs` pongs have come: the versions of the room states read and the pongs' payloads.
async fn read_to_stock(
    client: &mut Client,
    deal: &Deal,
    stock: i64,
    pongs: usize,
) -> (Vec<u64>, Vec<Vec<u8>>) {
    let (mut versions, mut payloads) = (Vec::new(), Vec::new());
    let mut shown = deal.stock;
    while shown != stock || payloads.len() < pongs {
        match client.recv_message().await {
            Message::Pong(payload) => payloads.push(payload.to_vec()),
            Message::Text(text) => {
                if let Ok(ServerMsg::Room(state)) = ServerMsg::parse(text.as_str()) {
                    versions.push(state.version);
                    shown = (state.deals.iter())
                        .find(|d| d.id == deal.id)
                        .map_or(shown, |d| d.stock);
                }
            }
            _ => {}
        }
    }
    (versions, payloads)
}

/// Room state versions as a viewer read them: each newer than the one before.
fn assert_in_order(versions: &[u64]) {
    assert!(
        versions.windows(2).all(|p| p[0] < p[1]),
        "versions out of order or repeated: {versions:?}"
    );
}

#[tokio::test]
async fn after_a_restart_every_viewer_comes_back_and_has_the_state_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("restart.db");
    let server = ServerProcess::start(&db, 4096).await.expect("mulin starts");
    let (summary, server) = fanout::restart(server, &db, 300)
        .await
        .expect("restart run");
    server.stop().await;
    assert_eq!(summary.failed, 0, "viewers left behind: {summary:?}");
    assert!(summary.attempts >= 300, "{summary:?}");
}

#[tokio::test]
async fn past_the_connection_limit_a_client_is_told_to_retry_and_gets_in_once_a_place_frees() {
    let ts = TestServer::start_with(3).await;
    let mut held = ts.viewers(3).await;
    let refused = Wire::open(&ts.ws_url(), FRAME_WAIT)
        .await
        .err()
        .expect("a fourth connection is refused");
    assert!(refused.contains("503"), "{refused}");
    // The ones inside are not disturbed.
    for c in &mut held {
        c.ping().await;
    }
    drop(held.pop());
    // Once the server has seen that one go, a new viewer gets in (retrying, as the widget does).
    let mut back = get_back_in(&ts.ws_url()).await;
    back.send(&ClientMsg::Join {
        show: ts.show,
        since: None,
        catalogue: None,
    })
    .await
    .expect("join sent");
}

/// A node whose process may open few files: it raises its soft limit to the hard one, and takes only
/// as many connections as the files can hold, so that a viewer past them is told 503 at once
/// instead of waiting for an accept the kernel refuses, and the node keeps answering HTTP.
/// (Before, the 700 files filled up first: the next viewers were left unanswered while the server
/// retried its accept once a second.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_limit_fits_the_file_limit_so_one_more_viewer_is_refused_not_left_waiting() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = ServerProcess::start_with_open_files(&dir.path().join("files.db"), 200, 700)
        .await
        .expect("mulin starts");
    let metrics = || async {
        let answer = mulin_tests::wire::http_request(server.addr, "GET", "/api/metrics", &[], &[])
            .await
            .expect("/api/metrics answers");
        assert_eq!(answer.status, 200, "{answer:?}");
        let connections = &answer.json()["connections"];
        let count = |field: &str| connections[field].as_u64().expect("a count");
        (count("open"), count("limit"))
    };
    let (open, limit) = metrics().await;
    assert_eq!(open, 0);
    // Raised to 700 (at 200 the headroom alone would leave no place), then fitted under it.
    assert!(
        200 < limit && limit <= 700 - 256,
        "a limit of {limit} connections"
    );
    let url = server.ws_url();
    let mut inside = Vec::new();
    for _ in 0..limit {
        inside.push(Wire::open(&url, FRAME_WAIT).await.expect("a place inside"));
    }
    for _ in 0..20 {
        let answer = tokio::time::timeout(FRAME_WAIT, Wire::open(&url, FRAME_WAIT))
            .await
            .expect("one more viewer is answered, not left waiting");
        let refused = answer.err().expect("one more viewer is refused");
        assert!(refused.contains("503"), "{refused}");
    }
    assert_eq!(metrics().await, (limit, limit));
    // The viewers inside still see the room, and a place freed is a place taken.
    for viewer in &mut inside[..2] {
        viewer.keep_room = true;
        viewer
            .send(&ClientMsg::Join {
                show: server.show,
                since: None,
                catalogue: None,
            })
            .await
            .expect("join sent");
        viewer
            .until(FRAME_WAIT, |m| {
                matches!(m, ServerMsg::Room(_)).then_some(())
            })
            .await
            .expect("the room's state");
    }
    inside.truncate(inside.len() - 5);
    for _ in 0..5 {
        inside.push(get_back_in(&url).await);
    }
    server.stop().await;
}

/// Connects once a place is free: refused with 503 until the server has seen a viewer go, it
/// retries every 50 ms (at most 100 times), as the widget retries; any other failure fails the test.
async fn get_back_in(url: &str) -> Wire {
    for _ in 0..100 {
        match Wire::open(url, FRAME_WAIT).await {
            Ok(wire) => return wire,
            Err(e) if e.contains("503") => tokio::time::sleep(Duration::from_millis(50)).await,
            Err(e) => panic!("could not get back in: {e}"),
        }
    }
    Wire::open(url, FRAME_WAIT)
        .await
        .unwrap_or_else(|e| panic!("could not get back in: {e}"))
}

/// Connections that hold an open file without asking for anything are closed once their request
/// head is overdue: one that sends nothing, one stopped halfway through a request, one left idle
/// after its answer. Every viewer needs an open file, so these would otherwise crowd viewers out. A
/// viewer's WebSocket, past its upgrade, is not subject to the deadline.
#[tokio::test]
async fn connections_that_send_no_request_are_closed_but_a_quiet_viewer_is_not() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let deadline = Duration::from_secs(1);
    let ts = TestServer::start_with_header_timeout(deadline).await;
    let mut viewer = ts.viewers(1).await.remove(0);
    let opened = std::time::Instant::now();
    let connect = || async {
        tokio::net::TcpStream::connect(ts.addr())
            .await
            .expect("connects")
    };
    let silent = connect().await;
    let mut partial = connect().await;
    partial
        .write_all(b"GET /api/health HTTP/1.1\r\nHo")
        .await
        .expect("half a request sent");
    let mut idle = connect().await;
    idle.write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("request sent");
    let mut answer = [0u8; 512];
    let n = tokio::time::timeout(FRAME_WAIT, idle.read(&mut answer))
        .await
        .expect("answered in time")
        .expect("read");
    assert!(
        answer[..n].starts_with(b"HTTP/1.1 200"),
        "{:?}",
        &answer[..n]
    );
    for (what, mut stream) in [("silent", silent), ("partial", partial), ("idle", idle)] {
        let mut rest = Vec::new();
        tokio::time::timeout(FRAME_WAIT, stream.read_to_end(&mut rest))
            .await
            .unwrap_or_else(|_| panic!("the {what} connection is still open"))
            .unwrap_or_else(|e| panic!("the {what} connection: {e}"));
        assert!(
            opened.elapsed() >= deadline,
            "the {what} connection closed before its deadline"
        );
    }
    // The viewer has been quiet for longer than the deadline and is still served.
    viewer.ping().await;
    let answer = mulin_tests::wire::http_get(ts.addr(), "/api/health")
        .await
        .expect("a new request is answered");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

/// The host adds one unit `times` times, `gap` apart: a change per push when the gap is wider than
/// the room's push interval, a burst for it to coalesce when narrower.
async fn restock_one_by_one(host: &mut Client, deal: &Deal, times: i64, gap: Duration) {
    for _ in 0..times {
        host.send(&ClientMsg::Restock {
            deal: deal.id,
            units: 1,
        })
        .await;
        tokio::time::sleep(gap).await;
    }
}
