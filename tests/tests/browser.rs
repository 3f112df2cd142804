//! The widget in real headless Chromium against a real server: live stock, buying, two viewers.

use mulin_shared::{ClientMsg, ServerMsg};
use mulin_tests::browser::Browser;
use mulin_tests::process::ServerProcess;
use mulin_tests::{TestServer, fresh_phone};

fn dist_is_built() {
    assert!(
        mulin_tests::repo_root().join("dist/index.html").is_file(),
        "dist/index.html is missing: run `make test` (it builds the widget first)"
    );
}

/// Signs in through the page's form (the community is offered already) and waits for Buy.
async fn sign_in(page: &Browser, nickname: &str) {
    // The form stands in the deal card, which appears once the show has loaded.
    page.wait_attr("#nickname", "id", |_| true).await;
    page.type_into("#nickname", nickname).await;
    page.type_into("#phone", &fresh_phone()).await;
    page.click("#sign-in").await;
    page.wait_attr("#buy", "data-state", |s| !s.is_empty())
        .await;
}

/// The demo show's host console in a desktop-sized browser, live.
async fn host_console(ts: &TestServer) -> Browser {
    let host = Browser::start(1280, 900).await;
    host.open(&format!(
        "{}/show/{}/host?token={}",
        ts.http_url(),
        ts.show,
        ts.host_token
    ))
    .await;
    wait_live(&host).await;
    host
}

/// Waits until the page's connection badge says it is live.
async fn wait_live(page: &Browser) {
    page.wait_attr("#link-state", "data-link", |s| s == "online")
        .await;
}

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
    other
        .send(&ClientMsg::PlaceOrder {
            deal,
            qty: 2,
            pickup: 1,
            key: "tab-b".into(),
        })
        .await;
    other
        .recv_until(|m| matches!(m, ServerMsg::OrderAccepted { .. }).then_some(()))
        .await;
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

    sign_in(&buyer, "王阿姨").await;
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
    let listed = buyer.wait_text(".my-order", |t| t.contains("待取货")).await;
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
async fn a_host_launches_from_the_console_and_moderators_see_orders_live() {
    dist_is_built();
    let ts = TestServer::start().await;
    let base = format!("{}/show/{}", ts.http_url(), ts.show);
    let host = host_console(&ts).await;

    // A price that is not money is refused in words before anything is sent.
    host.type_into("#launch-price", "cheap").await;
    host.click("#launch").await;
    host.wait_text(".launch .note.warn", |t| t.contains("活动价"))
        .await;

    host.type_into("#launch-price", "8.80").await;
    host.type_into("#launch-stock", "30").await;
    host.type_into("#launch-limit", "3").await;
    host.click("#launch").await;

    // Every viewer sees the new deal pinned, at the price and stock the host typed.
    let mut resident = ts.client().await;
    resident.join(ts.show).await;
    let deal = resident
        .recv_until(|m| match m {
            ServerMsg::Room(room) => room.pinned_deal().filter(|d| d.price == 880).cloned(),
            _ => None,
        })
        .await;
    assert_eq!((deal.stock, deal.per_resident_limit), (30, 3));
    host.wait_text(&format!("li[data-deal='{}']", deal.id), |t| {
        t.contains("已售 0")
    })
    .await;

    let moderator = Browser::start(1280, 700).await;
    moderator
        .open(&format!("{base}/moderator?token={}", ts.moderator_token))
        .await;
    moderator
        .wait_text("#order-totals", |t| t.starts_with("0 单"))
        .await;

    resident.sign_in("赵大爷").await;
    resident
        .send(&ClientMsg::PlaceOrder {
            deal: deal.id,
            qty: 3,
            pickup: 2,
            key: "m-1".into(),
        })
        .await;
    resident
        .recv_until(|m| matches!(m, ServerMsg::OrderAccepted { .. }).then_some(()))
        .await;

    // The moderator's list grows without a reload; the host sees the deal sell.
    moderator
        .wait_text("#order-totals", |t| t.starts_with("1 单 · 3 件 · ¥26.40"))
        .await;
    moderator
        .wait_text("table.orders tbody", |t| t.contains("赵大爷"))
        .await;
    host.wait_text(&format!("li[data-deal='{}']", deal.id), |t| {
        t.contains("已售 3 · 剩 27 / 共 30")
    })
    .await;
    // The host sees the deal's pace, and restocks it from the console.
    let row = format!("li[data-deal='{}']", deal.id);
    host.wait_text(&row, |t| t.contains("近一分钟 1 单")).await;
    host.client
        .execute(
            "const s = document.getElementById('restock-deal'); s.value = arguments[0]; \
             s.dispatchEvent(new Event('change'));",
            vec![serde_json::json!(deal.id.to_string())],
        )
        .await
        .expect("deal chosen");
    host.type_into("#restock-units", "0").await;
    host.click("#restock").await;
    host.wait_text("#restock-form .note.warn", |t| t.contains("补货数量"))
        .await;
    host.type_into("#restock-units", "10").await;
    host.click("#restock").await;
    host.wait_text(&row, |t| t.contains("已售 3 · 剩 37 / 共 40"))
        .await;
    host.screenshot("host-desktop").await;
    moderator.screenshot("moderator-desktop").await;
    host.close().await;
    moderator.close().await;
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
    sign_in(&page, "晚到的邻居").await;
    page.wait_attr("#buy", "data-state", |s| s == "buy").await;

    let mut quick = ts.client().await;
    quick.join(ts.show).await;
    quick.sign_in("手快").await;
    quick
        .send(&ClientMsg::PlaceOrder {
            deal,
            qty: 1,
            pickup: 1,
            key: "last".into(),
        })
        .await;
    quick
        .recv_until(|m| matches!(m, ServerMsg::OrderAccepted { .. }).then_some(()))
        .await;

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
        wait_live(&browser).await;
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
    wait_live(&page).await;
    sign_in(&page, "重启李").await;
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
    wait_live(&page).await;
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
        wait_live(&page).await;
        page.wait_text("#link-state", |t| t == "直播中").await;
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
        page.wait_text("#link-state", |t| t == "Live").await;
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

#[tokio::test]
async fn a_lucky_bag_runs_from_the_console_to_a_result_every_viewer_verifies() {
    dist_is_built();
    let ts = TestServer::start().await;
    let base = format!("{}/show/{}", ts.http_url(), ts.show);
    let host = host_console(&ts).await;
    let resident = Browser::start(360, 800).await;
    resident.open(&base).await;
    sign_in(&resident, "福袋王").await;

    // Before any bag (and while the show has no other deal) those cards take no room at all.
    for css in [".bag", "section[aria-labelledby='show-deals']"] {
        let shown = resident
            .client
            .execute(
                "const e = document.querySelector(arguments[0]); \
                 return e !== null && e.getClientRects().length > 0;",
                vec![serde_json::json!(css)],
            )
            .await
            .expect("visibility read");
        assert_eq!(
            shown,
            serde_json::json!(false),
            "{css} is shown while empty"
        );
    }

    // The host opens a bag from the console; choosing "buyers only" brings up the suggestion.
    host.type_into("#bag-prize", "5 kg 五常大米").await;
    host.type_into("#bag-minutes", "5").await;
    host.client
        .execute(
            "const s = document.getElementById('bag-eligibility'); s.value = 'buyers'; \
             s.dispatchEvent(new Event('change'));",
            vec![],
        )
        .await
        .expect("eligibility chosen");
    host.wait_text(".bag-panel .note", |t| t.contains("无需购物"))
        .await;
    host.client
        .execute(
            "const s = document.getElementById('bag-eligibility'); s.value = 'everyone'; \
             s.dispatchEvent(new Event('change'));",
            vec![],
        )
        .await
        .expect("eligibility chosen");
    host.click("#bag-open").await;
    host.wait_text("#host-bag-status", |t| t.contains("0 人已参加"))
        .await;

    // The resident sees it, with its commitment, and enters with one tap.
    resident
        .wait_attr(".bag", "data-phase", |p| p == "open")
        .await;
    resident
        .wait_text("#bag-head, .bag-head", |t| t.contains("五常大米"))
        .await;
    resident.click("#bag-enter").await;
    resident
        .wait_attr("#bag-state", "data-state", |s| s == "entered")
        .await;
    assert!(
        !resident.scrolls_sideways().await,
        "the bag card scrolls sideways at 360 px"
    );
    resident.screenshot("resident-360-bag-open").await;
    let mut neighbour = ts.client().await;
    neighbour.join(ts.show).await;
    neighbour.sign_in("隔壁李").await;
    neighbour
        .send(&ClientMsg::EnterBag {
            bag: host_bag_id(&ts).await,
        })
        .await;
    host.wait_text("#host-bag-status", |t| t.contains("2 人已参加"))
        .await;
    host.screenshot("host-desktop-bag-open").await;

    // Closed and drawn: the page re-runs the draw itself and says it verifies.
    host.click("#bag-close").await;
    // Closing draws at once: the console asks first.
    host.client
        .accept_alert()
        .await
        .expect("the close is confirmed");
    resident
        .wait_attr(".bag", "data-phase", |p| p == "drawn")
        .await;
    resident
        .wait_attr("#bag-verify", "data-verified", |v| v == "yes")
        .await;
    resident
        .wait_text("#bag-winners", |t| {
            t.contains("福袋王") || t.contains("隔壁李")
        })
        .await;
    let winners = resident.wait_text("#bag-winners", |t| !t.is_empty()).await;
    if winners.contains("福袋王") {
        let won = resident.wait_text("#bag-won", |t| !t.is_empty()).await;
        assert!(won.contains("老百姓大药房"), "{won}");
    }
    let _ = resident
        .client
        .execute(
            "document.querySelector('.bag').scrollIntoView({block: 'start'});",
            vec![],
        )
        .await;
    resident.screenshot("resident-360-bag-drawn").await;
    host.wait_text("#host-bag-last", |t| t.contains("已开奖"))
        .await;
    host.screenshot("host-desktop-bag-drawn").await;

    // Someone who arrives after the draw checks it from the public record.
    let late = Browser::start(1280, 900).await;
    late.open(&base).await;
    late.wait_attr("#bag-verify", "data-verified", |v| v == "yes")
        .await;
    let _ = late
        .client
        .execute(
            "const d = document.querySelector('.bag details'); d.open = true; \
             document.querySelector('.bag').scrollIntoView({block: 'start'});",
            vec![],
        )
        .await;
    late.screenshot("resident-desktop-bag-verified").await;
    for b in [host, resident, late] {
        b.close().await;
    }
}

/// The id of the show's latest lucky bag, as a viewer sees it.
async fn host_bag_id(ts: &TestServer) -> i64 {
    let mut c = ts.client().await;
    c.join(ts.show).await.bag.expect("a bag is open").id
}

/// Sets an input's value as a person would leave it, and tells the page (for inputs a WebDriver
/// cannot type into the same way everywhere: selects, date-times).
async fn set_value(page: &Browser, id: &str, value: &str, event: &str) {
    page.client
        .execute(
            "const e = document.getElementById(arguments[0]); e.value = arguments[1]; \
             e.dispatchEvent(new Event(arguments[2], { bubbles: true }));",
            vec![
                serde_json::json!(id),
                serde_json::json!(value),
                serde_json::json!(event),
            ],
        )
        .await
        .expect("value set");
}

#[tokio::test]
async fn the_host_adds_a_product_with_a_photo_and_schedules_it_and_residents_see_it_coming() {
    dist_is_built();
    let ts = TestServer::start().await;
    let host = host_console(&ts).await;
    let resident = Browser::start(360, 800).await;
    resident
        .open(&format!("{}/show/{}", ts.http_url(), ts.show))
        .await;
    wait_live(&resident).await;
    sign_in(&resident, "钱阿姨").await;

    // A product without a name is refused in words, before anything is sent.
    host.click("#product-save").await;
    host.wait_text("#product-problem", |t| t.contains("名称"))
        .await;

    // A photo from the host's device is shrunk, uploaded and shown.
    let photo = std::env::temp_dir().join(format!("mulin-potatoes-{}.png", std::process::id()));
    std::fs::write(&photo, POTATO_PNG).expect("photo written");
    host.client
        .find(fantoccini::Locator::Css("#product-upload"))
        .await
        .expect("upload input")
        .send_keys(&photo.display().to_string())
        .await
        .expect("file chosen");
    let src = host
        .wait_attr("#product-preview", "src", |s| s.contains("/pictures/"))
        .await;
    host.type_into("#product-name", "滕州黄心土豆").await;
    host.type_into("#product-origin", "山东滕州").await;
    host.type_into("#product-unit", "2.5 kg").await;
    host.type_into("#product-price", "25.80").await;
    host.type_into("#product-description", "现挖现发，带泥保鲜。")
        .await;
    host.click("#product-save").await;
    host.wait_text("#product-list", |t| t.contains("滕州黄心土豆"))
        .await;
    let mut viewer = ts.client().await;
    let (_, products, _) = viewer.catalogue(ts.show).await;
    let product = products
        .into_iter()
        .find(|p| p.name == "滕州黄心土豆")
        .expect("the new product is in the catalogue");
    assert_eq!(
        product.picture.as_deref(),
        Some(src.trim_start_matches(&ts.http_url()))
    );
    assert_eq!(product.normal_price, 2580);

    // Scheduled half an hour ahead: the host's button says so, and the deal is listed as coming.
    set_value(&host, "launch-product", &product.id.to_string(), "change").await;
    let start = host
        .client
        .execute(
            "const d = new Date(Date.now() + 30 * 60000), p = n => String(n).padStart(2, '0'); \
             return d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate()) + 'T' + \
             p(d.getHours()) + ':' + p(d.getMinutes());",
            vec![],
        )
        .await
        .expect("a local time")
        .as_str()
        .expect("text")
        .to_owned();
    set_value(&host, "launch-start", &start, "input").await;
    host.type_into("#launch-price", "19.90").await;
    host.wait_text("#launch", |t| t.contains("预约")).await;
    host.click("#launch").await;
    let deal = viewer
        .recv_until(|m| match m {
            ServerMsg::Room(room) => room.deals.iter().find(|d| d.product == product.id).cloned(),
            _ => None,
        })
        .await;
    assert!(deal.starts_at > mulin_backend::now_ms() + 25 * 60_000);
    resident
        .wait_text(&format!(".show-deal[data-deal='{}']", deal.id), |t| {
            t.contains("开抢")
        })
        .await;

    // Pinned by the host: residents see it first, with photo, description and its start.
    let row = format!("li[data-deal='{}']", deal.id);
    host.wait_text(&row, |t| t.contains("开抢")).await;
    host.click(&format!("{row} button.pin")).await;
    host.wait_attr(&row, "data-pinned", |p| p == "true").await;
    resident
        .wait_attr("#buy", "data-state", |s| s == "soon")
        .await;
    resident
        .wait_text("#deal-description", |t| t.contains("带泥保鲜"))
        .await;
    resident
        .wait_attr(".deal-picture", "src", |s| s.contains("/pictures/"))
        .await;
    resident
        .wait_text(".countdown", |t| t.contains("后开抢"))
        .await;
    resident.screenshot("resident-360-coming-up").await;

    // Five more minutes, from the console.
    host.click(&format!("{row} button.extend")).await;
    viewer
        .recv_until(|m| match m {
            ServerMsg::Room(room) => room
                .deals
                .iter()
                .any(|d| d.id == deal.id && d.ends_at == deal.ends_at + 5 * 60_000)
                .then_some(()),
            _ => None,
        })
        .await;
    host.screenshot("host-desktop-catalogue").await;
    let phone = Browser::start(360, 800).await;
    phone
        .open(&format!(
            "{}/show/{}/host?token={}",
            ts.http_url(),
            ts.show,
            ts.host_token
        ))
        .await;
    phone
        .wait_text("#product-list", |t| t.contains("滕州黄心土豆"))
        .await;
    assert!(!phone.scrolls_sideways().await, "the console fits a phone");
    phone.screenshot("host-360").await;
    let _ = std::fs::remove_file(photo);
    for b in [host, resident, phone] {
        b.close().await;
    }
}

/// A 1×1 PNG photo, as small as a photo can be.
const POTATO_PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53,
    0xDE, 0x00, 0x00, 0x00, 0x0C, 0x49, 0x44, 0x41, 0x54, 0x08, 0xD7, 0x63, 0xF8, 0xCF, 0xC0, 0x00,
    0x00, 0x03, 0x01, 0x01, 0x00, 0x18, 0xDD, 0x8D, 0xB0, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E,
    0x44, 0xAE, 0x42, 0x60, 0x82,
];
