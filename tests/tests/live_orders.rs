//! Orders and live stock over real WebSockets against a real server on port 0.

use mulin_shared::{ClientMsg, Deal, ErrorCode, Refusal, ServerMsg};
use mulin_tests::wire::http_get;
use mulin_tests::{Client, TEST_COMMUNITY, TEST_PHONE, TestServer};

/// A host connection on the demo show that launches a deal and returns it.
async fn launch(ts: &TestServer, stock: i64, limit: i64) -> Deal {
    ts.host().await.launch_deal(2, 2990, stock, limit).await
}

/// Waits until `c` sees `deal` with exactly `sold` units sold.
async fn sees_sold(c: &mut Client, deal: i64, sold: i64) {
    c.recv_until(|m| match m {
        ServerMsg::Room(state) => state
            .deals
            .iter()
            .find(|d| d.id == deal)
            .filter(|d| d.sold == sold)
            .map(|_| ()),
        _ => None,
    })
    .await
}

#[tokio::test]
async fn first_frame_is_welcome_with_protocol_version() {
    let ts = TestServer::start().await;
    let c = ts.client().await;
    assert_eq!(c.protocol, mulin_shared::PROTOCOL_VERSION);
}

#[tokio::test]
async fn a_purchase_moves_the_stock_for_every_viewer() {
    let ts = TestServer::start().await;
    let deal = launch(&ts, 10, 5).await;
    let mut buyer = ts.resident("王阿姨").await;
    let mut watcher = ts.client().await;
    watcher.join(ts.show).await;
    // Room pushes are coalesced (≤ 10 a second): the launch shows up within one interval.
    let room = watcher
        .recv_until(|m| match m {
            ServerMsg::Room(room) if room.pinned == Some(deal.id) => Some(room.clone()),
            _ => None,
        })
        .await;
    assert_eq!(room.pinned_deal().map(|d| d.remaining()), Some(10));

    let accepted = buyer.order(deal.id, 3, "k1").await;
    let ServerMsg::OrderAccepted { order: o, .. } = accepted else {
        panic!("expected acceptance, got {accepted:?}");
    };
    assert_eq!(
        (o.deal, o.qty, o.unit_price, o.nickname.as_str()),
        (deal.id, 3, 2990, "王阿姨")
    );
    assert_eq!(o.pickup_code.len(), 6);

    // Both the buyer and a viewer who never bought see 7 left.
    sees_sold(&mut watcher, deal.id, 3).await;
    sees_sold(&mut buyer, deal.id, 3).await;

    // The acknowledgement means it is in the store.
    let stored = ts.server.store().show_orders(ts.show, 10).await.unwrap();
    assert_eq!(stored.first().map(|s| s.id), Some(o.id));
}

#[tokio::test]
async fn buying_past_the_stock_or_the_limit_is_refused() {
    let ts = TestServer::start().await;
    let deal = launch(&ts, 3, 2).await;
    let mut a = ts.resident("a").await;
    let mut b = ts.resident("b").await;

    assert!(matches!(
        a.order(deal.id, 2, "a1").await,
        ServerMsg::OrderAccepted { .. }
    ));
    assert_eq!(
        a.order(deal.id, 1, "a2").await,
        ServerMsg::OrderRefused {
            key: "a2".into(),
            reason: Refusal::LimitReached,
            remaining: 1,
            held: 2
        }
    );
    assert_eq!(
        b.order(deal.id, 2, "b1").await,
        ServerMsg::OrderRefused {
            key: "b1".into(),
            reason: Refusal::NotEnoughStock,
            remaining: 1,
            held: 0
        }
    );
    assert!(matches!(
        b.order(deal.id, 1, "b2").await,
        ServerMsg::OrderAccepted { .. }
    ));
    let mut c = ts.resident("c").await;
    assert_eq!(
        c.order(deal.id, 1, "c1").await,
        ServerMsg::OrderRefused {
            key: "c1".into(),
            reason: Refusal::SoldOut,
            remaining: 0,
            held: 0
        }
    );
    let deals = ts.server.store().deals(ts.show).await.unwrap();
    let stored = deals.iter().find(|d| d.id == deal.id).unwrap();
    assert_eq!((stored.sold, stored.stock), (3, 3));
}

#[tokio::test]
async fn a_retried_key_returns_the_same_order_and_never_a_second_one() {
    let ts = TestServer::start().await;
    let deal = launch(&ts, 50, 10).await;
    let mut a = ts.resident("retry").await;
    let ServerMsg::OrderAccepted { order: first, .. } = a.order(deal.id, 2, "same").await else {
        panic!("first try accepted");
    };
    let ServerMsg::OrderAccepted { order: again, .. } = a.order(deal.id, 2, "same").await else {
        panic!("retry answered with the original acceptance");
    };
    assert_eq!(first, again);
    let stored = ts.server.store().show_orders(ts.show, 100).await.unwrap();
    assert_eq!(stored.iter().filter(|o| o.deal == deal.id).count(), 1);
}

#[tokio::test]
async fn ending_a_deal_closes_it_for_buyers() {
    let ts = TestServer::start().await;
    let deal = launch(&ts, 5, 5).await;
    let mut host = ts.host().await;
    host.send(&ClientMsg::EndDeal { deal: deal.id }).await;
    let mut a = ts.resident("late").await;
    a.recv_until(|m| match m {
        ServerMsg::Room(s) => s
            .deals
            .iter()
            .find(|d| d.id == deal.id && d.status == mulin_shared::DealStatus::Ended)
            .map(|_| ()),
        _ => None,
    })
    .await;
    assert_eq!(
        a.order(deal.id, 1, "late1").await,
        ServerMsg::OrderRefused {
            key: "late1".into(),
            reason: Refusal::DealClosed,
            remaining: 5,
            held: 0
        }
    );
}

#[tokio::test]
async fn moderators_see_orders_as_they_happen() {
    let ts = TestServer::start().await;
    let deal = launch(&ts, 5, 5).await;
    let mut moderator = ts.client().await;
    moderator.join(ts.show).await;
    assert!(matches!(
        moderator.resume(&ts.moderator_token).await,
        ServerMsg::SignedIn {
            role: mulin_shared::Role::Moderator,
            ..
        }
    ));
    moderator
        .recv_until(|m| matches!(m, ServerMsg::Orders { .. }).then_some(()))
        .await;
    let mut a = ts.resident("李叔").await;
    a.order(deal.id, 1, "m1").await;
    let placed = moderator
        .recv_until(|m| match m {
            ServerMsg::OrderPlaced { order } => Some(order.clone()),
            _ => None,
        })
        .await;
    assert_eq!((placed.nickname.as_str(), placed.qty), ("李叔", 1));
}

#[tokio::test]
async fn a_resident_gets_their_orders_back_after_reconnecting() {
    let ts = TestServer::start().await;
    let deal = launch(&ts, 5, 5).await;
    let mut a = ts.client().await;
    a.join(ts.show).await;
    let (_, token) = a.sign_in("回头客").await;
    let ServerMsg::OrderAccepted { order: o, .. } = a.order(deal.id, 1, "r1").await else {
        panic!("accepted");
    };
    drop(a);
    let mut again = ts.client().await;
    again.join(ts.show).await;
    again.resume(&token).await;
    let mine = again
        .recv_until(|m| match m {
            ServerMsg::MyOrders { orders } => Some(orders.clone()),
            _ => None,
        })
        .await;
    assert_eq!(mine, vec![o]);
}

#[tokio::test]
async fn bad_input_gets_an_error_frame_and_the_socket_stays_usable() {
    let ts = TestServer::start().await;
    let deal = launch(&ts, 5, 5).await;
    let mut c = ts.client().await;

    c.send_raw("this is not json").await;
    assert_eq!(c.next_error().await.0, ErrorCode::MalformedFrame);
    c.send_raw(r#"{"type":"teleport"}"#).await;
    assert_eq!(c.next_error().await.0, ErrorCode::UnknownMessage);
    c.send_raw(r#"{"type":"place_order","deal":"seven"}"#).await;
    assert_eq!(c.next_error().await.0, ErrorCode::InvalidMessage);
    c.send_message(tokio_tungstenite::tungstenite::Message::binary(vec![
        1u8, 2, 3,
    ]))
    .await;
    assert_eq!(c.next_error().await.0, ErrorCode::MalformedFrame);
    c.send_raw(&format!(
        r#"{{"type":"sign_in","nickname":"{}","phone":"13800138000","community":"c"}}"#,
        "x".repeat(20_000)
    ))
    .await;
    assert_eq!(c.next_error().await.0, ErrorCode::FrameTooLarge);
    c.ping().await;

    // Ordering before signing in, then before joining.
    let attempt = ClientMsg::PlaceOrder {
        deal: deal.id,
        qty: 1,
        pickup: 1,
        key: "x".into(),
    };
    c.send(&attempt).await;
    assert_eq!(c.next_error().await.0, ErrorCode::NotSignedIn);
    c.sign_in("tester").await;
    c.send(&attempt).await;
    assert_eq!(c.next_error().await.0, ErrorCode::NotJoined);
    c.join(ts.show).await;

    for (deal_id, qty, pickup, key, code) in [
        (999_999, 1, 1, "k", ErrorCode::UnknownDeal),
        (deal.id, 0, 1, "k", ErrorCode::InvalidQuantity),
        (deal.id, -3, 1, "k", ErrorCode::InvalidQuantity),
        (deal.id, 1, 999, "k", ErrorCode::UnknownPickup),
        (deal.id, 1, 1, "", ErrorCode::InvalidKey),
    ] {
        c.send(&ClientMsg::PlaceOrder {
            deal: deal_id,
            qty,
            pickup,
            key: key.into(),
        })
        .await;
        assert_eq!(
            c.next_error().await.0,
            code,
            "deal {deal_id} qty {qty} pickup {pickup}"
        );
    }

    // Residents cannot act as hosts; nonsense tokens and nicknames are refused.
    c.send(&ClientMsg::EndDeal { deal: deal.id }).await;
    assert_eq!(c.next_error().await.0, ErrorCode::Forbidden);
    assert!(matches!(
        c.resume("h_not-a-real-token").await,
        ServerMsg::Error {
            code: ErrorCode::InvalidToken,
            ..
        }
    ));
    // Each bad sign-in field gets its own code, so the widget can say which one to fix.
    for (nickname, phone, community, code) in [
        (
            "   ",
            TEST_PHONE,
            TEST_COMMUNITY,
            ErrorCode::InvalidNickname,
        ),
        ("王阿姨", "12345", TEST_COMMUNITY, ErrorCode::InvalidPhone),
        (
            "王阿姨",
            "+1 415 555 0100",
            TEST_COMMUNITY,
            ErrorCode::InvalidPhone,
        ),
        ("王阿姨", TEST_PHONE, "", ErrorCode::InvalidCommunity),
        (
            "王阿姨",
            TEST_PHONE,
            &"区".repeat(41),
            ErrorCode::InvalidCommunity,
        ),
    ] {
        c.send(&ClientMsg::SignIn {
            nickname: nickname.into(),
            phone: phone.into(),
            community: community.into(),
            code: None,
        })
        .await;
        assert_eq!(
            c.next_error().await.0,
            code,
            "{nickname} {phone} {community}"
        );
    }
    c.send_raw(r#"{"type":"sign_in","nickname":"王阿姨"}"#)
        .await;
    assert_eq!(c.next_error().await.0, ErrorCode::InvalidMessage);
    c.send(&ClientMsg::Join {
        show: 4040,
        since: None,
        catalogue: None,
    })
    .await;
    assert_eq!(c.next_error().await.0, ErrorCode::UnknownShow);

    // After all that, the same socket still buys.
    assert!(matches!(
        c.order(deal.id, 1, "ok").await,
        ServerMsg::OrderAccepted { .. }
    ));
}

#[tokio::test]
async fn hosts_get_clear_errors_for_impossible_deals() {
    let ts = TestServer::start().await;
    let mut host = ts.host().await;
    let now = mulin_backend::now_ms();
    for (product, price, stock, limit, ends_at, code) in [
        (999, 100, 10, 1, now + 60_000, ErrorCode::UnknownProduct),
        (1, -1, 10, 1, now + 60_000, ErrorCode::InvalidDeal),
        (1, 100, 0, 1, now + 60_000, ErrorCode::InvalidDeal),
        (1, 100, 10, 11, now + 60_000, ErrorCode::InvalidDeal),
        (1, 100, 10, 1, now - 1, ErrorCode::InvalidDeal),
    ] {
        host.send(&ClientMsg::LaunchDeal {
            product,
            price,
            stock,
            per_resident_limit: limit,
            starts_at: None,
            ends_at,
        })
        .await;
        assert_eq!(host.next_error().await.0, code);
    }
}

#[tokio::test]
async fn http_errors_are_json_with_a_code() {
    let ts = TestServer::start().await;
    let body = http_get(ts.server.addr(), "/api/no-such-thing")
        .await
        .unwrap();
    assert!(body.starts_with("HTTP/1.1 404"), "{body}");
    assert!(body.contains(r#""error":"not_found""#), "{body}");
    let health = http_get(ts.server.addr(), "/api/health").await.unwrap();
    assert!(health.contains(r#""status":"ok""#), "{health}");
}

#[tokio::test]
async fn shutdown_closes_live_connections_and_returns() {
    let ts = TestServer::start().await;
    let mut viewer = ts.client().await;
    viewer.join(ts.show).await;
    let TestServer { server, .. } = ts;
    tokio::time::timeout(mulin_tests::FRAME_WAIT, server.shutdown())
        .await
        .expect("shutdown finishes although a viewer is connected")
        .expect("server task ends cleanly");
    assert!(
        viewer.is_closed().await,
        "the viewer's socket was closed by the server"
    );
}

#[tokio::test]
async fn cancelling_returns_the_units_and_every_viewer_sees_the_stock_rise() {
    let ts = TestServer::start().await;
    let deal = launch(&ts, 5, 3).await;
    let mut a = ts.resident("退单的").await;
    let mut watcher = ts.client().await;
    watcher.join(ts.show).await;
    let ServerMsg::OrderAccepted { order: o, .. } = a.order(deal.id, 3, "c1").await else {
        panic!("accepted");
    };
    sees_sold(&mut watcher, deal.id, 3).await;
    // At the limit: a fourth unit is refused…
    assert!(matches!(
        a.order(deal.id, 1, "c2").await,
        ServerMsg::OrderRefused {
            reason: Refusal::LimitReached,
            ..
        }
    ));

    a.send(&ClientMsg::CancelOrder {
        order: o.id,
        reason: None,
    })
    .await;
    let cancelled = a
        .recv_until(|m| match m {
            ServerMsg::OrderCancelled { order } => Some(order.clone()),
            ServerMsg::Error { code, message, .. } => panic!("cancel refused: {code:?} {message}"),
            _ => None,
        })
        .await;
    assert_eq!(
        (cancelled.id, cancelled.status),
        (o.id, mulin_shared::OrderStatus::Cancelled)
    );
    sees_sold(&mut watcher, deal.id, 0).await;

    // …and after cancelling, the limit counts only live orders again.
    assert!(matches!(
        a.order(deal.id, 2, "c3").await,
        ServerMsg::OrderAccepted { .. }
    ));
    // Retrying the first key reports the original order, as it is now: cancelled, not re-bought.
    let ServerMsg::OrderAccepted { order: again, .. } = a.order(deal.id, 3, "c1").await else {
        panic!("original outcome");
    };
    assert_eq!(
        (again.id, again.status),
        (o.id, mulin_shared::OrderStatus::Cancelled)
    );

    // Cancelling twice is refused in words; the store agrees with the room.
    a.send(&ClientMsg::CancelOrder {
        order: o.id,
        reason: None,
    })
    .await;
    assert_eq!(a.next_error().await.0, ErrorCode::NotCancellable);
    let stored = ts.server.store().deals(ts.show).await.unwrap();
    assert_eq!(
        stored.iter().find(|d| d.id == deal.id).map(|d| d.sold),
        Some(2)
    );
}

#[tokio::test]
async fn a_key_reused_in_another_deal_cannot_spoil_anyone_elses_order() {
    let ts = TestServer::start().await;
    let first = launch(&ts, 10, 5).await;
    let second = launch(&ts, 10, 5).await;
    let mut careless = ts.resident("同一个键").await;
    assert!(matches!(
        careless.order(first.id, 1, "k").await,
        ServerMsg::OrderAccepted { .. }
    ));

    // The same key in another deal is another purchase intent; a neighbour buys in the same moment.
    let mut neighbour = ts.resident("邻居").await;
    careless
        .send(&ClientMsg::PlaceOrder {
            deal: second.id,
            qty: 1,
            pickup: 1,
            key: "k".into(),
        })
        .await;
    neighbour
        .send(&ClientMsg::PlaceOrder {
            deal: second.id,
            qty: 1,
            pickup: 1,
            key: "n".into(),
        })
        .await;
    let theirs = careless
        .recv_until(|m| match m {
            ServerMsg::OrderAccepted { order, .. } if order.deal == second.id => {
                Some(order.clone())
            }
            ServerMsg::Error { code, message, .. } => panic!("refused: {code:?} {message}"),
            _ => None,
        })
        .await;
    let mine = neighbour
        .recv_until(|m| match m {
            ServerMsg::OrderAccepted { order, .. } => Some(order.clone()),
            ServerMsg::Error { code, message, .. } => panic!("neighbour hurt: {code:?} {message}"),
            _ => None,
        })
        .await;
    assert_ne!(theirs.id, mine.id);
    let stored = ts.server.store().show_orders(ts.show, 10).await.unwrap();
    assert_eq!(stored.len(), 3);
}

#[tokio::test]
async fn a_buyer_sees_room_versions_only_move_forward_while_ordering() {
    let ts = TestServer::start().await;
    let deal = launch(&ts, 1000, 1000).await;
    let mut buyers = Vec::new();
    for i in 0..8 {
        buyers.push(ts.resident(&format!("buyer{i}")).await);
    }
    // Everyone orders at once, many times; answers and room states interleave on each socket.
    let tasks: Vec<_> = buyers
        .into_iter()
        .enumerate()
        .map(|(i, mut c)| {
            tokio::spawn(async move {
                let mut versions = Vec::new();
                for k in 0..25 {
                    let key = format!("b{i}-{k}");
                    c.send(&ClientMsg::PlaceOrder {
                        deal: deal.id,
                        qty: 1,
                        pickup: 1,
                        key: key.clone(),
                    })
                    .await;
                    loop {
                        match c.recv().await {
                            ServerMsg::Room(state) => versions.push(state.version),
                            ServerMsg::OrderAccepted { key: k, .. } if k == key => break,
                            m @ (ServerMsg::Error { .. } | ServerMsg::OrderRefused { .. }) => {
                                panic!("purchase {key} failed: {m:?}")
                            }
                            _ => {}
                        }
                    }
                }
                // The last purchase's state arrives with or soon after its answer.
                sees_sold(&mut c, deal.id, 200).await;
                versions
            })
        })
        .collect();
    for task in tasks {
        let versions = task.await.unwrap();
        assert!(
            versions.windows(2).all(|w| w[0] < w[1]),
            "room versions went back or repeated: {versions:?}"
        );
    }
}

#[tokio::test]
async fn a_session_token_resumes_and_a_tampered_one_is_refused() {
    let ts = TestServer::start().await;
    let mut c = Client::connect(&ts.ws_url()).await;
    let (id, token) = c.sign_in("王阿姨").await;
    assert!(token.starts_with(&format!("r.{id}.")), "{token}");
    let mut again = Client::connect(&ts.ws_url()).await;
    assert!(matches!(
        again.resume(&token).await,
        ServerMsg::SignedIn { resident: Some(r), .. } if r == id
    ));
    // Claiming another resident, or altering the signature, breaks the token.
    let other = token.replacen(&format!("r.{id}."), &format!("r.{}.", id + 1), 1);
    let mut sig_flipped = token.clone();
    let last = sig_flipped.pop().expect("a token");
    sig_flipped.push(if last == 'a' { 'b' } else { 'a' });
    for forged in [other, sig_flipped, format!("{token}0"), String::new()] {
        let mut c = Client::connect(&ts.ws_url()).await;
        assert!(
            matches!(
                c.resume(&forged).await,
                ServerMsg::Error {
                    code: ErrorCode::InvalidToken,
                    ..
                }
            ),
            "{forged}"
        );
    }
}
