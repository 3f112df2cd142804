//! The moderators' control room and order desk in real headless Chromium against a real server:
//! the figures move while a spike runs and end equal to the store's own sums; a moderator changes
//! and then cancels an order, and the resident's open page shows each at once. Screenshots go to
//! target/screenshots/.

use std::time::Duration;

use mulin_shared::ServerMsg;
use mulin_tests::TestServer;
use mulin_tests::browser::{Browser, dist_is_built};
use mulin_tests::spike::{self, SpikeConfig};
use sqlx::{Connection, Row, SqliteConnection};

/// The store's (orders, units, buyers) for the show, counting orders not cancelled, and the units
/// to collect at pickup point 1.
async fn store_figures(ts: &TestServer) -> (i64, i64, i64, i64) {
    let mut db = SqliteConnection::connect(&format!("sqlite://{}?mode=ro", ts.db.display()))
        .await
        .expect("read-only connection");
    let row = sqlx::query(
        "SELECT COUNT(*), IFNULL(SUM(o.qty), 0), COUNT(DISTINCT o.resident_id), \
           IFNULL(SUM(CASE WHEN o.pickup_id = 1 THEN o.qty ELSE 0 END), 0) \
         FROM orders o JOIN deals d ON d.id = o.deal_id \
         WHERE d.show_id = ? AND o.status != 'cancelled'",
    )
    .bind(ts.show)
    .fetch_one(&mut db)
    .await
    .expect("figures");
    (row.get(0), row.get(1), row.get(2), row.get(3))
}

fn moderator_url(ts: &TestServer) -> String {
    format!(
        "{}/show/{}/moderator?token={}",
        ts.http_url(),
        ts.show,
        ts.moderator_token
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_control_room_moves_during_a_spike_and_ends_equal_to_the_store() {
    dist_is_built();
    let ts = TestServer::start().await;
    let room = Browser::start(1280, 1000).await;
    room.open(&moderator_url(&ts)).await;
    let (orders, ..) = store_figures(&ts).await;
    let before = orders.to_string();
    room.wait_text("#kpi-orders b", |t| t == before).await;

    // 300 residents over four seconds for 250 units: the figures climb beat by beat.
    let cfg = SpikeConfig {
        buyers: 300,
        stock: 250,
        limit: 1,
        qty: 1,
        orders_each: 1,
        duplicates: 0,
        window: Duration::from_millis(4_000),
    };
    let target = ts.spike_target();
    let spike = tokio::spawn(async move { spike::run(&target, &cfg).await });
    let mut seen = vec![orders];
    while !spike.is_finished() {
        let shown = room.wait_text("#kpi-orders b", |_| true).await;
        let n: i64 = shown.parse().expect("a number of orders");
        if seen.last() != Some(&n) {
            seen.push(n);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    spike.await.expect("spike task").expect("spike runs");
    let (orders, units, buyers, at_first) = store_figures(&ts).await;
    assert_eq!(orders, 250 + seen[0], "the spike sold its 250 units");
    assert!(
        seen.iter().any(|&n| n > seen[0] && n < orders),
        "the figures moved during the spike: {seen:?}"
    );
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "only up: {seen:?}");

    // Within a beat or two, the page says what the store says.
    let (orders, units, buyers) = (orders.to_string(), units, buyers.to_string());
    room.wait_text("#kpi-orders b", |t| t == orders).await;
    room.wait_text("#kpi-orders small", |t| t.contains(&units.to_string()))
        .await;
    room.wait_text("#kpi-buyers b", |t| t == buyers).await;
    room.wait_text(
        "table.pulse-pickups tr[data-pickup='1'] td:last-child",
        |t| t == at_first.to_string(),
    )
    .await;
    room.wait_text("#pulse-alerts", |t| !t.is_empty()).await;
    // The spike's deal reads sold out, with when.
    room.wait_text(".pulse-deals li[data-stand='sold-out']", |t| {
        t.contains("250 / 250") && t.contains("抢光")
    })
    .await;
    let chart = room
        .wait_attr(".pulse-chart svg", "aria-label", |_| true)
        .await;
    assert!(chart.contains("250") || chart.contains("单"), "{chart}");
    room.screenshot("control-room-desktop").await;
    room.close().await;

    let phone = Browser::start(360, 800).await;
    phone.open(&moderator_url(&ts)).await;
    phone.wait_text("#kpi-orders b", |t| t == orders).await;
    assert!(
        !phone.scrolls_sideways().await,
        "the control room fits a phone"
    );
    phone.screenshot("control-room-360").await;
    phone.close().await;
}

#[tokio::test]
async fn a_moderator_changes_then_cancels_an_order_and_the_residents_page_follows() {
    dist_is_built();
    let ts = TestServer::start().await;
    let mut host = ts.host().await;
    let deal = host.launch_deal(3, 1290, 20, 3).await.id;
    let page = Browser::resident(&ts, 360, 800).await;
    page.sign_in("周阿姨").await;
    page.click("#qty-more").await;
    page.wait_text("#qty", |t| t == "2").await;
    page.click("#buy").await;
    page.wait_attr("#purchase", "data-state", |s| s == "accepted")
        .await;
    let order = host
        .recv_until(|m| match m {
            ServerMsg::OrderPlaced { order } if order.nickname == "周阿姨" => {
                Some(order.clone())
            }
            _ => None,
        })
        .await;
    let mine = format!("li.my-order[data-order='{}']", order.id);
    page.wait_text(&mine, |t| t.contains("× 2")).await;

    let desk = Browser::start(360, 800).await;
    desk.open(&moderator_url(&ts)).await;
    desk.type_into("#find-q", "周阿姨").await;
    // Narrowed to the deal she bought in (the search lists only that deal's orders).
    desk.choose("find-deal", &deal.to_string()).await;
    desk.click("#find-go").await;
    desk.wait_text("#find-count", |t| t.contains("找到 1 单"))
        .await;
    let row = format!("#find-results li[data-order='{}']", order.id);
    desk.wait_text(&row, |t| t.contains("周阿姨")).await;
    desk.click(&format!("button[data-fix='{}']", order.id))
        .await;
    desk.choose(&format!("fix-qty-{}", order.id), "1").await;
    desk.choose(&format!("fix-pickup-{}", order.id), "2").await;
    desk.type_into(
        &format!("form[data-fix-form='{}'] .fix-reason", order.id),
        "电话说只要一袋",
    )
    .await;
    desk.screenshot("moderator-fix-360").await;
    desk.click(&format!(
        "form[data-fix-form='{}'] button[type=submit]",
        order.id
    ))
    .await;
    desk.wait_text("#fix-said", |t| t.contains("已修改")).await;
    desk.wait_text(&row, |t| t.contains("× 1")).await;
    // The resident's open page: one unit, at the other branch.
    page.wait_text(&mine, |t| t.contains("× 1") && t.contains("幸福里"))
        .await;

    // Then cancelled with a reason: the page says so, with the reason.
    desk.click(&format!("{row} button[data-staff-cancel]"))
        .await;
    desk.client
        .send_alert_text("商品临时缺货")
        .await
        .expect("the prompt takes text");
    desk.client.accept_alert().await.expect("prompt accepted");
    page.wait_attr(&mine, "data-status", |s| s == "cancelled")
        .await;
    page.wait_text(&format!("{mine} .cancel-reason"), |t| {
        t.contains("商品临时缺货")
    })
    .await;
    page.screenshot("resident-order-changed-cancelled-360")
        .await;
    for b in [page, desk] {
        b.close().await;
    }
}

/// A resident paused by staff taps Buy: her page gives the staff's reason in her language and
/// does not ask her to try again.
#[tokio::test]
async fn a_paused_resident_is_told_why_on_her_page() {
    use mulin_tests::staff::{api, demo_manager};
    dist_is_built();
    let ts = TestServer::start().await;
    let page = Browser::resident(&ts, 360, 800).await;
    page.sign_in("冯阿姨").await;
    let mut db = SqliteConnection::connect(&format!("sqlite://{}?mode=ro", ts.db.display()))
        .await
        .expect("db");
    let resident: i64 = sqlx::query_scalar("SELECT id FROM residents WHERE nickname = '冯阿姨'")
        .fetch_one(&mut db)
        .await
        .expect("her id");
    let (community, manager) = demo_manager(&ts).await;
    let (status, _) = api(
        ts.addr(),
        "POST",
        &format!("/api/communities/{community}/mutes"),
        Some(&manager),
        Some(&serde_json::json!({ "resident": resident, "reason": "三次未取货" })),
    )
    .await;
    assert_eq!(status, 201);
    page.click("#buy").await;
    page.wait_attr("#purchase", "data-code", |s| s == "muted")
        .await;
    let said = page
        .wait_text("#purchase", |t| t.contains("三次未取货"))
        .await;
    assert!(
        said.contains("暂停") && !said.contains("再点一次"),
        "{said}"
    );
    page.screenshot("resident-360-paused").await;
    page.close().await;
}
