//! How the resident page loads, in real Chromium: nothing on screen moves as the widget starts and
//! the show arrives (layout shift), and the WebSocket index.html opens while the widget downloads is
//! the one the widget goes on with (one connection per page, not two).

use mulin_tests::TestServer;
use mulin_tests::browser::{Browser, dist_is_built};

/// The page's cumulative layout shift so far (shifts right after input left out, as the metric does).
const CLS: &str = "return new Promise((done) => { let cls = 0; \
     new PerformanceObserver((list) => { for (const e of list.getEntries()) \
       if (!e.hadRecentInput) cls += e.value; done(cls); }) \
       .observe({ type: 'layout-shift', buffered: true }); \
     setTimeout(() => done(cls), 300); });";

async fn open_connections(ts: &TestServer) -> u64 {
    let r = mulin_tests::wire::http_request(ts.server.addr(), "GET", "/api/metrics", &[], &[])
        .await
        .expect("metrics");
    r.json()["connections"]["open"]
        .as_u64()
        .expect("an open count")
}

#[tokio::test]
async fn nothing_moves_as_the_resident_page_loads() {
    dist_is_built();
    let ts = TestServer::start().await;
    for (width, height) in [(360, 740), (1280, 900)] {
        let page = Browser::resident(&ts, width, height).await;
        // Everything is drawn: the deal, and the parts below it (laid out a moment later).
        page.wait_text("#stock-remaining", |t| !t.is_empty()).await;
        page.wait_attr("#my-orders", "id", |_| true).await;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let cls = page
            .client
            .execute(CLS, vec![])
            .await
            .expect("layout shift read")
            .as_f64()
            .expect("a number");
        assert!(cls < 0.01, "{width}×{height}: layout shift {cls}");
        // index.html's skeleton is gone, and the widget's page is the only one.
        let pages = page
            .client
            .execute(
                "return [document.getElementById('boot') === null, document.querySelectorAll('main').length]",
                vec![],
            )
            .await
            .expect("page read");
        assert_eq!(pages, serde_json::json!([true, 1]), "{width}×{height}");
        page.close().await;
    }
}

#[tokio::test]
async fn the_socket_opened_by_the_page_is_the_one_the_widget_keeps() {
    dist_is_built();
    let ts = TestServer::start().await;
    let page = Browser::resident(&ts, 360, 740).await;
    page.wait_text("#stock-remaining", |t| !t.is_empty()).await;
    // The widget has adopted the early socket (it is live on it) and opened no second one; give a
    // second one time to show up if it were coming.
    tokio::time::sleep(std::time::Duration::from_millis(1_000)).await;
    assert_eq!(open_connections(&ts).await, 1, "one page, one connection");
    // Live on it: the stock a host changes moves on the page.
    let before = page.wait_text("#stock-remaining", |t| !t.is_empty()).await;
    let mut buyer = ts.client().await;
    let deal = buyer.join(ts.show).await.pinned.expect("demo deal pinned");
    buyer.sign_in("早到的邻居").await;
    buyer.order(deal, 1, "early-socket").await;
    page.wait_text("#stock-remaining", |t| t != before).await;
    drop(buyer);
    page.close().await;
}
