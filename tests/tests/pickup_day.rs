//! Pickup day over HTTP and the socket: a store marks its goods received and its orders become
//! ready (the resident's page hears of it), a clerk finds an order by its QR value or typed code
//! and hands it over (partly, then the rest), a second hand-over says when and by whom, a moderator
//! undoes one within the hour, and a ready order not collected in its window is marked so. Every
//! refused step is named and changes nothing; so are forged codes, other stores' clerks and
//! everyone whose role may not.

use std::time::Duration;

use mulin_shared::pickup::CounterOrder;
use mulin_shared::{ClientMsg, ErrorCode, Order, OrderStatus, Role, ServerMsg};
use mulin_tests::staff::{accept, api, demo_link, demo_manager, staff_member};
use mulin_tests::{Client, Options, TestServer};
use serde_json::{Value, json};

/// The demo's first pickup point, which its clerk (刘店员) serves.
const HEPING: i64 = 1;

async fn get(ts: &TestServer, path: &str, token: &str) -> (u16, Value) {
    api(ts.addr(), "GET", path, Some(token), None).await
}

async fn post(ts: &TestServer, path: &str, token: &str, body: Value) -> (u16, Value) {
    api(ts.addr(), "POST", path, Some(token), Some(&body)).await
}

/// A resident who signs in and buys `qty` of the pinned deal at the first pickup point.
async fn buyer(ts: &TestServer, name: &str, phone: &str, qty: i64) -> (Client, Order) {
    let mut resident = ts.client().await;
    let deal = resident.join_pinned(ts.show).await;
    resident.sign_in_as(name, phone).await;
    match resident.order(deal, qty, &format!("{name}-1")).await {
        ServerMsg::OrderAccepted { order, .. } => (resident, order),
        other => panic!("an order for {name}: {other:?}"),
    }
}

/// The next `order_updated` of `order` on `resident`'s page.
async fn updated(resident: &mut Client, order: i64) -> Order {
    resident
        .recv_until(|m| match m {
            ServerMsg::OrderUpdated { order: o } if o.id == order => Some(o.clone()),
            _ => None,
        })
        .await
}

fn code_of(answer: &Value) -> Option<&str> {
    answer["error"].as_str()
}

/// The order's row as the store has it: status, handed, ready_at, collect_by.
async fn stored(ts: &TestServer, order: i64) -> (String, i64, Option<i64>, Option<i64>) {
    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=ro", ts.db.display()))
        .await
        .expect("open db");
    let row: (String, i64, Option<i64>, Option<i64>) =
        sqlx::query_as("SELECT status, handed, ready_at, collect_by FROM orders WHERE id = ?")
            .bind(order)
            .fetch_one(&db)
            .await
            .expect("the order");
    db.close().await;
    row
}

/// Runs `sql` on the server's database behind its back: the tests' only way to move a moment an
/// hour or days into the past.
async fn time_travel(ts: &TestServer, sql: &str) {
    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}", ts.db.display()))
        .await
        .expect("open db");
    sqlx::query(sql).execute(&db).await.expect(sql);
    db.close().await;
}

#[tokio::test]
async fn an_order_lives_from_accepted_to_picked_up_and_every_wrong_step_is_refused() {
    let ts = TestServer::start().await;
    let c = ts.demo.community;
    let clerk = accept(ts.addr(), &demo_link(&ts, Role::PickupClerk)).await;
    let (_, manager) = demo_manager(&ts).await;
    let (_, moderator) = staff_member(
        ts.addr(),
        c,
        &manager,
        "钱主播助理",
        &[Role::Moderator],
        &[],
    )
    .await;
    let (_, other_clerk) =
        staff_member(ts.addr(), c, &manager, "孙店员", &[Role::PickupClerk], &[2]).await;
    let (_, grid) = staff_member(ts.addr(), c, &manager, "赵网格", &[Role::GridWorker], &[]).await;

    let (mut wang, a) = buyer(&ts, "王阿姨", "13800138000", 3).await;
    let (_li, b) = buyer(&ts, "李叔叔", "13912345678", 1).await;
    let qr = a
        .pickup_qr
        .clone()
        .expect("the buyer's order carries its QR value");
    assert!(qr.starts_with("MLP1-"), "{qr}");
    assert_eq!(a.status, OrderStatus::Accepted);

    // The clerk finds it by the typed code and by the QR value, and sees four digits of a phone.
    let counter = format!("/api/communities/{c}/counter?code=");
    for code in [a.pickup_code.clone(), qr.clone()] {
        let (status, found) = get(&ts, &format!("{counter}{code}"), &clerk).await;
        assert_eq!(status, 200, "{found}");
        assert!(!found.to_string().contains("13800138000"), "{found}");
        let found: Vec<CounterOrder> = serde_json::from_value(found).expect("orders");
        let mine: Vec<_> = found.iter().filter(|f| f.order.id == a.id).collect();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].phone_tail, "8000");
        assert_eq!(mine[0].pickup_name, "老百姓大药房（和平路店）");
        assert_eq!(
            mine[0].order.pickup_qr, None,
            "staff never get the QR value"
        );
    }
    // Another store's clerk is told where it is collected; forged, altered and unknown codes are
    // named; those who may not, may not.
    let (status, answer) = get(&ts, &format!("{counter}{qr}"), &other_clerk).await;
    assert_eq!(
        (status, code_of(&answer)),
        (409, Some("wrong_store")),
        "{answer}"
    );
    assert_eq!(answer["store"], json!("老百姓大药房（和平路店）"));
    assert!(
        answer.get("order").is_none(),
        "another store sees no order: {answer}"
    );
    let (status, answer) = get(&ts, &format!("{counter}{}", a.pickup_code), &other_clerk).await;
    assert_eq!(
        (status, code_of(&answer)),
        (409, Some("wrong_store")),
        "{answer}"
    );
    let altered = format!(
        "MLP1-{}-{}",
        b.id,
        qr.rsplit('-').next().unwrap_or_default()
    );
    for forged in [
        altered.as_str(),
        "MLP1-1-AAAAAAAAAAAAAAAA",
        "https://example.com/x",
    ] {
        let (status, answer) = get(&ts, &format!("{counter}{forged}"), &clerk).await;
        assert_eq!(
            (status, code_of(&answer)),
            (400, Some("forged_code")),
            "{forged}: {answer}"
        );
    }
    let unknown = if a.pickup_code == "000000" || b.pickup_code == "000000" {
        "000001"
    } else {
        "000000"
    };
    let (status, answer) = get(&ts, &format!("{counter}{unknown}"), &clerk).await;
    assert_eq!(
        (status, code_of(&answer)),
        (404, Some("unknown_order")),
        "{answer}"
    );
    let (status, answer) = get(&ts, &counter, &clerk).await;
    assert_eq!(
        (status, code_of(&answer)),
        (400, Some("invalid_message")),
        "{answer}"
    );
    for (who, token) in [("grid worker", &grid), ("manager", &manager)] {
        let (status, answer) = get(&ts, &format!("{counter}{qr}"), token).await;
        assert_eq!(
            (status, code_of(&answer)),
            (403, Some("forbidden")),
            "{who}: {answer}"
        );
    }
    let (status, _) = api(ts.addr(), "GET", &format!("{counter}{qr}"), None, None).await;
    assert_eq!(status, 401);

    // Goods received at the first store: both orders there become ready, and Wang's page says so.
    let received = format!("/api/communities/{c}/pickups/{HEPING}/received");
    let goods = json!({ "show": ts.show, "product": a.product });
    let (status, answer) = post(&ts, &received, &other_clerk, goods.clone()).await;
    assert_eq!(
        (status, code_of(&answer)),
        (403, Some("forbidden")),
        "{answer}"
    );
    let (status, answer) = post(
        &ts,
        &received,
        &clerk,
        json!({ "show": ts.show, "product": 999 }),
    )
    .await;
    assert_eq!(
        (status, code_of(&answer)),
        (404, Some("unknown_product")),
        "{answer}"
    );
    assert_eq!(stored(&ts, a.id).await.0, "accepted", "nothing changed");
    let (status, answer) = post(&ts, &received, &clerk, goods.clone()).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["ready"], json!(2));
    let ready = updated(&mut wang, a.id).await;
    assert_eq!(ready.status, OrderStatus::Ready);
    let (_, _, ready_at, _) = stored(&ts, a.id).await;
    let (ready_at, collect_by) = (ready_at.expect("ready at"), ready.collect_by.expect("by"));
    assert_eq!(
        collect_by - ready_at,
        3 * 24 * 3600 * 1000,
        "the demo's window: 3 days"
    );
    assert_eq!(ready.pickup_qr.as_deref(), Some(qr.as_str()));
    // Marking again makes nothing more ready.
    let (status, again) = post(&ts, &received, &clerk, goods).await;
    assert_eq!((status, again["ready"].clone()), (200, json!(0)), "{again}");
    // Goods at the store are not moved or cut by a fix at the moderator's desk.
    let fix = format!("/api/shows/{}/orders/{}/change", ts.show, a.id);
    let fewer = json!({ "qty": 1, "pickup": a.pickup, "was_qty": 3, "was_pickup": a.pickup });
    let (status, answer) = post(&ts, &fix, &moderator, fewer.clone()).await;
    assert_eq!(
        (status, code_of(&answer)),
        (409, Some("not_cancellable")),
        "{answer}"
    );
    assert!(
        answer["message"]
            .as_str()
            .is_some_and(|m| m.contains("at the store")),
        "the refusal says why: {answer}"
    );
    assert_eq!(stored(&ts, a.id).await.0, "ready", "nothing changed");

    // Two of three handed over: still ready, two handed; Wang's page follows.
    let hand = format!("/api/communities/{c}/orders/{}/hand-over", a.id);
    let (status, answer) = post(
        &ts,
        &hand,
        &other_clerk,
        json!({ "units": 3, "was_handed": 0 }),
    )
    .await;
    assert_eq!(
        (status, code_of(&answer)),
        (409, Some("wrong_store")),
        "{answer}"
    );
    let (status, answer) = post(&ts, &hand, &clerk, json!({ "units": 4, "was_handed": 0 })).await;
    assert_eq!(
        (status, code_of(&answer)),
        (422, Some("invalid_quantity")),
        "{answer}"
    );
    let (status, answer) = post(&ts, &hand, &clerk, json!({ "units": 2, "was_handed": 0 })).await;
    assert_eq!(status, 200, "{answer}");
    let partly: CounterOrder = serde_json::from_value(answer).expect("the order");
    assert_eq!(
        (partly.order.status, partly.order.handed),
        (OrderStatus::Ready, 2)
    );
    assert_eq!(updated(&mut wang, a.id).await.handed, 2);
    // The same tap again (the screen still showed none handed) hands nothing more, and says who.
    let (status, answer) = post(&ts, &hand, &clerk, json!({ "units": 2, "was_handed": 0 })).await;
    assert_eq!(
        (status, code_of(&answer)),
        (409, Some("already_handed_over")),
        "{answer}"
    );
    assert_eq!(answer["by"], json!("刘店员"));
    assert!(answer["at"].as_i64().is_some(), "{answer}");
    // The rest: picked up.
    let (status, answer) = post(&ts, &hand, &clerk, json!({ "units": 1, "was_handed": 2 })).await;
    assert_eq!(status, 200, "{answer}");
    let done = updated(&mut wang, a.id).await;
    assert_eq!((done.status, done.handed), (OrderStatus::PickedUp, 3));
    // A second scan says it was handed over, when and by whom.
    let (status, answer) = post(&ts, &hand, &clerk, json!({ "units": 1, "was_handed": 3 })).await;
    assert_eq!(
        (status, code_of(&answer)),
        (409, Some("already_handed_over")),
        "{answer}"
    );
    assert_eq!(answer["by"], json!("刘店员"));
    // Picked up: neither the resident nor staff can cancel it.
    wang.send(&ClientMsg::CancelOrder {
        order: a.id,
        reason: None,
    })
    .await;
    let refused = wang
        .recv_until(|m| match m {
            ServerMsg::Error { code, .. } => Some(*code),
            _ => None,
        })
        .await;
    assert_eq!(refused, ErrorCode::NotCancellable);
    assert_eq!(stored(&ts, a.id).await.0, "picked_up");
    let (status, answer) = post(&ts, &fix, &moderator, fewer).await;
    assert_eq!(
        (status, code_of(&answer)),
        (409, Some("not_cancellable")),
        "a picked-up order is not changed: {answer}"
    );

    // A ready order can still be cancelled; a cancelled one is not handed over.
    let mut host = ts.host().await;
    host.send(&ClientMsg::CancelOrder {
        order: b.id,
        reason: Some("缺货".into()),
    })
    .await;
    host.recv_until(|m| match m {
        ServerMsg::OrderCancelled { order } if order.id == b.id => Some(()),
        _ => None,
    })
    .await;
    let hand_b = format!("/api/communities/{c}/orders/{}/hand-over", b.id);
    let (status, answer) = post(&ts, &hand_b, &clerk, json!({ "units": 1, "was_handed": 0 })).await;
    assert_eq!(
        (status, code_of(&answer)),
        (409, Some("order_closed")),
        "{answer}"
    );
    let (status, answer) = post(
        &ts,
        "/api/communities/1/orders/99999/hand-over",
        &clerk,
        json!({ "units": 1, "was_handed": 0 }),
    )
    .await;
    assert_eq!(
        (status, code_of(&answer)),
        (404, Some("unknown_order")),
        "{answer}"
    );
    let (status, answer) = post(&ts, &hand, &clerk, json!({ "units": "all" })).await;
    assert_eq!(
        (status, code_of(&answer)),
        (400, Some("invalid_message")),
        "{answer}"
    );

    // Undone by a moderator, last hand-over first; clerks may not; nothing left to undo is named.
    let undo = format!("/api/communities/{c}/orders/{}/undo-hand-over", a.id);
    let (status, answer) = post(&ts, &undo, &clerk, json!({})).await;
    assert_eq!(
        (status, code_of(&answer)),
        (403, Some("forbidden")),
        "{answer}"
    );
    let (status, answer) = post(&ts, &undo, &moderator, json!({})).await;
    assert_eq!(status, 200, "{answer}");
    let back: CounterOrder = serde_json::from_value(answer).expect("the order");
    assert_eq!(
        (back.order.status, back.order.handed),
        (OrderStatus::Ready, 2)
    );
    assert_eq!(back.handovers.len(), 2);
    assert_eq!(back.handovers[1].undone_by.as_deref(), Some("钱主播助理"));
    let seen = updated(&mut wang, a.id).await;
    assert_eq!((seen.status, seen.handed), (OrderStatus::Ready, 2));
    // An hour later, the first hand-over stays.
    time_travel(
        &ts,
        &format!(
            "UPDATE handovers SET at = at - 3700000 WHERE order_id = {}",
            a.id
        ),
    )
    .await;
    let (status, answer) = post(&ts, &undo, &moderator, json!({})).await;
    assert_eq!(
        (status, code_of(&answer)),
        (409, Some("undo_window_passed")),
        "{answer}"
    );
    assert_eq!(stored(&ts, a.id).await.1, 2, "nothing changed");

    // The audit log has each step, in words a manager reads.
    let (status, log) = get(&ts, &format!("/api/communities/{c}/audit"), &manager).await;
    assert_eq!(status, 200, "{log}");
    let log = log.to_string();
    for action in ["goods_received", "order_handed_over", "hand_over_undone"] {
        assert!(log.contains(action), "{action} in the audit log");
    }
}

#[tokio::test]
async fn a_ready_order_not_collected_in_its_window_is_marked_so_and_the_resident_told() {
    let ts = TestServer::start_with_options(Options {
        pickup_clock: Duration::from_millis(200),
        ..Options::default()
    })
    .await;
    let c = ts.demo.community;
    let clerk = accept(ts.addr(), &demo_link(&ts, Role::PickupClerk)).await;
    let (_, manager) = demo_manager(&ts).await;
    // The window is the manager's: 1 to 30 days.
    let days = format!("/api/communities/{c}/pickup-days");
    for bad in [0, 31, -1] {
        let (status, answer) = api(
            ts.addr(),
            "PUT",
            &days,
            Some(&manager),
            Some(&json!({ "days": bad })),
        )
        .await;
        assert_eq!(
            (status, code_of(&answer)),
            (422, Some("invalid_pickup_days")),
            "{answer}"
        );
    }
    let (status, answer) = api(
        ts.addr(),
        "PUT",
        &days,
        Some(&clerk),
        Some(&json!({ "days": 5 })),
    )
    .await;
    assert_eq!(
        (status, code_of(&answer)),
        (403, Some("forbidden")),
        "{answer}"
    );
    let (status, answer) = api(
        ts.addr(),
        "PUT",
        &days,
        Some(&manager),
        Some(&json!({ "days": 2 })),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(get(&ts, &days, &manager).await.1["days"], json!(2));

    let (mut wang, a) = buyer(&ts, "王阿姨", "13800138000", 1).await;
    let received = format!("/api/communities/{c}/pickups/{HEPING}/received");
    let (status, answer) = post(
        &ts,
        &received,
        &clerk,
        json!({ "show": ts.show, "product": a.product }),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let ready = updated(&mut wang, a.id).await;
    assert_eq!(
        ready
            .collect_by
            .zip(stored(&ts, a.id).await.2)
            .map(|(by, at)| by - at),
        Some(2 * 24 * 3600 * 1000)
    );
    // Two days on: not collected, and her page says so.
    time_travel(
        &ts,
        &format!(
            "UPDATE orders SET collect_by = collect_by - 2 * 86400000 WHERE id = {}",
            a.id
        ),
    )
    .await;
    let lapsed = updated(&mut wang, a.id).await;
    assert_eq!(lapsed.status, OrderStatus::NotCollected);
    let hand = format!("/api/communities/{c}/orders/{}/hand-over", a.id);
    let (status, answer) = post(&ts, &hand, &clerk, json!({ "units": 1, "was_handed": 0 })).await;
    assert_eq!(
        (status, code_of(&answer)),
        (409, Some("order_closed")),
        "{answer}"
    );
    assert!(
        answer["message"]
            .as_str()
            .unwrap_or_default()
            .contains("not collected")
    );
}

#[tokio::test]
async fn of_many_clerks_handing_over_one_code_at_once_exactly_one_succeeds() {
    let ts = TestServer::start().await;
    let c = ts.demo.community;
    let clerk = accept(ts.addr(), &demo_link(&ts, Role::PickupClerk)).await;
    let (_, manager) = demo_manager(&ts).await;
    let (_, second) = staff_member(
        ts.addr(),
        c,
        &manager,
        "周店员",
        &[Role::PickupClerk],
        &[HEPING],
    )
    .await;
    let (_, moderator) =
        staff_member(ts.addr(), c, &manager, "吴协管", &[Role::Moderator], &[]).await;
    let (_wang, a) = buyer(&ts, "王阿姨", "13800138000", 2).await;
    let hand = format!("/api/communities/{c}/orders/{}/hand-over", a.id);
    let tokens = [clerk, second, moderator];
    let taps = (0..24).map(|i| {
        let token = tokens[i % tokens.len()].clone();
        let (addr, path) = (ts.addr(), hand.clone());
        tokio::spawn(async move {
            let body = json!({ "units": 2, "was_handed": 0 });
            api(addr, "POST", &path, Some(&token), Some(&body)).await
        })
    });
    let mut answers = Vec::new();
    for tap in taps.collect::<Vec<_>>() {
        answers.push(tap.await.expect("a tap"));
    }
    let ok = answers.iter().filter(|(s, _)| *s == 200).count();
    let already = answers
        .iter()
        .filter(|(s, a)| *s == 409 && code_of(a) == Some("already_handed_over"))
        .count();
    assert_eq!((ok, already), (1, answers.len() - 1), "{answers:?}");
    assert_eq!(stored(&ts, a.id).await.0, "picked_up");
    assert_eq!(stored(&ts, a.id).await.1, 2, "handed over once");
    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=ro", ts.db.display()))
        .await
        .expect("open db");
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM handovers WHERE order_id = ?")
        .bind(a.id)
        .fetch_one(&db)
        .await
        .expect("count");
    assert_eq!(rows, 1, "one hand-over recorded");
}

#[tokio::test]
async fn the_server_draws_only_the_codes_it_sealed() {
    let ts = TestServer::start().await;
    let (_wang, a) = buyer(&ts, "王阿姨", "13800138000", 1).await;
    let qr = a.pickup_qr.expect("a QR value");
    let answer = mulin_tests::wire::http_request(
        ts.addr(),
        "GET",
        &format!("/api/pickup-qr/{qr}"),
        &[],
        b"",
    )
    .await
    .expect("an answer");
    assert_eq!(answer.status, 200);
    let svg = String::from_utf8_lossy(&answer.body);
    assert!(svg.contains("<svg") && svg.contains("</svg>"), "{svg}");
    let tag = qr.rsplit('-').next().unwrap_or_default();
    for other in [format!("MLP1-{}-{tag}", a.id + 1), "hello".to_owned()] {
        let (status, answer) = api(
            ts.addr(),
            "GET",
            &format!("/api/pickup-qr/{other}"),
            None,
            None,
        )
        .await;
        assert_eq!(
            (status, code_of(&answer)),
            (404, Some("not_found")),
            "{answer}"
        );
    }
}
