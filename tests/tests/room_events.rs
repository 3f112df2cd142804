//! Room events with sequence numbers, and rejoining from the last one: a real server on port 0,
//! real WebSockets.

use mulin_shared::{ClientMsg, DealStatus, ErrorCode, RoomEvent, RoomState, ServerMsg};
use mulin_tests::{Client, TestServer};

/// The next event frame, and every room state read on the way.
async fn next_event(c: &mut Client, states: &mut Vec<RoomState>) -> (u64, RoomEvent) {
    c.recv_until(|m| match m {
        ServerMsg::Event { seq, event } => Some((*seq, event.clone())),
        ServerMsg::Room(state) => {
            states.push(state.clone());
            None
        }
        _ => None,
    })
    .await
}

/// The first room state that includes event `seq`.
async fn state_with(c: &mut Client, seq: u64) -> RoomState {
    c.recv_until(|m| match m {
        ServerMsg::Room(state) if state.seq >= seq => Some(state.clone()),
        _ => None,
    })
    .await
}

#[tokio::test]
async fn launches_and_ends_reach_viewers_as_numbered_events_and_the_state_includes_them() {
    let ts = TestServer::start().await;
    let mut viewer = ts.client().await;
    let first = viewer.join(ts.show).await;
    let mut host = ts.host().await;

    let deal = host.launch_deal(1, 990, 50, 2).await;
    let mut states = Vec::new();
    let (seq, event) = next_event(&mut viewer, &mut states).await;
    assert_eq!(seq, first.seq + 1, "events are numbered one by one");
    assert_eq!(
        event,
        RoomEvent::DealLaunched { deal: deal.clone() },
        "the event carries the launched deal"
    );
    let state = state_with(&mut viewer, seq).await;
    assert!(state.deals.iter().any(|d| d.id == deal.id));
    assert_eq!(state.pinned, Some(deal.id));

    host.send(&ClientMsg::EndDeal { deal: deal.id }).await;
    let (ended_seq, ended) = next_event(&mut viewer, &mut states).await;
    assert_eq!(ended_seq, seq + 1);
    match ended {
        RoomEvent::DealEnded { deal: d } => {
            assert_eq!(d.id, deal.id);
            assert_eq!(d.status, DealStatus::Ended);
        }
        other => panic!("expected the deal's end, got {other:?}"),
    }
    let state = state_with(&mut viewer, ended_seq).await;
    let shown = state.deals.iter().find(|d| d.id == deal.id).expect("deal");
    assert_eq!(shown.status, DealStatus::Ended);
    // Every state read along the way moved forward.
    states.push(state);
    assert!(
        states
            .windows(2)
            .all(|w| w[0].version < w[1].version && w[0].seq <= w[1].seq),
        "states went back: {:?}",
        states
            .iter()
            .map(|s| (s.version, s.seq))
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn a_viewer_rejoining_with_its_last_seq_gets_only_the_current_state() {
    let ts = TestServer::start().await;
    let mut viewer = ts.client().await;
    let before = viewer.join(ts.show).await;
    drop(viewer);

    // Events happen while the viewer is away.
    let mut host = ts.host().await;
    let a = host.launch_deal(1, 990, 50, 2).await;
    let b = host.launch_deal(1, 990, 50, 2).await;

    let mut back = ts.client().await;
    back.send(&ClientMsg::Join {
        show: ts.show,
        since: Some(before.seq),
        catalogue: None,
    })
    .await;
    let first = back.recv().await;
    let ServerMsg::Room(state) = first else {
        panic!("a rejoining viewer is sent the room state first (no catalogue), got {first:?}");
    };
    assert_eq!(
        state.seq,
        before.seq + 2,
        "the state tells which events were missed"
    );
    for deal in [&a, &b] {
        assert!(
            state.deals.iter().any(|d| d.id == deal.id),
            "missed launch included"
        );
    }
    assert_eq!(state.pinned, Some(b.id));

    // A first join still gets the catalogue before the state.
    let mut fresh = ts.client().await;
    fresh
        .send(&ClientMsg::Join {
            show: ts.show,
            since: None,
            catalogue: None,
        })
        .await;
    assert!(matches!(fresh.recv().await, ServerMsg::ShowInfo { .. }));
    assert!(matches!(fresh.recv().await, ServerMsg::Room(_)));
}

#[tokio::test]
async fn a_restock_raises_the_stock_every_viewer_sees_and_bad_restocks_are_refused() {
    let ts = TestServer::start().await;
    let mut host = ts.host().await;
    let deal = host.launch_deal(1, 990, 50, 2).await;
    let mut viewer = ts.client().await;
    viewer.join(ts.show).await;

    host.send(&ClientMsg::Restock {
        deal: deal.id,
        units: 25,
    })
    .await;
    let restocked = host
        .recv_until(|m| match m {
            ServerMsg::DealRestocked { deal } => Some(deal.clone()),
            ServerMsg::Error { code, message, .. } => panic!("restock refused: {code:?} {message}"),
            _ => None,
        })
        .await;
    assert_eq!(restocked.stock, deal.stock + 25);
    viewer
        .recv_until(|m| match m {
            ServerMsg::Room(state) => state
                .deals
                .iter()
                .find(|d| d.id == deal.id && d.stock == deal.stock + 25)
                .map(|_| ()),
            _ => None,
        })
        .await;

    // Nonsense amounts, a deal that is over, and a resident trying it: each a clear error.
    for units in [0, -5, 2_000_000] {
        host.send(&ClientMsg::Restock {
            deal: deal.id,
            units,
        })
        .await;
        assert_eq!(host.next_error().await.0, ErrorCode::InvalidDeal, "{units}");
    }
    host.send(&ClientMsg::Restock {
        deal: 9999,
        units: 1,
    })
    .await;
    assert_eq!(host.next_error().await.0, ErrorCode::UnknownDeal);
    host.send(&ClientMsg::EndDeal { deal: deal.id }).await;
    host.send(&ClientMsg::Restock {
        deal: deal.id,
        units: 1,
    })
    .await;
    assert_eq!(host.next_error().await.0, ErrorCode::InvalidDeal);
    let mut resident = ts.client().await;
    resident.join(ts.show).await;
    resident.sign_in("小李").await;
    resident
        .send(&ClientMsg::Restock {
            deal: deal.id,
            units: 1,
        })
        .await;
    assert_eq!(resident.next_error().await.0, ErrorCode::Forbidden);
}
