//! Staff fix an order (`POST /api/shows/{show}/orders/{order}/change`): fewer units, another pickup
//! point. It goes through the deal's desk, so stock and limits stay exact even while a spike runs;
//! the resident's open page sees the order as it now is, viewers see the units back on sale, the
//! audit log has it, and every refusal changes nothing.

use std::time::Duration;

use mulin_shared::{ClientMsg, Order, ServerMsg};
use mulin_tests::staff::{api, demo_manager};
use mulin_tests::{Client, TestServer};
use serde_json::{Value, json};
use sqlx::{Connection, Row, SqliteConnection};

/// Asks to change `order` as `token`: the status and the answer.
async fn change(ts: &TestServer, order: i64, token: Option<&str>, body: Value) -> (u16, Value) {
    let path = format!("/api/shows/{}/orders/{order}/change", ts.show);
    api(ts.addr(), "POST", &path, token, Some(&body)).await
}

/// (units sold by the deal's row, units of its orders that count, its stock, units held by each
/// resident per `holdings` minus their orders' units, summed as absolute differences).
async fn books(ts: &TestServer, deal: i64) -> (i64, i64, i64, i64) {
    let mut db = SqliteConnection::connect(&format!("sqlite://{}?mode=ro", ts.db.display()))
        .await
        .expect("read-only connection");
    let row = sqlx::query(
        "SELECT d.sold, \
           (SELECT IFNULL(SUM(qty), 0) FROM orders WHERE deal_id = d.id AND status != 'cancelled'), \
           d.stock, \
           (SELECT IFNULL(SUM(ABS(h.units - (SELECT IFNULL(SUM(o.qty), 0) FROM orders o \
              WHERE o.deal_id = h.deal_id AND o.resident_id = h.resident_id \
              AND o.status != 'cancelled'))), 0) FROM holdings h WHERE h.deal_id = d.id) \
         FROM deals d WHERE d.id = ?",
    )
    .bind(deal)
    .fetch_one(&mut db)
    .await
    .expect("books");
    (row.get(0), row.get(1), row.get(2), row.get(3))
}

/// A resident who buys `qty` of `deal`: their connection (still following the show) and order.
async fn buyer(ts: &TestServer, name: &str, deal: i64, qty: i64) -> (Client, Order) {
    let mut c = ts.client().await;
    c.join(ts.show).await;
    c.sign_in(name).await;
    match c.order(deal, qty, &format!("fix-{name}")).await {
        ServerMsg::OrderAccepted { order, .. } => (c, order),
        other => panic!("{name}'s order: {other:?}"),
    }
}

#[tokio::test]
async fn staff_reduce_and_move_an_order_and_everyone_sees_it() {
    let ts = TestServer::start().await;
    let mut host = ts.host().await;
    let deal = host.launch_deal(3, 1290, 10, 3).await;
    let (mut wang, order) = buyer(&ts, "王阿姨", deal.id, 3).await;
    assert_eq!(order.pickup, 1);
    let mut viewer = ts.client().await;
    viewer.join(ts.show).await;
    let token = Some(ts.moderator_token.as_str());

    let body =
        json!({ "qty": 1, "pickup": 2, "was_qty": 3, "was_pickup": 1, "reason": "只要一袋" });
    let (status, answer) = change(&ts, order.id, token, body).await;
    assert_eq!(status, 200, "{answer}");
    let changed: Order = serde_json::from_value(answer).expect("the order");
    assert_eq!((changed.id, changed.qty, changed.pickup), (order.id, 1, 2));
    assert_eq!(
        changed.pickup_code, order.pickup_code,
        "same code to collect with"
    );

    // The resident's open page sees it; viewers see the two units back; staff hear of it.
    let seen = wang
        .recv_until(|m| match m {
            ServerMsg::OrderUpdated { order } => Some(order.clone()),
            _ => None,
        })
        .await;
    assert!(
        seen.pickup_qr.is_some(),
        "the resident's copy carries its QR value"
    );
    assert_eq!(
        Order {
            pickup_qr: None,
            ..seen
        },
        changed
    );
    viewer
        .recv_until(|m| match m {
            ServerMsg::Room(r) => r
                .deals
                .iter()
                .any(|d| d.id == deal.id && d.remaining() == 9)
                .then_some(()),
            _ => None,
        })
        .await;
    host.recv_until(|m| match m {
        ServerMsg::OrderUpdated { order } if order.id == changed.id => Some(()),
        _ => None,
    })
    .await;
    assert_eq!(books(&ts, deal.id).await, (1, 1, 10, 0));

    // Her limit counts what she holds now: two more are hers to buy, a third is not.
    match wang.order(deal.id, 2, "fix-again").await {
        ServerMsg::OrderAccepted { .. } => {}
        other => panic!("two more: {other:?}"),
    }
    match wang.order(deal.id, 1, "fix-third").await {
        ServerMsg::OrderRefused { reason, .. } => {
            assert_eq!(reason, mulin_shared::Refusal::LimitReached)
        }
        other => panic!("past the limit: {other:?}"),
    }

    // The audit log has it, in the show, as the moderator's.
    let mut db = SqliteConnection::connect(&format!("sqlite://{}?mode=ro", ts.db.display()))
        .await
        .expect("db");
    let (subject, before, after): (String, String, String) = sqlx::query_as(
        "SELECT subject, before, after FROM audit_log WHERE action = 'order_changed' AND show_id = ?",
    )
    .bind(ts.show)
    .fetch_one(&mut db)
    .await
    .expect("an audit line");
    assert_eq!(subject, format!("order {}", order.id));
    assert_eq!(
        serde_json::from_str::<Value>(&before).expect("json"),
        json!({ "qty": 3, "pickup": 1 })
    );
    assert_eq!(
        serde_json::from_str::<Value>(&after).expect("json"),
        json!({ "qty": 1, "pickup": 2, "reason": "只要一袋" })
    );
}

#[tokio::test]
async fn every_refused_fix_is_named_and_changes_nothing() {
    let ts = TestServer::start().await;
    let mut host = ts.host().await;
    let deal = host.launch_deal(3, 1290, 10, 3).await;
    let (mut li, order) = buyer(&ts, "李叔", deal.id, 2).await;
    let (_, other) = buyer(&ts, "赵奶奶", deal.id, 1).await;
    let token = Some(ts.moderator_token.as_str());
    let fix = |qty: i64, pickup: i64, was_qty: i64, was_pickup: i64| json!({ "qty": qty, "pickup": pickup, "was_qty": was_qty, "was_pickup": was_pickup });

    // A pickup point the manager just removed.
    let (community, manager) = demo_manager(&ts).await;
    let base = format!("/api/communities/{community}/pickups");
    let spot = json!({ "id": 0, "name": "临时点", "address": "春风路 6 号", "hours": "" });
    let (status, saved) = api(ts.addr(), "POST", &base, Some(&manager), Some(&spot)).await;
    assert_eq!(status, 201, "{saved}");
    let gone = saved["id"].as_i64().expect("id");
    let (status, _) = api(
        ts.addr(),
        "DELETE",
        &format!("{base}/{gone}"),
        Some(&manager),
        None,
    )
    .await;
    assert_eq!(status, 204);

    let (_, resident_token) = ts.client().await.sign_in("路人").await;
    // (what, order, token, body, status, code)
    type Case<'a> = (&'a str, i64, Option<&'a str>, Value, u16, &'a str);
    let cases: Vec<Case> = vec![
        (
            "more units",
            order.id,
            token,
            fix(3, 1, 2, 1),
            422,
            "invalid_quantity",
        ),
        (
            "no units",
            order.id,
            token,
            fix(0, 1, 2, 1),
            422,
            "invalid_quantity",
        ),
        (
            "nothing to change",
            order.id,
            token,
            fix(2, 1, 2, 1),
            400,
            "invalid_message",
        ),
        (
            "a stale page",
            order.id,
            token,
            fix(1, 1, 3, 1),
            409,
            "order_changed",
        ),
        (
            "a stale pickup",
            order.id,
            token,
            fix(1, 1, 2, 2),
            409,
            "order_changed",
        ),
        (
            "a removed pickup",
            order.id,
            token,
            fix(2, gone, 2, 1),
            404,
            "unknown_pickup",
        ),
        (
            "no such order",
            987_654,
            token,
            fix(1, 1, 2, 1),
            404,
            "unknown_order",
        ),
        (
            "a long reason",
            order.id,
            token,
            json!({ "qty": 1, "pickup": 1, "was_qty": 2, "was_pickup": 1, "reason": "长".repeat(101) }),
            400,
            "invalid_message",
        ),
        (
            "a strange field",
            order.id,
            token,
            json!({ "qty": 1, "pickup": 1, "was_qty": 2, "was_pickup": 1, "colour": "red" }),
            400,
            "invalid_message",
        ),
        (
            "not JSON",
            order.id,
            token,
            json!("one please"),
            400,
            "invalid_message",
        ),
        (
            "a resident",
            order.id,
            Some(resident_token.as_str()),
            fix(1, 1, 2, 1),
            403,
            "forbidden",
        ),
    ];
    for (what, id, who, body, status, code) in cases {
        let (got, answer) = change(&ts, id, who, body).await;
        assert_eq!(
            (got, answer["error"].as_str()),
            (status, Some(code)),
            "{what}: {answer}"
        );
    }
    let (got, _) = change(&ts, order.id, None, fix(1, 1, 2, 1)).await;
    assert_eq!(got, 401, "nobody");
    let (got, answer) = api(
        ts.addr(),
        "POST",
        &format!("/api/shows/{}/orders/abc/change", ts.show),
        token,
        Some(&fix(1, 1, 2, 1)),
    )
    .await;
    assert_eq!(
        (got, answer["error"].as_str()),
        (404, Some("unknown_order"))
    );

    // A cancelled order cannot be changed.
    li.send(&ClientMsg::CancelOrder {
        order: order.id,
        reason: None,
    })
    .await;
    li.recv_until(|m| matches!(m, ServerMsg::OrderCancelled { .. }).then_some(()))
        .await;
    let (got, answer) = change(&ts, order.id, token, fix(1, 1, 2, 1)).await;
    assert_eq!(
        (got, answer["error"].as_str()),
        (409, Some("not_cancellable"))
    );
    // Nothing above changed anything: 赵奶奶's one unit is all that is sold.
    assert_eq!(books(&ts, deal.id).await, (1, 1, 10, 0));
    let _ = other;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixes_during_a_spike_keep_stock_and_limits_exact() {
    let ts = TestServer::start().await;
    let mut host = ts.host().await;
    // 60 units, two each: the first buyers take 2 each; staff then cut ten of them to one while
    // forty more residents rush for what is left.
    let deal = host.launch_deal(3, 990, 60, 2).await;
    let mut early = Vec::new();
    for i in 0..20 {
        early.push(buyer(&ts, &format!("早{i}"), deal.id, 2).await);
    }
    let token = ts.moderator_token.clone();
    let mut rush = Vec::new();
    for i in 0..40 {
        let mut c = ts.client().await;
        c.join(ts.show).await;
        c.sign_in(&format!("晚{i}")).await;
        rush.push(c);
    }
    let fixes = early.iter().take(10).map(|(_, o)| o.id).collect::<Vec<_>>();
    let ts = std::sync::Arc::new(ts);
    let staff = {
        let ts = ts.clone();
        let token = token.clone();
        tokio::spawn(async move {
            let mut done = 0;
            for id in fixes {
                let body = json!({ "qty": 1, "pickup": 1, "was_qty": 2, "was_pickup": 1 });
                let (status, answer) = change(&ts, id, Some(&token), body).await;
                assert_eq!(status, 200, "{answer}");
                done += 1;
            }
            done
        })
    };
    let buys = rush.into_iter().enumerate().map(|(i, mut c)| {
        let deal = deal.id;
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis((i as u64 * 7) % 50)).await;
            match c.order(deal, 2, &format!("rush-{i}")).await {
                ServerMsg::OrderAccepted { order, .. } => order.qty,
                ServerMsg::OrderRefused { .. } => 0,
                other => panic!("an answer: {other:?}"),
            }
        })
    });
    let mut bought = 0;
    for b in buys {
        bought += b.await.expect("buyer");
    }
    assert_eq!(staff.await.expect("staff"), 10);
    // 40 early units, 10 given back, so 30 were left for the rush, and at most that was sold.
    assert!(bought <= 30, "{bought}");
    let (sold, counted, stock, off) = books(&ts, deal.id).await;
    assert_eq!(sold, counted, "the deal's row agrees with its orders");
    assert_eq!(off, 0, "every resident's holding agrees with their orders");
    assert_eq!(stock, 60);
    assert_eq!(
        sold,
        30 + bought,
        "every unit given back could be sold, none twice"
    );
}
