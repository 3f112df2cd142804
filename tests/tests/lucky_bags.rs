//! Lucky bags over real WebSockets: open, enter, close, draw — and the draw re-run by a viewer from
//! the published data alone, exactly as the widget does it.

use mulin_shared::{
    BagPhase, ClientMsg, Eligibility, ErrorCode, LuckyBag, ResidentId, RoomEvent, ServerMsg,
};
use mulin_tests::wire::http_get;
use mulin_tests::{Client, TestServer};

async fn resident(ts: &TestServer, name: &str) -> (Client, ResidentId) {
    let (c, id, _) = resident_with_token(ts, name).await;
    (c, id)
}

async fn resident_with_token(ts: &TestServer, name: &str) -> (Client, ResidentId, String) {
    let mut c = ts.client().await;
    c.join(ts.show).await;
    let (id, token) = c.sign_in(name).await;
    (c, id, token)
}

fn open_bag(prize: &str, winners: u32, in_ms: i64, eligibility: Eligibility) -> ClientMsg {
    ClientMsg::OpenBag {
        prize: prize.into(),
        winners,
        closes_at: mulin_backend::now_ms() + in_ms,
        eligibility,
        pickup: 1,
    }
}

async fn opened(host: &mut Client, msg: ClientMsg) -> LuckyBag {
    host.send(&msg).await;
    host.recv_until(|m| match m {
        ServerMsg::BagOpened { bag } => Some(bag.clone()),
        ServerMsg::Error { code, message, .. } => panic!("bag refused: {code:?} {message}"),
        _ => None,
    })
    .await
}

async fn enter(c: &mut Client, bag: i64) -> Result<(), ErrorCode> {
    c.send(&ClientMsg::EnterBag { bag }).await;
    c.recv_until(|m| match m {
        ServerMsg::BagEntered { bag: b } if *b == bag => Some(Ok(())),
        ServerMsg::Error { code, .. } => Some(Err(*code)),
        _ => None,
    })
    .await
}

async fn drawn(c: &mut Client) -> (LuckyBag, Vec<ResidentId>) {
    c.recv_until(|m| match m {
        ServerMsg::Event {
            event: RoomEvent::BagDrawn { bag, entries },
            ..
        } => Some((bag.clone(), entries.clone())),
        _ => None,
    })
    .await
}

#[tokio::test]
async fn a_bag_runs_from_open_to_a_draw_anyone_can_reproduce_from_the_published_data() {
    let ts = TestServer::start().await;
    let mut host = ts.host().await;
    let mut watcher = ts.client().await;
    watcher.join(ts.show).await;
    let bag = opened(
        &mut host,
        open_bag("5 kg 五常大米", 2, 60_000, Eligibility::Everyone),
    )
    .await;
    assert_eq!((bag.phase, bag.entrants), (BagPhase::Open, 0));
    assert_eq!(bag.commitment.len(), 64, "SHA-256 in hex");
    assert!(
        bag.seed.is_none(),
        "the seed stays secret while the bag is open"
    );

    // Every viewer sees the bag and its commitment in the room state.
    let seen = watcher
        .recv_until(|m| match m {
            ServerMsg::Room(state) => state.bag.clone().filter(|b| b.id == bag.id),
            _ => None,
        })
        .await;
    assert_eq!(seen.commitment, bag.commitment);

    let mut entrants = Vec::new();
    let mut tokens = Vec::new();
    for name in ["甲", "乙", "丙", "丁", "戊"] {
        let (mut c, id, token) = resident_with_token(&ts, name).await;
        assert_eq!(enter(&mut c, bag.id).await, Ok(()));
        entrants.push((c, id));
        tokens.push((id, token));
    }
    // Entering twice is one entry, and answered the same way; coming back, a resident is told they
    // are in.
    assert_eq!(enter(&mut entrants[0].0, bag.id).await, Ok(()));
    let mut back = ts.client().await;
    back.join(ts.show).await;
    back.resume(&tokens[1].1).await;
    back.recv_until(|m| match m {
        ServerMsg::BagEntered { bag: b } if *b == bag.id => Some(()),
        _ => None,
    })
    .await;
    watcher
        .recv_until(|m| match m {
            ServerMsg::Room(state) => state.bag.as_ref().filter(|b| b.entrants == 5).map(|_| ()),
            _ => None,
        })
        .await;

    host.send(&ClientMsg::CloseBag { bag: bag.id }).await;
    let (result, entries) = drawn(&mut watcher).await;
    let mut ids: Vec<ResidentId> = entrants.iter().map(|(_, id)| *id).collect();
    ids.sort_unstable();
    assert_eq!(
        entries, ids,
        "the frozen list is every entrant once, ascending"
    );
    assert_eq!(result.phase, BagPhase::Drawn);
    assert_eq!(result.winners.len(), 2);
    assert!(result.winners.iter().all(|w| ids.contains(&w.resident)));
    // The viewer re-runs the draw with the shared code: it verifies.
    assert_eq!(result.verify(&entries), Ok(()));

    // The same from the public record, with nothing but an HTTP GET.
    let response = http_get(ts.server.addr(), &format!("/api/bags/{}", bag.id))
        .await
        .expect("record served");
    let body = &response[response.find("\r\n\r\n").expect("a body") + 4..];
    let record: serde_json::Value = serde_json::from_str(body).expect("JSON");
    let published: LuckyBag =
        serde_json::from_value(record["bag"].clone()).expect("a bag in the record");
    let listed: Vec<ResidentId> =
        serde_json::from_value(record["entries"].clone()).expect("entries in the record");
    assert_eq!(published, result);
    assert_eq!(published.verify(&listed), Ok(()));

    // Each winner alone hears how to claim; nobody enters after the close.
    for (c, id) in entrants.iter_mut() {
        if result.winners.iter().any(|w| w.resident == *id) {
            let (won, code) = c
                .recv_until(|m| match m {
                    ServerMsg::BagWon {
                        bag: b,
                        claim_code,
                        pickup,
                        ..
                    } => Some((*b, (claim_code.clone(), *pickup))),
                    _ => None,
                })
                .await;
            assert_eq!(won, bag.id);
            assert_eq!(code.0.len(), 6);
            assert_eq!(code.1, 1);
        } else {
            c.send(&ClientMsg::Ping { t: 1 }).await;
            c.send(&ClientMsg::Ping { t: 2 }).await;
            c.recv_until(|m| match m {
                ServerMsg::BagWon { .. } => panic!("a resident who did not win was told they did"),
                ServerMsg::Pong { t: 2, .. } => Some(()),
                _ => None,
            })
            .await;
        }
        assert_eq!(enter(c, bag.id).await, Err(ErrorCode::BagClosed));
    }
    let (mut late, _) = resident(&ts, "迟到").await;
    assert_eq!(enter(&mut late, bag.id).await, Err(ErrorCode::BagClosed));
    let stored = ts
        .server
        .store()
        .bag_entries(bag.id)
        .await
        .expect("entries");
    assert_eq!(stored, ids, "no late entry reached the store");

    // A winner who comes back later is told again how to claim.
    let winner = result.winners[0].resident;
    let token = &tokens
        .iter()
        .find(|(id, _)| *id == winner)
        .expect("a token")
        .1;
    let mut again = ts.client().await;
    again.join(ts.show).await;
    again.resume(token).await;
    again
        .recv_until(|m| match m {
            ServerMsg::BagWon { bag: b, .. } if *b == bag.id => Some(()),
            _ => None,
        })
        .await;
}

#[tokio::test]
async fn a_bag_closes_by_itself_at_its_time_and_a_changed_seed_or_list_does_not_verify() {
    let ts = TestServer::start().await;
    let mut host = ts.host().await;
    let bag = opened(
        &mut host,
        open_bag("土鸡蛋 30 枚", 1, 10_500, Eligibility::Everyone),
    )
    .await;
    let (mut a, a_id) = resident(&ts, "阿一").await;
    let (mut b, b_id) = resident(&ts, "阿二").await;
    assert_eq!(enter(&mut a, bag.id).await, Ok(()));
    assert_eq!(enter(&mut b, bag.id).await, Ok(()));
    // Nobody closes it: its time does.
    let (result, entries) = a
        .recv_within(std::time::Duration::from_secs(30), |m| match m {
            ServerMsg::Event {
                event: RoomEvent::BagDrawn { bag, entries },
                ..
            } => Some((bag.clone(), entries.clone())),
            _ => None,
        })
        .await;
    assert!(
        mulin_backend::now_ms() >= bag.closes_at,
        "not before its time"
    );
    assert_eq!(entries, {
        let mut v = vec![a_id, b_id];
        v.sort_unstable();
        v
    });
    assert_eq!(result.verify(&entries), Ok(()));
    // Tampering with anything published breaks the check.
    let mut other_seed = result.clone();
    other_seed.seed = Some("00".repeat(32));
    assert!(other_seed.verify(&entries).is_err());
    let mut fewer = entries.clone();
    fewer.pop();
    assert!(result.verify(&fewer).is_err());
    let mut rigged = result.clone();
    rigged.winners[0].resident = if result.winners[0].resident == a_id {
        b_id
    } else {
        a_id
    };
    assert!(rigged.verify(&entries).is_err());
}

#[tokio::test]
async fn bad_bags_and_bad_entries_get_clear_errors() {
    let ts = TestServer::start().await;
    let mut host = ts.host().await;
    let now = mulin_backend::now_ms();
    let bad = [
        (
            open_bag("", 1, 60_000, Eligibility::Everyone),
            ErrorCode::InvalidBag,
        ),
        (
            open_bag(&"奖".repeat(61), 1, 60_000, Eligibility::Everyone),
            ErrorCode::InvalidBag,
        ),
        (
            open_bag("米", 0, 60_000, Eligibility::Everyone),
            ErrorCode::InvalidBag,
        ),
        (
            open_bag("米", 1_001, 60_000, Eligibility::Everyone),
            ErrorCode::InvalidBag,
        ),
        (
            open_bag("米", 1, -5_000, Eligibility::Everyone),
            ErrorCode::InvalidBag,
        ),
        (
            open_bag("米", 1, 25 * 3_600_000, Eligibility::Everyone),
            ErrorCode::InvalidBag,
        ),
        (
            ClientMsg::OpenBag {
                prize: "米".into(),
                winners: 1,
                closes_at: now + 60_000,
                eligibility: Eligibility::Everyone,
                pickup: 999,
            },
            ErrorCode::UnknownPickup,
        ),
    ];
    for (msg, code) in bad {
        host.send(&msg).await;
        assert_eq!(host.next_error().await.0, code, "{msg:?}");
    }
    host.send_raw(r#"{"type":"open_bag","prize":"米","winners":-1,"closes_at":1,"eligibility":"everyone","pickup":1}"#)
        .await;
    assert_eq!(host.next_error().await.0, ErrorCode::InvalidMessage);
    host.send_raw(r#"{"type":"open_bag","prize":"米","winners":1,"closes_at":1,"eligibility":"friends","pickup":1}"#)
        .await;
    assert_eq!(host.next_error().await.0, ErrorCode::InvalidMessage);

    let bag = opened(&mut host, open_bag("米", 1, 60_000, Eligibility::Buyers)).await;
    host.send(&open_bag("再来一个", 1, 60_000, Eligibility::Everyone))
        .await;
    assert_eq!(host.next_error().await.0, ErrorCode::BagAlreadyOpen);

    // For buyers only: a resident without an order is refused until they buy.
    let (mut c, _) = resident(&ts, "还没买").await;
    assert_eq!(enter(&mut c, bag.id).await, Err(ErrorCode::NotEligible));
    assert_eq!(enter(&mut c, 987_654).await, Err(ErrorCode::UnknownBag));
    let deal = ts.host().await.launch_deal(1, 990, 10, 2).await;
    c.send(&ClientMsg::PlaceOrder {
        deal: deal.id,
        qty: 1,
        pickup: 1,
        key: "buy-to-enter".into(),
    })
    .await;
    c.recv_until(|m| matches!(m, ServerMsg::OrderAccepted { .. }).then_some(()))
        .await;
    assert_eq!(enter(&mut c, bag.id).await, Ok(()));

    // The public record of an open bag has no entries yet and no seed; unknown bags are 404s.
    let open = http_get(ts.server.addr(), &format!("/api/bags/{}", bag.id))
        .await
        .expect("served");
    assert!(open.contains(r#""entries":null"#), "{open}");
    assert!(open.contains(r#""seed":null"#), "{open}");
    for path in ["/api/bags/987654", "/api/bags/abc"] {
        let response = http_get(ts.server.addr(), path).await.expect("served");
        assert!(response.starts_with("HTTP/1.1 404"), "{path}: {response}");
        assert!(response.contains(r#""error":"unknown_bag""#), "{response}");
    }
}

/// A draw with more winners than a frame backlog holds: every winner connected at the draw is told
/// how to claim, at the draw (the room once passed prizes through a shared backlog of 256, and the
/// winners past it heard nothing until they joined again).
#[tokio::test]
async fn every_winner_connected_at_the_draw_is_told_how_to_claim() {
    const WINNERS: usize = 300;
    let ts = TestServer::start().await;
    let mut host = ts.host().await;
    let bag = opened(
        &mut host,
        open_bag(
            "土鸡蛋 10 枚",
            WINNERS as u32,
            600_000,
            Eligibility::Everyone,
        ),
    )
    .await;
    let mut residents = Vec::new();
    for i in 0..WINNERS {
        let (mut c, id) = resident(&ts, &format!("邻居{i}")).await;
        assert_eq!(enter(&mut c, bag.id).await, Ok(()));
        residents.push((c, id));
    }
    host.send(&ClientMsg::CloseBag { bag: bag.id }).await;
    let (result, _) = drawn(&mut host).await;
    assert_eq!(result.winners.len(), WINNERS);
    let mut codes = std::collections::HashSet::new();
    for (c, id) in &mut residents {
        let code = c
            .recv_until(|m| match m {
                ServerMsg::BagWon {
                    bag: b, claim_code, ..
                } if *b == bag.id => Some(claim_code.clone()),
                _ => None,
            })
            .await;
        assert!(result.winners.iter().any(|w| w.resident == *id));
        codes.insert(code);
    }
    assert_eq!(
        codes.len(),
        WINNERS,
        "each winner has a claim code of their own"
    );
}
