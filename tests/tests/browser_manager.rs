//! The manager's console and staff invite links in real Chromium: a manager signs in through the
//! link `make run` printed, schedules a show and puts it on air, invites a host; the host signs in
//! through their link on their own phone and launches a deal in that show; a resident buys in it.
//! Screenshots at 360 px and desktop width go to target/screenshots/.

use mulin_shared::{Role, ShowStatus};
use mulin_tests::TestServer;
use mulin_tests::browser::Browser;
use mulin_tests::staff::demo_link;

/// Fills the datetime-local field `id` with `value` (`2027-01-01T10:00`) as typing would.
async fn set_datetime(page: &Browser, id: &str, value: &str) {
    page.client
        .execute(
            &format!(
                "const i = document.getElementById('{id}'); i.value = '{value}'; \
                 i.dispatchEvent(new Event('input', {{ bubbles: true }}));"
            ),
            vec![],
        )
        .await
        .expect("value typed");
}

/// Tomorrow at 10:00 on the browser's clock, as a datetime-local value.
async fn tomorrow_ten(page: &Browser) -> String {
    let value = page
        .client
        .execute(
            "const d = new Date(Date.now() + 86400000); const p = n => String(n).padStart(2, '0'); \
             return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T10:00`;",
            vec![],
        )
        .await
        .expect("date made");
    value.as_str().expect("a string").to_owned()
}

#[tokio::test]
async fn a_manager_schedules_a_show_and_invites_a_host_who_sells_in_it() {
    mulin_tests::browser::dist_is_built();
    let ts = TestServer::start().await;
    let base = ts.http_url();
    let community = ts.demo.community;

    // The manager opens the link on a phone.
    let manager = Browser::start(360, 800).await;
    manager
        .open(&format!("{base}{}", demo_link(&ts, Role::Manager)))
        .await;
    manager
        .wait_text("#invite-welcome h2", |t| t.contains("周主任"))
        .await;
    manager.screenshot("invite-manager-360").await;
    manager.click("#go-manage").await;
    manager
        .wait_text("#show-list", |t| t.contains("周日丰收集市"))
        .await;
    manager.screenshot("manager-360").await;

    // A show in the past is refused in words before anything is sent.
    manager.type_into("#show-title", "邻里年货节").await;
    set_datetime(&manager, "show-start", "2020-01-01T10:00").await;
    manager.click("#show-save").await;
    manager
        .wait_text("#show-problem", |t| t.contains("已经过去"))
        .await;
    let tomorrow = tomorrow_ten(&manager).await;
    set_datetime(&manager, "show-start", &tomorrow).await;
    manager.click("#show-save").await;
    manager
        .wait_text("#show-list", |t| t.contains("邻里年货节"))
        .await;
    let store = ts.server.store().clone();
    let made = store
        .shows_of(community)
        .await
        .expect("shows")
        .into_iter()
        .find(|s| s.title == "邻里年货节")
        .expect("scheduled");
    assert_eq!(made.status, ShowStatus::Scheduled);
    // On air now.
    manager.click(&format!("[data-start='{}']", made.id)).await;
    manager.client.accept_alert().await.expect("confirmed");
    manager
        .wait_attr(&format!("[data-show='{}']", made.id), "data-status", |s| {
            s == "live"
        })
        .await;

    // Invite a host: the link is shown once, whole.
    manager.type_into("#staff-name", "孙主播").await;
    manager.click("[data-role='host']").await;
    manager.click("#staff-save").await;
    let link = manager
        .wait_attr("#invite-url", "value", |v| v.contains("/invite/"))
        .await;
    manager.screenshot("manager-invited-360").await;
    // Copying says whether it worked (headless Chromium may refuse the clipboard: then it says so).
    manager.click("#copy-link").await;
    manager
        .wait_text("#copy-state", |t| {
            t.contains("已复制") || t.contains("长按")
        })
        .await;
    // The same name again is refused in words.
    manager.type_into("#staff-name", "孙主播").await;
    manager.click("[data-role='moderator']").await;
    manager.click("#staff-save").await;
    manager
        .wait_text("#staff-problem", |t| t.contains("同名"))
        .await;

    // The host, on their own phone, opens the link and goes to the console of the show on air.
    let host = Browser::start(360, 800).await;
    host.open(&link).await;
    host.wait_text("#invite-welcome h2", |t| t.contains("孙主播"))
        .await;
    host.wait_attr("#go-host", "href", |h| {
        h.ends_with(&format!("/show/{}/host", made.id))
    })
    .await;
    host.click("#go-host").await;
    host.wait_live().await;
    host.wait_attr("#launch-product", "id", |_| true).await;
    host.type_into("#launch-price", "9.90").await;
    host.type_into("#launch-stock", "30").await;
    host.type_into("#launch-limit", "2").await;
    host.click("#launch").await;
    let deal = loop {
        let deals = store.deals(made.id).await.expect("deals");
        if let Some(d) = deals.into_iter().next() {
            break d;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    // The link worked once: opened again elsewhere it is refused.
    let stranger = Browser::start(360, 800).await;
    stranger.open(&link).await;
    stranger
        .wait_attr("#invite-refused [data-code]", "data-code", |c| {
            c == "invite_used"
        })
        .await;

    // A resident buys in the new show.
    let mut resident = ts.client().await;
    resident.join(made.id).await;
    resident.sign_in("王阿姨").await;
    match resident.order(deal.id, 1, "browser-manager-1").await {
        mulin_shared::ServerMsg::OrderAccepted { .. } => {}
        other => panic!("the order: {other:?}"),
    }

    // The manager's log shows the host's launch under the host's name, on a laptop too.
    let desk = Browser::start(1280, 900).await;
    desk.open(&format!("{base}{}", {
        // A second device of the manager: a fresh link (the first was used).
        let sessions = mulin_backend::auth::Sessions::open(store.clone())
            .await
            .expect("sessions");
        let me = store
            .staff_of(community)
            .await
            .expect("staff")
            .into_iter()
            .find(|p| p.name == "周主任")
            .expect("the manager");
        sessions
            .renew_invite(
                community,
                me.id,
                &mulin_backend::store::Actor::command_line(),
                mulin_backend::now_ms(),
            )
            .await
            .expect("stored")
            .expect("renewed")
            .path
    }))
    .await;
    desk.click("#go-manage").await;
    desk.wait_text("#audit-list", |t| {
        t.contains("孙主播") && t.contains("发起活动")
    })
    .await;
    desk.screenshot("manager-desktop").await;

    // The show's report: the order, its pickup point, the chart, on a laptop and on the phone.
    desk.click(&format!("[data-report='{}']", made.id)).await;
    desk.wait_text("#report-totals [data-figure='orders'] dd", |t| t == "1")
        .await;
    let pickup_row = desk
        .wait_text("#report-pickups [data-line='1']", |t| {
            t.contains("老百姓大药房")
        })
        .await;
    assert!(pickup_row.contains("¥9.90"), "{pickup_row}");
    desk.wait_attr("#report-chart rect", "data-orders", |n| n == "1")
        .await;
    desk.wait_text("#report-state", |t| t.contains("实时"))
        .await;
    desk.screenshot("report-desktop").await;
    manager
        .open(&format!("{base}/show/{}/report", made.id))
        .await;
    manager
        .wait_text("#report-deals", |t| t.contains("鲜食甜糯玉米"))
        .await;
    manager.screenshot("report-360").await;
    for page in [manager, host, stranger, desk] {
        page.close().await;
    }
}

/// The widget before a show (its start and a countdown, what it will sell) and after it (it says
/// so; the resident's order and pickup code stay), following the manager's changes live.
#[tokio::test]
async fn the_widget_tells_residents_before_and_after_a_show() {
    use mulin_tests::staff::{api, demo_manager};
    mulin_tests::browser::dist_is_built();
    let ts = TestServer::start().await;
    let (community, manager) = demo_manager(&ts).await;
    let base = ts.http_url();
    let next = ts.demo.next_show;
    let page = Browser::start(360, 800).await;
    page.open(&format!("{base}/show/{next}")).await;
    page.wait_live().await;
    page.wait_text("#show-state", |t| t.contains("开始") && t.contains("还有"))
        .await;
    // Before the show: no viewer count and no "stay tuned" card, and the way in to one's orders
    // (no deal card carries the sign-in form yet).
    page.wait_attr("#nickname", "id", |_| true).await;
    let shown = page
        .client
        .execute(
            "const shown = e => !!e && getComputedStyle(e).display !== 'none'; \
             return [shown(document.querySelector('.bar .viewers')), \
                     shown(document.querySelector('.empty-deal')), \
                     shown(document.getElementById('nickname'))];",
            vec![],
        )
        .await
        .expect("read");
    assert_eq!(shown, serde_json::json!([false, false, true]));
    page.screenshot("resident-scheduled-360").await;
    // Called off by the manager: the open page says so at once.
    let (status, _) = api(
        ts.addr(),
        "POST",
        &format!("/api/communities/{community}/shows/{next}/cancel"),
        Some(&manager),
        None,
    )
    .await;
    assert_eq!(status, 200);
    page.wait_text("#show-state", |t| t.contains("已取消"))
        .await;

    // The live demo show: the resident buys, the show ends, the order and its code stay.
    page.open(&format!("{base}/show/{}", ts.show)).await;
    page.wait_live().await;
    page.sign_in("王阿姨").await;
    page.click("#buy").await;
    page.wait_attr("#purchase", "data-state", |s| s == "accepted")
        .await;
    let code = ts
        .server
        .store()
        .show_orders(ts.show, 1)
        .await
        .expect("orders")
        .first()
        .expect("the order")
        .pickup_code
        .clone();
    let (status, _) = api(
        ts.addr(),
        "POST",
        &format!("/api/communities/{community}/shows/{}/end", ts.show),
        Some(&manager),
        None,
    )
    .await;
    assert_eq!(status, 200);
    page.wait_text("#show-state", |t| t.contains("已结束"))
        .await;
    page.wait_text(".my-orders", |t| t.contains(&code)).await;
    page.screenshot("resident-ended-360").await;
    page.close().await;
    // On another phone, not signed in: the ended show offers the way in to one's orders.
    let other = Browser::start(360, 800).await;
    other.open(&format!("{base}/show/{}", ts.show)).await;
    other.wait_live().await;
    other
        .wait_text("#show-state", |t| t.contains("已结束"))
        .await;
    other.wait_attr("#nickname", "id", |_| true).await;
    other.close().await;

    // A grid worker's link: the live figures of the next show, and the community's page.
    let next_week = serde_json::json!({
        "title": "周三早市",
        "starts_at": mulin_backend::now_ms() + 3_600_000,
    });
    let (status, made) = api(
        ts.addr(),
        "POST",
        &format!("/api/communities/{community}/shows"),
        Some(&manager),
        Some(&next_week),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    let grid = Browser::start(360, 800).await;
    grid.open(&format!("{base}{}", demo_link(&ts, Role::GridWorker)))
        .await;
    grid.wait_attr("#go-community", "href", |h| {
        h.ends_with(&format!("/c/{community}"))
    })
    .await;
    grid.wait_attr("#go-report", "href", |h| {
        h.ends_with(&format!("/show/{}/report", made["id"]))
    })
    .await;
    grid.screenshot("invite-grid-worker-360").await;
    grid.close().await;
}

/// The manager keeps the catalogue on a phone: adds a pickup point and a product, changes the
/// product, is told in words why a product that has been on sale stays, removes one that never
/// was; viewers of the show on air get each change, and the store holds what the screen says.
#[tokio::test]
async fn a_manager_keeps_the_catalogue_from_the_console_on_a_phone() {
    mulin_tests::browser::dist_is_built();
    let ts = TestServer::start().await;
    let base = ts.http_url();
    let community = ts.demo.community;
    let store = ts.server.store().clone();
    let mut viewer = ts.client().await;
    viewer.join(ts.show).await;

    let manager = Browser::start(360, 800).await;
    manager
        .open(&format!("{base}{}", demo_link(&ts, Role::Manager)))
        .await;
    manager.click("#go-manage").await;
    manager
        .wait_text("#pickup-list", |t| !t.trim().is_empty())
        .await;

    // A pickup point: a missing address is named before anything is sent.
    manager
        .type_into("#pickup-name", "益丰大药房（春风路店）")
        .await;
    manager.click("#pickup-save").await;
    manager
        .wait_text("#pickup-problem", |t| t.contains("地址"))
        .await;
    manager.type_into("#pickup-address", "春风路 6 号").await;
    manager.type_into("#pickup-hours", "每天 8:00–21:00").await;
    manager.click("#pickup-save").await;
    manager
        .wait_text("#pickup-list", |t| t.contains("益丰大药房（春风路店）"))
        .await;
    manager
        .wait_text("#pickup-done", |t| t.contains("已保存"))
        .await;
    let points = store.pickup_points_of(community).await.expect("read");
    let spring = points
        .iter()
        .find(|p| p.name == "益丰大药房（春风路店）")
        .expect("stored");
    assert_eq!(
        (spring.address.as_str(), spring.hours.as_str()),
        ("春风路 6 号", "每天 8:00–21:00")
    );

    // A product, then a change to its price.
    let named = |name: &str| name == "东北长粒香大米";
    let before = store.products_of(community).await.expect("read");
    assert!(!before.iter().any(|p| named(&p.name)), "not a demo product");
    manager.type_into("#product-name", "东北长粒香大米").await;
    manager.type_into("#product-origin", "黑龙江五常").await;
    manager.type_into("#product-unit", "5 kg").await;
    manager.type_into("#product-price", "69.90").await;
    manager.click("#product-save").await;
    manager
        .wait_text("#product-list", |t| t.contains("东北长粒香大米"))
        .await;
    let rice = store
        .products_of(community)
        .await
        .expect("read")
        .into_iter()
        .find(|p| named(&p.name))
        .expect("stored");
    assert_eq!(rice.normal_price, 6990);
    manager
        .click(&format!("button[data-edit='{}']", rice.id))
        .await;
    manager
        .wait_text("#product-form h4", |t| t.contains("修改商品"))
        .await;
    manager.type_into("#product-price", "59.90").await;
    manager.click("#product-save").await;
    manager
        .wait_text("#product-list", |t| t.contains("59.90"))
        .await;
    manager.screenshot("manager-catalogue-360").await;
    // The viewer of the show on air was sent the new price.
    viewer
        .recv_until(|m| match m {
            mulin_shared::ServerMsg::ShowInfo { products, .. } => products
                .iter()
                .any(|p| p.id == rice.id && p.normal_price == 5990)
                .then_some(()),
            _ => None,
        })
        .await;

    // The demo deal's product stays, and the manager is told why; the new product can go.
    manager.click("button[data-remove='1']").await;
    manager
        .client
        .accept_alert()
        .await
        .expect("a confirm to accept");
    manager
        .wait_text("#product-problem", |t| t.contains("不能删除"))
        .await;
    manager
        .click(&format!("button[data-remove='{}']", rice.id))
        .await;
    manager
        .client
        .accept_alert()
        .await
        .expect("a confirm to accept");
    manager
        .wait_text("#product-done", |t| t.contains("已删除"))
        .await;
    let products = store.products_of(community).await.expect("read");
    assert!(products.iter().any(|p| p.id == 1));
    assert!(!products.iter().any(|p| named(&p.name)), "{products:?}");
    assert!(
        !manager.scrolls_sideways().await,
        "nothing wider than the phone"
    );
    // On a laptop the products and pickup points sit side by side.
    manager
        .client
        .set_window_size(1280, 900)
        .await
        .expect("resized");
    manager
        .client
        .execute(
            "document.getElementById('catalogue-title').scrollIntoView()",
            vec![],
        )
        .await
        .expect("scrolled");
    let [products_x, ..] = manager.rect("#product-list").await;
    let [pickups_x, ..] = manager.rect("#pickup-list").await;
    assert!(pickups_x > products_x + 300.0, "{products_x} {pickups_x}");
    manager.screenshot("manager-catalogue-desktop").await;
    manager.close().await;
}
