//! A grid worker orders for an elderly neighbour from the phone-first page in real headless
//! Chromium: types the number, registers her, orders the deal on sale, and prints her slip; the
//! order is hers, placed by the grid worker, in the store. Screenshots go to target/screenshots/.

use mulin_shared::Role;
use mulin_tests::TestServer;
use mulin_tests::browser::{Browser, dist_is_built};
use mulin_tests::staff::{demo_manager, staff_member};
use sqlx::{Connection, SqliteConnection};

#[tokio::test]
async fn a_grid_worker_registers_a_neighbour_orders_for_her_and_prints_her_slip() {
    dist_is_built();
    let ts = TestServer::start().await;
    let (community, manager) = demo_manager(&ts).await;
    let (gw_id, token) = staff_member(
        ts.addr(),
        community,
        &manager,
        "孙网格员",
        &[Role::GridWorker],
        &[],
    )
    .await;
    let mut probe = ts.client().await;
    let deal = probe.join_pinned(ts.show).await;

    let page = Browser::start(360, 800).await;
    page.open(&format!(
        "{}/show/{}/neighbours?token={token}",
        ts.http_url(),
        ts.show
    ))
    .await;
    page.wait_live().await;
    page.type_into("#nb-phone", "13700137001").await;
    page.click("#nb-find").await;
    page.wait_text("#nb-register-form", |t| t.contains("13700137001"))
        .await;
    page.type_into("#nb-name", "刘奶奶").await;
    page.type_into("#nb-building", "3 栋 2 单元 501").await;
    page.click("#nb-register").await;
    page.wait_text("#nb-chosen", |t| t.contains("刘奶奶") && t.contains("3 栋"))
        .await;

    page.click(&format!("#nb-deal-{deal}")).await;
    page.click("#nb-qty-more").await;
    page.wait_text("#nb-qty", |t| t == "2").await;
    page.choose("nb-pickup", "2").await;
    page.screenshot("neighbours-order-360").await;
    page.click("#nb-order").await;
    let placed = page
        .wait_text("#nb-placed", |t| t.contains("下单成功"))
        .await;

    // Stored as hers, placed by the grid worker, at the chosen point.
    let mut db = SqliteConnection::connect(&format!("sqlite://{}?mode=ro", ts.db.display()))
        .await
        .expect("db");
    let (qty, pickup, placed_by, code, name): (i64, i64, Option<i64>, String, String) =
        sqlx::query_as(
            "SELECT o.qty, o.pickup_id, o.placed_by, o.pickup_code, r.nickname FROM orders o \
             JOIN residents r ON r.id = o.resident_id WHERE r.phone = '13700137001'",
        )
        .fetch_one(&mut db)
        .await
        .expect("her order");
    assert_eq!(
        (qty, pickup, placed_by, name.as_str()),
        (2, 2, Some(gw_id), "刘奶奶")
    );
    assert!(placed.contains(&code), "{placed}");
    // Done is done: the order button is gone until she asks for another order, so a second tap
    // on the same spot cannot order twice.
    assert!(
        matches!(page.attr("#nb-order-form", "hidden").await, Some(Some(_))),
        "the form gives way to the result"
    );
    page.click("#nb-another").await;
    // The deal says what she holds; the count stops at what the limit of 5 leaves her.
    let held = format!("#nb-held-{deal}");
    page.wait_text(&held, |t| {
        t.contains("已买 2 件") && t.contains("还能再买 3 件")
    })
    .await;
    page.screenshot("neighbours-held-360").await;
    page.choose("nb-pickup", "2").await;
    for _ in 0..2 {
        page.click("#nb-qty-more").await;
    }
    page.wait_text("#nb-qty", |t| t == "3").await;
    assert!(
        matches!(page.attr("#nb-qty-more", "disabled").await, Some(Some(_))),
        "no more than the limit leaves her"
    );
    page.click("#nb-order").await;
    page.wait_text("#nb-placed", |t| t.contains("下单成功"))
        .await;
    // At the limit: the deal cannot be chosen, and the button says why.
    page.click("#nb-another").await;
    page.wait_text(&held, |t| t.contains("已到限购")).await;
    assert!(matches!(
        page.attr(&format!("#nb-deal-{deal}"), "disabled").await,
        Some(Some(_))
    ));
    page.wait_text("#nb-order", |t| t.contains("已到限购"))
        .await;

    // Today's list has her; printing shows her slip in large type (the print dialog itself is
    // the browser's: counted, not opened).
    page.client
        .execute(
            "window.print = () => { window.printed = (window.printed || 0) + 1; };",
            vec![],
        )
        .await
        .expect("print replaced");
    page.wait_text("#nb-today", |t| t.contains("刘奶奶") && t.contains(&code))
        .await;
    page.click("#nb-today button[data-print]").await;
    let slip = page
        .wait_text("#slip", |t| t.contains("刘奶奶") && t.contains(&code))
        .await;
    assert!(slip.contains("幸福里") && slip.contains("× 2"), "{slip}");
    let printed = page
        .client
        .execute("return window.printed || 0;", vec![])
        .await
        .expect("counted");
    assert_eq!(printed, serde_json::json!(1));
    assert!(!page.scrolls_sideways().await);
    page.client
        .execute("document.getElementById('slip').scrollIntoView();", vec![])
        .await
        .expect("scrolled");
    page.screenshot("neighbours-slip-360").await;
    // On paper: the slip alone, at the top of the first page, its code in sight.
    page.emulate_print().await;
    page.client
        .execute("window.scrollTo(0, 0);", vec![])
        .await
        .expect("scrolled");
    let [left, top, right, bottom] = page.rect("#slip").await;
    let probe = page
        .client
        .execute(
            "const r = document.getElementById('slip').getBoundingClientRect();\
             const seen = [...document.querySelectorAll('#slip *')]\
                 .filter(e => getComputedStyle(e).visibility !== 'visible').length;\
             const outside = [...document.querySelectorAll('main *:not(#slip, #slip *)')]\
                 .filter(e => getComputedStyle(e).visibility === 'visible').length;\
             const tail = document.documentElement.scrollHeight - (r.bottom + window.scrollY);\
             return { hidden_in_slip: seen, visible_outside: outside, one_sheet: tail < 60, \
                      slip: getComputedStyle(document.getElementById('slip')).visibility };",
            vec![],
        )
        .await
        .expect("probed");
    page.screenshot("neighbours-slip-print").await;
    assert!(
        top.abs() < 40.0 && left.abs() < 40.0 && right > 300.0 && bottom > top + 200.0,
        "the printed slip's box: {left} {top} {right} {bottom}"
    );
    assert_eq!(
        probe,
        serde_json::json!({
            "hidden_in_slip": 0,
            "visible_outside": 0,
            "one_sheet": true,
            "slip": "visible"
        }),
        "on paper the slip shows, and nothing else"
    );
    page.close().await;
}
