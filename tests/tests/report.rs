//! A show's report checked against the store with SQL of its own: every total, every deal's,
//! product's and pickup point's line, the minutes, the lucky bag's winners, and the CSV; and who
//! may read it.

use mulin_shared::report::ShowReport;
use mulin_shared::{ClientMsg, Role, ServerMsg};
use mulin_tests::TestServer;
use mulin_tests::staff::{api, demo_manager, staff_member};
use sqlx::{Connection, Row, SqliteConnection};

/// Places an order for `who` and returns its id.
async fn buy(c: &mut mulin_tests::Client, deal: i64, qty: i64, pickup: i64, key: &str) -> i64 {
    c.send(&ClientMsg::PlaceOrder {
        deal,
        qty,
        pickup,
        key: key.into(),
    })
    .await;
    c.recv_until(|m| match m {
        ServerMsg::OrderAccepted { order, .. } => Some(order.id),
        ServerMsg::OrderRefused { reason, .. } => panic!("refused: {reason:?}"),
        _ => None,
    })
    .await
}

#[tokio::test]
async fn every_figure_of_the_report_matches_the_store() {
    let ts = TestServer::start().await;
    let addr = ts.addr();
    let (community, manager) = demo_manager(&ts).await;
    let show = ts.show;
    let mut host = ts.host().await;
    let corn = host.launch_deal(1, 1190, 100, 5).await;
    let eggs = host.launch_deal(3, 2990, 50, 3).await;
    let mut people = Vec::new();
    for i in 0..6 {
        let mut c = ts.client().await;
        c.join(show).await;
        c.sign_in(&format!("邻居{i}")).await;
        people.push(c);
    }
    let mut cancel_mine = 0;
    let mut cancel_staff = 0;
    for (i, c) in people.iter_mut().enumerate() {
        let i = i as i64;
        let first = buy(c, corn.id, 1 + i % 3, 1 + i % 3, &format!("r-{i}-a")).await;
        if i % 2 == 0 {
            buy(c, eggs.id, 2, 1, &format!("r-{i}-b")).await;
        }
        if i == 1 {
            cancel_mine = first;
        }
        if i == 4 {
            cancel_staff = first;
        }
    }
    people[1]
        .send(&ClientMsg::CancelOrder {
            order: cancel_mine,
            reason: None,
        })
        .await;
    people[1]
        .recv_until(|m| matches!(m, ServerMsg::OrderCancelled { .. }).then_some(()))
        .await;
    host.send(&ClientMsg::CancelOrder {
        order: cancel_staff,
        reason: Some("库存登记错误".into()),
    })
    .await;
    host.recv_until(|m| matches!(m, ServerMsg::OrderCancelled { .. }).then_some(()))
        .await;
    // A lucky bag with an entrant, drawn.
    let bag = host.open_bag("花生油").await;
    people[0].send(&ClientMsg::EnterBag { bag }).await;
    people[0]
        .recv_until(|m| matches!(m, ServerMsg::BagEntered { .. }).then_some(()))
        .await;
    host.send(&ClientMsg::CloseBag { bag }).await;
    host.recv_until(|m| matches!(m, ServerMsg::BagDrawn { .. }).then_some(()))
        .await;

    let (status, body) = api(
        addr,
        "GET",
        &format!("/api/shows/{show}/report"),
        Some(&manager),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let report: ShowReport = serde_json::from_value(body).expect("a report");
    assert!(!report.is_final);

    // The store, asked its own way.
    let mut db = SqliteConnection::connect(&format!("sqlite://{}?mode=ro", ts.db.display()))
        .await
        .expect("read-only connection");
    let kept = "o.status IN ('accepted', 'picked_up')";
    let q = |sql: String| sql;
    let one = |row: sqlx::sqlite::SqliteRow| -> [i64; 5] {
        [row.get(0), row.get(1), row.get(2), row.get(3), row.get(4)]
    };
    let figures_of = |scope: &str| {
        q(format!(
            "SELECT \
               (SELECT COUNT(*) FROM orders o WHERE {kept} AND o.deal_id IN ({scope})), \
               (SELECT IFNULL(SUM(o.qty), 0) FROM orders o WHERE {kept} AND o.deal_id IN ({scope})), \
               (SELECT IFNULL(SUM(o.qty * o.unit_price), 0) FROM orders o WHERE {kept} AND o.deal_id IN ({scope})), \
               (SELECT COUNT(*) FROM (SELECT DISTINCT o.resident_id FROM orders o WHERE {kept} AND o.deal_id IN ({scope}))), \
               (SELECT COUNT(*) FROM orders o WHERE o.status = 'cancelled' AND o.deal_id IN ({scope}))"
        ))
    };
    let as_array =
        |f: &mulin_shared::report::Figures| [f.orders, f.units, f.sales, f.buyers, f.cancelled];
    let all_deals = format!("SELECT id FROM deals WHERE show_id = {show}");
    let totals = one(sqlx::query(&figures_of(&all_deals))
        .fetch_one(&mut db)
        .await
        .expect("totals"));
    assert_eq!(as_array(&report.totals.figures), totals);
    assert_eq!(totals[4], 2, "two cancellations");
    for d in &report.deals {
        let mine = one(sqlx::query(&figures_of(&d.deal.to_string()))
            .fetch_one(&mut db)
            .await
            .expect("deal"));
        assert_eq!(as_array(&d.figures), mine, "deal {}", d.deal);
        let (stock, price): (i64, i64) =
            sqlx::query_as("SELECT stock, price FROM deals WHERE id = ?")
                .bind(d.deal)
                .fetch_one(&mut db)
                .await
                .expect("deal row");
        assert_eq!((d.stock, d.price), (stock, price));
    }
    let deal_ids: Vec<i64> = sqlx::query_scalar(&all_deals)
        .fetch_all(&mut db)
        .await
        .expect("ids");
    assert_eq!(
        report.deals.iter().map(|d| d.deal).collect::<Vec<_>>(),
        deal_ids
    );
    for p in &report.products {
        let scope = format!(
            "SELECT id FROM deals WHERE show_id = {show} AND product_id = {}",
            p.id
        );
        let mine = one(sqlx::query(&figures_of(&scope))
            .fetch_one(&mut db)
            .await
            .expect("product"));
        assert_eq!(as_array(&p.figures), mine, "product {}", p.name);
    }
    assert_eq!(report.products.len(), 2);
    let pickups: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM pickup_points WHERE community_id = ? ORDER BY id")
            .bind(community)
            .fetch_all(&mut db)
            .await
            .expect("pickups");
    assert_eq!(
        report.pickups.iter().map(|p| p.id).collect::<Vec<_>>(),
        pickups
    );
    for p in &report.pickups {
        let sql = figures_of(&all_deals).replace(
            "o.deal_id IN",
            &format!("o.pickup_id = {} AND o.deal_id IN", p.id),
        );
        let mine = one(sqlx::query(&sql).fetch_one(&mut db).await.expect("pickup"));
        assert_eq!(as_array(&p.figures), mine, "pickup {}", p.name);
    }
    // Minutes: every order placed, once.
    let placed: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM orders WHERE deal_id IN ({all_deals})"
    ))
    .fetch_one(&mut db)
    .await
    .expect("placed");
    assert_eq!(report.minutes.iter().map(|m| m.orders).sum::<i64>(), placed);
    assert_eq!(
        report.totals.peak_orders_per_minute,
        report.minutes.iter().map(|m| m.orders).max().unwrap_or(0)
    );
    assert!(report.totals.peak_viewers >= 6, "{:?}", report.totals);
    // The node keeps the peak in the store every few seconds: it outlives the room.
    tokio::time::sleep(std::time::Duration::from_millis(5_500)).await;
    let stored = ts
        .server
        .store()
        .show_report(community, show, mulin_backend::now_ms())
        .await
        .expect("read")
        .expect("the show");
    assert_eq!(stored.totals.peak_viewers, report.totals.peak_viewers);
    // The bag and its winner.
    let winner: String = sqlx::query_scalar(
        "SELECT r.nickname FROM bag_winners w JOIN residents r ON r.id = w.resident_id WHERE w.bag_id = ?",
    )
    .bind(bag)
    .fetch_one(&mut db)
    .await
    .expect("winner");
    assert_eq!(report.bags.len(), 1);
    assert_eq!(report.bags[0].winners, vec![winner]);
    assert_eq!(report.bags[0].entrants, 1);

    // The CSV says the same.
    let csv = mulin_tests::wire::http_request(
        addr,
        "GET",
        &format!("/api/shows/{show}/report.csv"),
        &[("Authorization", &format!("Bearer {manager}"))],
        &[],
    )
    .await
    .expect("answered");
    assert_eq!(csv.status, 200);
    assert!(
        csv.header("content-type")
            .is_some_and(|t| t.starts_with("text/csv"))
    );
    let text = String::from_utf8(csv.body.clone()).expect("UTF-8");
    let text = text
        .strip_prefix('\u{feff}')
        .expect("a byte-order mark for Excel");
    let mut rows = csv::Reader::from_reader(text.as_bytes());
    let mut saw = 0;
    for row in rows.records() {
        let row = row.expect("a CSV row");
        let n = |i: usize| row[i].parse::<i64>().unwrap_or(-1);
        match &row[0] {
            "total" => {
                assert_eq!(
                    [n(3), n(4), n(6), n(7)],
                    [totals[0], totals[1], totals[3], totals[4]]
                );
                assert_eq!(row[5].to_string(), mulin_shared::format_yuan(totals[2]));
                assert_eq!(n(8), report.totals.peak_viewers);
                saw += 1;
            }
            "deal" => {
                let d = report
                    .deals
                    .iter()
                    .find(|d| d.deal.to_string() == row[1])
                    .expect("deal");
                assert_eq!([n(3), n(4)], [d.figures.orders, d.figures.units]);
                saw += 1;
            }
            "pickup" | "product" | "minute" | "bag_winner" => saw += 1,
            other => panic!("unknown section {other}"),
        }
    }
    assert!(saw > report.deals.len() + report.pickups.len());

    // Who may read it: the community's staff who see reports, the show's own host token.
    let (_, clerk) = staff_member(
        addr,
        community,
        &manager,
        "药店小刘",
        &[Role::PickupClerk],
        &[1],
    )
    .await;
    let (_, grid) = staff_member(
        addr,
        community,
        &manager,
        "网格员小赵",
        &[Role::GridWorker],
        &[],
    )
    .await;
    let (_, resident_token) = {
        let mut c = ts.client().await;
        c.join(show).await;
        c.sign_in("看报表的居民").await
    };
    let path = format!("/api/shows/{show}/report");
    for (who, token, status) in [
        ("nobody", None, 401),
        ("a resident", Some(resident_token.as_str()), 403),
        ("a pickup clerk", Some(clerk.as_str()), 403),
        ("a grid worker", Some(grid.as_str()), 200),
        ("the show's host token", Some(ts.host_token.as_str()), 200),
        (
            "the show's moderator token",
            Some(ts.moderator_token.as_str()),
            200,
        ),
    ] {
        let (got, _) = api(addr, "GET", &path, token, None).await;
        assert_eq!(got, status, "{who}");
    }
    for path in [
        "/api/shows/99999/report".to_string(),
        "/api/shows/x/report".to_string(),
    ] {
        let (got, body) = api(addr, "GET", &path, Some(&manager), None).await;
        assert!(matches!(got, 403 | 404), "{path}: {got} {body}");
    }
}
