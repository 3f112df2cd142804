//! Picking lists: per store then in total, equal to the store's own SQL while the show sells;
//! frozen at the manager's cut-off, after which a cancellation, a change and a late order show as
//! differences while the frozen figures stay; downloadable as CSV and XLSX. A cut-off in the past,
//! a moved cut-off after freezing, unknown shows and malformed asks are named and change nothing.

use std::collections::BTreeMap;
use std::io::Read;

use mulin_shared::pickup::PickingList;
use mulin_shared::{ClientMsg, Role, ServerMsg};
use mulin_tests::staff::{accept, api, demo_link, demo_manager, staff_member};
use mulin_tests::wire::http_request;
use mulin_tests::{Client, TestServer};
use serde_json::json;

/// Units and orders per (pickup point, product), and per product.
type Counts = (BTreeMap<(i64, i64), (i64, i64)>, BTreeMap<i64, (i64, i64)>);

/// (pickup, product) → (units, orders), and product → (units, orders), as the store's SQL counts
/// the orders not cancelled; `frozen` counts the kept frozen rows instead.
async fn sql_counts(ts: &TestServer, frozen: bool) -> Counts {
    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=ro", ts.db.display()))
        .await
        .expect("open db");
    let sql = if frozen {
        "SELECT pickup_id, product_id, SUM(qty), COUNT(*) FROM picking_frozen WHERE show_id = ? \
         GROUP BY pickup_id, product_id"
    } else {
        "SELECT o.pickup_id, d.product_id, SUM(o.qty), COUNT(*) FROM orders o \
         JOIN deals d ON d.id = o.deal_id WHERE d.show_id = ? AND o.status != 'cancelled' \
         GROUP BY o.pickup_id, d.product_id"
    };
    let rows: Vec<(i64, i64, i64, i64)> = sqlx::query_as(sql)
        .bind(ts.show)
        .fetch_all(&db)
        .await
        .expect("counts");
    db.close().await;
    let mut per_store = BTreeMap::new();
    let mut totals: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for (pickup, product, units, orders) in rows {
        per_store.insert((pickup, product), (units, orders));
        let t = totals.entry(product).or_default();
        t.0 += units;
        t.1 += orders;
    }
    (per_store, totals)
}

/// The list's own counts, the same shape (`frozen`: its frozen figures).
fn list_counts(list: &PickingList, frozen: bool) -> Counts {
    let figure = |units: i64, orders: i64, f: Option<i64>| {
        if frozen {
            (f.expect("frozen figures"), 0)
        } else {
            (units, orders)
        }
    };
    let mut per_store = BTreeMap::new();
    for p in &list.points {
        for line in &p.products {
            per_store.insert(
                (p.pickup, line.product),
                figure(line.units, line.orders, line.frozen_units),
            );
        }
    }
    let totals = list
        .totals
        .iter()
        .map(|t| (t.product, figure(t.units, t.orders, t.frozen_units)))
        .collect();
    (per_store, totals)
}

/// Without order counts (the frozen figures have units only).
fn units_only((stores, totals): Counts) -> (BTreeMap<(i64, i64), i64>, BTreeMap<i64, i64>) {
    (
        stores
            .into_iter()
            .filter(|(_, (u, _))| *u > 0)
            .map(|(k, (u, _))| (k, u))
            .collect(),
        totals
            .into_iter()
            .filter(|(_, (u, _))| *u > 0)
            .map(|(k, (u, _))| (k, u))
            .collect(),
    )
}

async fn buy(client: &mut Client, deal: i64, qty: i64, pickup: i64, key: &str) -> i64 {
    client
        .send(&ClientMsg::PlaceOrder {
            deal,
            qty,
            pickup,
            key: key.into(),
        })
        .await;
    client
        .recv_until(|m| match m {
            ServerMsg::OrderAccepted { key: k, order } if k == key => Some(order.id),
            ServerMsg::OrderRefused { key: k, reason, .. } if k == key => {
                panic!("{key} refused: {reason:?}")
            }
            _ => None,
        })
        .await
}

#[tokio::test]
async fn lists_add_up_to_the_store_freeze_at_the_cut_off_and_show_what_changed_after() {
    let ts = TestServer::start().await;
    let c = ts.demo.community;
    let (_, manager) = demo_manager(&ts).await;
    let clerk = accept(ts.addr(), &demo_link(&ts, Role::PickupClerk)).await;
    let (_, moderator) =
        staff_member(ts.addr(), c, &manager, "场控甲", &[Role::Moderator], &[]).await;
    let mut host = ts.host().await;
    let eggs = host.launch_deal(3, 2990, 500, 4).await;
    let rice = host.launch_deal(4, 5990, 500, 4).await;
    // Thirty neighbours, each buying one or two things at one of the three stores.
    let mut orders = Vec::new();
    for i in 0..30i64 {
        let mut r = ts.client().await;
        r.join(ts.show).await;
        r.sign_in_as(&format!("邻居{i:02}"), &format!("1370000{i:04}"))
            .await;
        let pickup = 1 + i % 3;
        orders.push(buy(&mut r, eggs.id, 1 + i % 4, pickup, &format!("e{i}")).await);
        if i % 2 == 0 {
            orders.push(buy(&mut r, rice.id, 1 + i % 3, pickup, &format!("r{i}")).await);
        }
    }
    let list_path = format!("/api/communities/{c}/picking?shows={}", ts.show);
    let read = |token: String| {
        let path = list_path.clone();
        let addr = ts.addr();
        async move {
            let (status, body) = api(addr, "GET", &path, Some(&token), None).await;
            assert_eq!(status, 200, "{body}");
            serde_json::from_value::<PickingList>(body).expect("a picking list")
        }
    };
    let live = read(manager.clone()).await;
    assert!(!live.frozen);
    assert_eq!(list_counts(&live, false), sql_counts(&ts, false).await);
    assert_eq!(live.points.len(), 3);
    let residents: usize = live.points.iter().map(|p| p.residents.len()).sum();
    assert_eq!(residents, 30, "each neighbour once, at their store");
    let items: usize = live
        .points
        .iter()
        .flat_map(|p| &p.residents)
        .map(|r| r.items.len())
        .sum();
    assert_eq!(items, orders.len());
    assert!(
        live.points
            .iter()
            .flat_map(|p| &p.residents)
            .all(|r| r.phone.contains("****")),
        "phones masked"
    );
    // The clerk of the first store reads that store's list only.
    let theirs = read(clerk.clone()).await;
    assert_eq!(
        theirs.points.iter().map(|p| p.pickup).collect::<Vec<_>>(),
        [1]
    );

    // The cut-off: not in the past; only the manager's; then it freezes.
    let cutoff = format!("/api/communities/{c}/shows/{}/cutoff", ts.show);
    let now = mulin_backend::now_ms();
    let (status, answer) = api(
        ts.addr(),
        "PUT",
        &cutoff,
        Some(&manager),
        Some(&json!({ "at": now - 1000 })),
    )
    .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (422, Some("invalid_cutoff")),
        "{answer}"
    );
    let (status, answer) = api(
        ts.addr(),
        "PUT",
        &cutoff,
        Some(&manager),
        Some(&json!({ "at": "noon" })),
    )
    .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("invalid_message")),
        "{answer}"
    );
    let (status, answer) = api(
        ts.addr(),
        "PUT",
        "/api/communities/1/shows/9999/cutoff",
        Some(&manager),
        Some(&json!({ "at": now + 60_000 })),
    )
    .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (404, Some("unknown_show")),
        "{answer}"
    );
    assert!(!read(manager.clone()).await.frozen, "nothing changed");
    let (status, answer) = api(
        ts.addr(),
        "PUT",
        &cutoff,
        Some(&manager),
        Some(&json!({ "at": now + 800 })),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let frozen = read(manager.clone()).await;
    assert!(frozen.frozen);
    assert!(frozen.differences.is_empty());
    assert_eq!(
        units_only(list_counts(&frozen, true)),
        units_only(sql_counts(&ts, false).await),
        "frozen as it was"
    );
    let (status, answer) = api(
        ts.addr(),
        "PUT",
        &cutoff,
        Some(&manager),
        Some(&json!({ "at": mulin_backend::now_ms() + 60_000 })),
    )
    .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (409, Some("invalid_cutoff")),
        "{answer}"
    );

    // After it: one cancelled, one reduced and moved, one new order.
    let cancelled = orders[0];
    host.send(&ClientMsg::CancelOrder {
        order: cancelled,
        reason: Some("缺货".into()),
    })
    .await;
    host.recv_until(|m| match m {
        ServerMsg::OrderCancelled { order } if order.id == cancelled => Some(()),
        _ => None,
    })
    .await;
    let changed = orders[3]; // 邻居02's eggs: 3 units at store 3
    let body = json!({ "qty": 1, "pickup": 1, "was_qty": 3, "was_pickup": 3, "reason": "少要" });
    let (status, answer) = api(
        ts.addr(),
        "POST",
        &format!("/api/shows/{}/orders/{changed}/change", ts.show),
        Some(&moderator),
        Some(&body),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let mut late = ts.client().await;
    late.join(ts.show).await;
    late.sign_in_as("晚到的", "13799990000").await;
    let added = buy(&mut late, rice.id, 2, 2, "late").await;

    let after = read(manager.clone()).await;
    assert_eq!(
        list_counts(&after, false),
        sql_counts(&ts, false).await,
        "live figures"
    );
    assert_eq!(
        units_only(list_counts(&after, true)),
        units_only(sql_counts(&ts, true).await),
        "frozen figures stay"
    );
    let mut diffs: Vec<(i64, i64, i64, i64, i64)> = after
        .differences
        .iter()
        .map(|d| (d.order, d.frozen_qty, d.qty_now, d.pickup, d.pickup_now))
        .collect();
    diffs.sort_unstable();
    let mut want = vec![
        (cancelled, 1, 0, 1, 1),
        (changed, 3, 1, 3, 1),
        (added, 0, 2, 2, 2),
    ];
    want.sort_unstable();
    assert_eq!(diffs, want);

    // Files: CSV (with a byte-order mark, every table) and XLSX (a sheet per table).
    let auth = format!("Bearer {manager}");
    let headers = [("Authorization", auth.as_str())];
    let csv = http_request(
        ts.addr(),
        "GET",
        &format!("/api/communities/{c}/picking.csv?shows={}", ts.show),
        &headers,
        b"",
    )
    .await
    .expect("csv");
    assert_eq!(csv.status, 200);
    let text = String::from_utf8(csv.body.clone()).expect("UTF-8");
    assert!(text.starts_with('\u{feff}'));
    let lines = text.lines().count();
    let rows = after.totals.len()
        + after.points.iter().map(|p| p.products.len()).sum::<usize>()
        + after
            .points
            .iter()
            .flat_map(|p| &p.residents)
            .map(|r| r.items.len())
            .sum::<usize>()
        + after.differences.len();
    assert_eq!(lines, rows + 4, "four headings and a line per row");
    for word in [
        "汇总",
        "各自提点",
        "居民明细",
        "截单后变化",
        "老百姓大药房（光明街店）",
        "邻居07",
    ] {
        assert!(text.contains(word), "{word} in the CSV");
    }
    let xlsx = http_request(
        ts.addr(),
        "GET",
        &format!(
            "/api/communities/{c}/picking.xlsx?shows={}&lang=en",
            ts.show
        ),
        &headers,
        b"",
    )
    .await
    .expect("xlsx");
    assert_eq!(xlsx.status, 200);
    let mut book = zip::ZipArchive::new(std::io::Cursor::new(xlsx.body)).expect("a zip");
    let mut workbook = String::new();
    book.by_name("xl/workbook.xml")
        .expect("a workbook")
        .read_to_string(&mut workbook)
        .expect("read");
    for sheet in ["Totals", "Stores", "Residents", "Changed after cut-off"] {
        assert!(workbook.contains(sheet), "{sheet} in {workbook}");
    }
    let mut strings = String::new();
    book.by_name("xl/sharedStrings.xml")
        .expect("strings")
        .read_to_string(&mut strings)
        .expect("read");
    assert!(strings.contains("邻居07") && strings.contains("老百姓大药房（幸福里店）"));

    // Unknown shows and malformed asks are named.
    for (query, status, code) in [
        ("shows=9999", 404, "unknown_show"),
        ("shows=abc", 400, "invalid_message"),
        ("shows=", 400, "invalid_message"),
        ("", 400, "invalid_message"),
    ] {
        let path = format!("/api/communities/{c}/picking?{query}");
        let (got, answer) = api(ts.addr(), "GET", &path, Some(&manager), None).await;
        assert_eq!(
            (got, answer["error"].as_str()),
            (status, Some(code)),
            "{query}: {answer}"
        );
    }
}
