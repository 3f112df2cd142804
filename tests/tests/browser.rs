//! The widget in real headless Chromium against a real server: live stock, buying, two viewers.

use mulin_shared::{ClientMsg, ServerMsg};
use mulin_tests::browser::{Browser, dist_is_built};
use mulin_tests::process::ServerProcess;
use mulin_tests::{TestServer, fresh_phone};

/// Units left in the demo deal, read from a viewer's room state.
async fn demo_remaining(ts: &TestServer) -> i64 {
    let mut c = ts.client().await;
    let room = c.join(ts.show).await;
    room.pinned_deal()
        .map(|d| d.remaining())
        .expect("demo deal pinned")
}

#[tokio::test]
async fn resident_view_shows_live_stock_that_moves_when_someone_buys() {
    dist_is_built();
    let ts = TestServer::start().await;
    let start = demo_remaining(&ts).await;
    let browser = Browser::start(360, 800).await;
    browser
        .open(&format!("{}/show/{}", ts.http_url(), ts.show))
        .await;

    let shown = browser
        .wait_text("#stock-remaining", |t| !t.is_empty())
        .await;
    assert_eq!(
        shown,
        start.to_string(),
        "the page shows the deal's real stock"
    );

    // Another resident buys over a plain WebSocket; the page must follow without a reload.
    let mut other = ts.client().await;
    let room = other.join(ts.show).await;
    let deal = room.pinned.expect("pinned deal");
    other.sign_in("隔壁老张").await;
    assert!(matches!(
        other.order(deal, 2, "tab-b").await,
        ServerMsg::OrderAccepted { .. }
    ));
    browser
        .wait_text("#stock-remaining", |t| t == (start - 2).to_string())
        .await;
    assert!(
        !browser.scrolls_sideways().await,
        "the widget scrolls sideways at 360 px"
    );
    browser.screenshot("resident-360").await;
    browser.close().await;
}

#[tokio::test]
async fn a_resident_signs_in_buys_and_the_other_tab_sees_it() {
    dist_is_built();
    let ts = TestServer::start().await;
    let start = demo_remaining(&ts).await;
    let url = format!("{}/show/{}", ts.http_url(), ts.show);
    let buyer = Browser::start(1280, 900).await;
    let watcher = Browser::start(360, 800).await;
    buyer.open(&url).await;
    watcher.open(&url).await;
    watcher
        .wait_text("#stock-remaining", |t| t == start.to_string())
        .await;

    buyer.sign_in("王阿姨").await;
    buyer
        .wait_text("#account-title", |t| t.contains("王阿姨"))
        .await;
    buyer.click("#qty-more").await;
    buyer.wait_text("#qty", |t| t == "2").await;
    buyer.click("#buy").await;
    buyer
        .wait_attr("#purchase", "data-state", |s| s == "accepted")
        .await;
    let note = buyer.wait_text("#purchase", |t| !t.is_empty()).await;
    assert!(note.contains("取货码"), "in Chinese by default: {note}");
    buyer
        .wait_text("#stock-remaining", |t| t == (start - 2).to_string())
        .await;
    buyer.screenshot("resident-desktop-accepted").await;

    // The other tab sees the purchase without reloading.
    watcher
        .wait_text("#stock-remaining", |t| t == (start - 2).to_string())
        .await;

    // The order is durable and belongs to the resident who signed in through the page.
    let orders = ts
        .server
        .store()
        .show_orders(ts.show, 10)
        .await
        .expect("orders readable");
    assert_eq!(orders.len(), 1);
    assert_eq!((orders[0].nickname.as_str(), orders[0].qty), ("王阿姨", 2));

    // "My orders" shows it with its pickup code; cancelling puts the units back for everyone.
    let listed = buyer.wait_text(".my-order", |t| t.contains("待到货")).await;
    assert!(listed.contains(&orders[0].pickup_code), "{listed}");
    // Shown at the counter on a desktop too.
    buyer.click(".my-order [data-counter]").await;
    buyer
        .wait_text("#counter-code", |t| t == orders[0].pickup_code)
        .await;
    buyer.screenshot("resident-desktop-counter").await;
    buyer.click("#counter-close").await;
    buyer
        .wait_attr(".my-order button[data-cancel]", "data-cancel", |_| true)
        .await;
    // Cancel asks first, in the row, saying what will happen; "keep it" changes nothing.
    buyer.click(".my-order button[data-cancel]").await;
    buyer
        .wait_text(".confirm-cancel", |t| t.contains("不能恢复"))
        .await;
    // The question takes the focus (and so comes into view), on the answer that changes nothing.
    let mut on_keep = serde_json::json!(false);
    for _ in 0..40 {
        on_keep = buyer
            .client
            .execute(
                "return document.activeElement.hasAttribute('data-cancel-no');",
                vec![],
            )
            .await
            .expect("focus read");
        if on_keep == serde_json::json!(true) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(on_keep, serde_json::json!(true));
    let [_, top, _, bottom] = buyer.rect("button[data-cancel-yes]").await;
    assert!(
        bottom - top >= 48.0,
        "the confirm button is a full tap target"
    );
    buyer.screenshot("resident-360-cancel-confirm").await;
    buyer.click("button[data-cancel-no]").await;
    buyer
        .wait_attr(".my-order button[data-cancel]", "data-cancel", |_| true)
        .await;
    assert_eq!(
        buyer
            .attr(".my-order", "data-status")
            .await
            .flatten()
            .as_deref(),
        Some("accepted")
    );
    buyer.click(".my-order button[data-cancel]").await;
    buyer.click("button[data-cancel-yes]").await;
    buyer
        .wait_attr(".my-order", "data-status", |s| s == "cancelled")
        .await;
    watcher
        .wait_text("#stock-remaining", |t| t == start.to_string())
        .await;
    buyer.close().await;
    watcher.close().await;
}

#[tokio::test]
async fn when_the_last_unit_goes_the_page_says_sold_out() {
    dist_is_built();
    let ts = TestServer::start().await;
    let deal = ts.host().await.launch_deal(3, 2500, 1, 1).await.id;

    let page = Browser::start(360, 800).await;
    page.open(&format!("{}/show/{}", ts.http_url(), ts.show))
        .await;
    page.wait_text("#stock-remaining", |t| t == "1").await;
    page.sign_in("晚到的邻居").await;
    page.wait_attr("#buy", "data-state", |s| s == "buy").await;

    let mut quick = ts.client().await;
    quick.join(ts.show).await;
    quick.sign_in("手快").await;
    assert!(matches!(
        quick.order(deal, 1, "last").await,
        ServerMsg::OrderAccepted { .. }
    ));

    page.wait_text("#stock-remaining", |t| t == "0").await;
    page.wait_attr("#buy", "data-state", |s| s == "sold_out")
        .await;
    page.wait_text("#buy", |t| t == "已抢光").await;
    page.wait_attr("#buy", "disabled", |_| true).await;
    assert!(
        !page.scrolls_sideways().await,
        "the sold-out widget scrolls sideways at 360 px"
    );
    page.screenshot("resident-360-sold-out").await;
    page.close().await;
}

#[tokio::test]
async fn the_demo_page_puts_the_widget_beside_the_player_and_below_it_on_a_phone() {
    dist_is_built();
    let ts = TestServer::start().await;
    let url = format!("{}/demo/{}", ts.http_url(), ts.show);
    for (width, name) in [(360, "demo-360"), (1280, "demo-desktop")] {
        let browser = Browser::start(width, 800).await;
        browser.open(&url).await;
        browser
            .wait_text(".player h1", |t| !t.is_empty() && !t.contains("{{"))
            .await;
        // The embedded widget is the real one: live, with the pinned deal's stock.
        browser.enter_frame().await;
        browser.wait_live().await;
        browser
            .wait_text("#stock-remaining", |t| t.parse::<i64>().is_ok())
            .await;
        browser.leave_frame().await;

        let [p_left, p_top, p_right, p_bottom] = browser.rect(".player").await;
        let [w_left, w_top, w_right, w_bottom] = browser.rect("#mulin-widget").await;
        if width >= 900 {
            assert!(
                w_left >= p_right && (w_top - p_top).abs() < 1.0,
                "beside the player on a wide screen: player {p_left}..{p_right}, widget {w_left}..{w_right}"
            );
        } else {
            assert!(
                w_top >= p_bottom && w_left < p_right,
                "below the player on a phone: player bottom {p_bottom}, widget top {w_top}"
            );
            // One thing scrolls, the widget: the page does not, so the player stays in view, and
            // the widget ends at the bottom of the screen.
            let (page_height, screen) = {
                let read = browser
                    .client
                    .execute(
                        "return [document.scrollingElement.scrollHeight, innerHeight];",
                        vec![],
                    )
                    .await
                    .expect("measured");
                (
                    read[0].as_f64().unwrap_or(0.0),
                    read[1].as_f64().unwrap_or(0.0),
                )
            };
            assert!(
                page_height <= screen + 1.0 && w_bottom <= screen + 1.0,
                "the page scrolls ({page_height} in {screen}) or the widget runs past it ({w_bottom})"
            );
        }
        assert!(
            !browser.scrolls_sideways().await,
            "{width} px wide: the page scrolls sideways"
        );
        browser.screenshot(name).await;
        browser.close().await;
    }
}

#[tokio::test]
async fn a_demo_page_for_no_show_is_a_clear_404() {
    let ts = TestServer::start().await;
    for path in ["/demo/abc", "/demo/999999", "/demo/-1"] {
        let response = mulin_tests::wire::http_get(ts.server.addr(), path)
            .await
            .expect("server answers");
        assert!(response.starts_with("HTTP/1.1 404"), "{path}: {response}");
        assert!(
            response.contains(r#""error":"unknown_show""#),
            "{path}: {response}"
        );
    }
}

#[tokio::test]
async fn larger_text_is_one_tap_away_and_remembered_on_the_device() {
    dist_is_built();
    let ts = TestServer::start().await;
    let url = format!("{}/show/{}", ts.http_url(), ts.show);
    let page = Browser::start(360, 800).await;
    let font_size = async || {
        page.client
            .execute(
                "return [document.documentElement.classList.contains('large'), \
                 getComputedStyle(document.body).fontSize];",
                vec![],
            )
            .await
            .expect("style read")
    };
    page.open(&url).await;
    page.wait_text("#stock-remaining", |t| !t.is_empty()).await;
    let before = font_size().await;
    assert_eq!(before, serde_json::json!([false, "16px"]));

    page.click("#large-text").await;
    page.wait_attr("#large-text", "aria-pressed", |v| v == "true")
        .await;
    assert_eq!(font_size().await, serde_json::json!([true, "22px"]));
    assert!(
        !page.scrolls_sideways().await,
        "large text scrolls sideways at 360 px"
    );
    page.screenshot("resident-360-large").await;

    // Remembered: a new visit on this device opens large at once.
    page.open(&url).await;
    page.wait_attr("#large-text", "aria-pressed", |v| v == "true")
        .await;
    assert_eq!(font_size().await, serde_json::json!([true, "22px"]));
    page.click("#large-text").await;
    page.wait_attr("#large-text", "aria-pressed", |v| v == "false")
        .await;
    assert_eq!(font_size().await, serde_json::json!([false, "16px"]));
    page.close().await;
}

#[tokio::test]
async fn the_shows_other_deals_are_listed_with_where_they_stand() {
    dist_is_built();
    let ts = TestServer::start().await;
    let mut viewer = ts.client().await;
    let demo = viewer
        .join(ts.show)
        .await
        .pinned
        .expect("the demo deal is pinned");
    let page = Browser::start(360, 800).await;
    page.open(&format!("{}/show/{}", ts.http_url(), ts.show))
        .await;
    page.wait_text("#stock-remaining", |t| !t.is_empty()).await;

    // The host pins a new deal: the one before stays on sale and is listed below.
    let mut host = ts.host().await;
    let newer = host.launch_deal(2, 2990, 40, 2).await;
    let row = format!(".show-deal[data-deal='{demo}']");
    let chip = format!("{row} .chip");
    page.wait_attr(&chip, "data-phase", |p| p == "on_sale")
        .await;
    page.wait_text(&row, |t| t.contains("在售") && t.contains("剩 "))
        .await;
    page.wait_text("#stock-remaining", |t| t == "40").await;
    assert!(
        page.client
            .find(fantoccini::Locator::Css(&format!(
                ".show-deal[data-deal='{}']",
                newer.id
            )))
            .await
            .is_err(),
        "the pinned deal is on the card, not in the list"
    );

    // Ended early, it stays in the list as ended.
    host.send(&ClientMsg::EndDeal { deal: demo }).await;
    page.wait_attr(&chip, "data-phase", |p| p == "ended").await;
    page.wait_text(&row, |t| t.contains("已结束")).await;
    assert!(!page.scrolls_sideways().await);
    let _ = page
        .client
        .execute(
            "document.querySelector('.show-deals').scrollIntoView({block: 'center'});",
            vec![],
        )
        .await;
    page.screenshot("resident-360-show-deals").await;
    page.close().await;
}

/// Tabs forward until `id` has the focus; fails after `max` presses, listing where the focus went.
async fn tab_to(page: &Browser, id: &str, max: usize) {
    let mut path = Vec::new();
    for _ in 0..max {
        page.press(mulin_tests::browser::TAB).await;
        let now = page.focused().await;
        if now == id {
            return;
        }
        path.push(now);
    }
    panic!("Tab never reached #{id}; it went {path:?}");
}

#[tokio::test]
async fn a_resident_can_sign_in_and_buy_with_the_keyboard_alone_and_every_control_is_named() {
    dist_is_built();
    let ts = TestServer::start().await;
    let page = Browser::start(360, 800).await;
    page.open(&format!("{}/show/{}", ts.http_url(), ts.show))
        .await;
    page.wait_text("#stock-remaining", |t| !t.is_empty()).await;
    let unnamed = page.unnamed_controls().await;
    assert!(unnamed.is_empty(), "controls without a name: {unnamed:?}");
    // The check's premise: a bare icon button is caught.
    let _ = page
        .client
        .execute(
            "const b = document.createElement('button'); b.id = 'probe'; b.textContent = ' '; \
             document.body.append(b);",
            vec![],
        )
        .await;
    assert_eq!(page.unnamed_controls().await.len(), 1);
    let _ = page
        .client
        .execute("document.getElementById('probe').remove();", vec![])
        .await;

    // From the top of the page: the text size, the language, the quantity, the pickup point, then
    // the sign-in fields (the community is offered already).
    tab_to(&page, "large-text", 3).await;
    tab_to(&page, "lang", 1).await;
    tab_to(&page, "qty-more", 3).await;
    tab_to(&page, "pickup", 3).await;
    tab_to(&page, "nickname", 3).await;
    page.press("键盘张").await;
    tab_to(&page, "phone", 1).await;
    page.press(&fresh_phone()).await;
    tab_to(&page, "community", 1).await;
    page.press(mulin_tests::browser::ENTER).await;
    page.wait_attr("#buy", "data-state", |s| s == "buy").await;
    let unnamed = page.unnamed_controls().await;
    assert!(
        unnamed.is_empty(),
        "controls without a name once signed in: {unnamed:?}"
    );

    tab_to(&page, "buy", 12).await;
    page.press(mulin_tests::browser::ENTER).await;
    page.wait_attr("#purchase", "data-state", |s| s == "accepted")
        .await;
    page.close().await;
}

#[tokio::test]
async fn after_a_server_restart_the_widget_reconnects_and_still_shows_the_order() {
    dist_is_built();
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("restart.db");
    let server = ServerProcess::start_with_widget(&db, "127.0.0.1:0")
        .await
        .expect("mulin starts");
    let (bind, url) = (
        server.addr.to_string(),
        format!("http://{}/show/{}", server.addr, server.show),
    );
    let page = Browser::start(360, 800).await;
    page.open(&url).await;
    page.wait_live().await;
    page.sign_in("重启李").await;
    page.wait_attr("#buy", "data-state", |s| s == "buy").await;
    page.click("#buy").await;
    let code = page.wait_text("#purchase .code", |t| !t.is_empty()).await;
    let mine = "section[aria-labelledby='my-orders']";
    page.wait_text(mine, |t| t.contains(&code)).await;

    server.stop().await;
    page.wait_attr("#link-state", "data-link", |s| s != "online")
        .await;
    let server = ServerProcess::start_with_widget(&db, &bind)
        .await
        .expect("mulin starts again on the same port");
    // Back by itself, signed in again with its remembered session, and the order is still there.
    page.wait_live().await;
    page.wait_attr("#buy", "data-state", |s| s == "buy").await;
    page.wait_text(mine, |t| t.contains(&code)).await;
    // A fresh visit on the same device gets the order from the server, not from the old page.
    page.open(&url).await;
    page.wait_text(mine, |t| t.contains(&code)).await;
    page.screenshot("resident-360-after-restart").await;
    page.close().await;
    server.stop().await;
}

#[tokio::test]
async fn the_widget_speaks_chinese_first_switches_to_english_and_remembers() {
    dist_is_built();
    let ts = TestServer::start().await;
    let url = format!("{}/show/{}", ts.http_url(), ts.show);
    for (width, tag) in [(360, "360"), (1280, "desktop")] {
        let page = Browser::start(width, 900).await;
        page.open(&url).await;
        page.wait_live().await;
        page.wait_text("#link-state", |t| t == "已连接").await;
        page.wait_text("#my-orders", |t| t == "我的订单").await;
        // A bad sign-in is refused at its field, in Chinese.
        page.type_into("#nickname", "英文王").await;
        page.type_into("#phone", "555-0100").await;
        page.click("#sign-in").await;
        page.wait_text("#phone-error", |t| {
            t.starts_with("请填写中国大陆 11 位手机号")
        })
        .await;
        page.screenshot(&format!("resident-{tag}-zh-sign-in-error"))
            .await;

        page.click("#lang").await;
        page.wait_text("#link-state", |t| t == "Connected").await;
        page.wait_text("#my-orders", |t| t == "My orders").await;
        page.wait_text("#phone-error", |t| {
            t.starts_with("Please enter a mainland China mobile number")
        })
        .await;
        let lang = page
            .client
            .execute("return document.documentElement.lang;", vec![])
            .await
            .expect("lang read");
        assert_eq!(lang, serde_json::json!("en"));
        page.type_into("#phone", &fresh_phone()).await;
        page.click("#sign-in").await;
        page.wait_attr("#buy", "data-state", |s| s == "buy").await;
        page.wait_text("#buy", |t| t.starts_with("Buy now · ¥"))
            .await;
        assert!(
            !page.scrolls_sideways().await,
            "{width} px: sideways scroll"
        );
        page.screenshot(&format!("resident-{tag}-en")).await;

        // Remembered on this device; switching back is one tap.
        page.open(&url).await;
        page.wait_text("#my-orders", |t| t == "My orders").await;
        page.click("#lang").await;
        page.wait_text("#my-orders", |t| t == "我的订单").await;
        page.wait_text("#buy", |t| t.starts_with("立即购买")).await;
        page.close().await;
    }

    // A host can embed the widget in English for a new device: `?lang=en`.
    let page = Browser::start(360, 800).await;
    page.open(&format!("{url}?lang=en")).await;
    page.wait_text("#my-orders", |t| t == "My orders").await;
    page.close().await;
}
