//! The host's console in real headless Chromium against a real server: launching a deal that
//! moderators see sell, a lucky bag from opening to a draw every viewer verifies, and the catalogue
//! (a product with a photo, scheduled, that residents see coming). Screenshots go to
//! target/screenshots/.

use mulin_shared::{ClientMsg, ServerMsg};
use mulin_tests::TestServer;
use mulin_tests::browser::{Browser, dist_is_built};

#[tokio::test]
async fn a_host_launches_from_the_console_and_moderators_see_orders_live() {
    dist_is_built();
    let ts = TestServer::start().await;
    let base = format!("{}/show/{}", ts.http_url(), ts.show);
    let host = Browser::host_console(&ts, 1280, 900).await;

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
    host.choose("restock-deal", &deal.id.to_string()).await;
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
async fn a_lucky_bag_runs_from_the_console_to_a_result_every_viewer_verifies() {
    dist_is_built();
    let ts = TestServer::start().await;
    let base = format!("{}/show/{}", ts.http_url(), ts.show);
    let host = Browser::host_console(&ts, 1280, 900).await;
    let resident = Browser::start(360, 800).await;
    resident.open(&base).await;
    resident.sign_in("福袋王").await;

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
    host.choose("bag-eligibility", "buyers").await;
    host.wait_text(".bag-panel .note", |t| t.contains("无需购物"))
        .await;
    host.choose("bag-eligibility", "everyone").await;
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
    let host = Browser::host_console(&ts, 1280, 900).await;
    let resident = Browser::start(360, 800).await;
    resident
        .open(&format!("{}/show/{}", ts.http_url(), ts.show))
        .await;
    resident.wait_live().await;
    resident.sign_in("钱阿姨").await;

    // A product without a name is refused in words, before anything is sent.
    host.click("#product-save").await;
    host.wait_text("#product-problem", |t| t.contains("名称"))
        .await;

    // A photo from the host's device is shrunk, uploaded and shown.
    let photo = std::env::temp_dir().join(format!("mulin-potatoes-{}.png", std::process::id()));
    std::fs::write(&photo, mulin_tests::TINY_PNG).expect("photo written");
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

/// At the moderator's desk on a phone: a resident calls with the last four digits of their phone;
/// the moderator finds the order (the phone masked), cancels it with a reason, and the found order
/// reads cancelled without searching again; the resident is told why.
#[tokio::test]
async fn a_moderator_finds_an_order_by_phone_and_cancels_it_with_a_reason() {
    mulin_tests::browser::dist_is_built();
    let ts = TestServer::start().await;
    let mut resident = ts.client().await;
    let deal = resident.join_pinned(ts.show).await;
    resident.sign_in_as("孙奶奶", "13800138000").await;
    let ServerMsg::OrderAccepted { order, .. } = resident.order(deal, 1, "call-1").await else {
        panic!("the order");
    };

    let desk = Browser::start(360, 800).await;
    desk.open(&format!(
        "{}/show/{}/moderator?token={}",
        ts.http_url(),
        ts.show,
        ts.moderator_token
    ))
    .await;
    desk.type_into("#find-q", "8000").await;
    desk.click("#find-go").await;
    let row = format!("#find-results li[data-order='{}']", order.id);
    let found = desk.wait_text(&row, |t| t.contains("孙奶奶")).await;
    assert!(
        found.contains("138****8000") && found.contains(&order.pickup_code),
        "{found}"
    );
    assert!(
        !found.contains("13800138000"),
        "never the whole number: {found}"
    );
    desk.screenshot("moderator-find-360").await;
    // A one-show link says what it is for, instead of offering what it may not do.
    desk.wait_text("#one-show-link", |t| t.contains("只管这一场直播"))
        .await;
    for absent in ["#go-neighbours", "#go-counter", "#mutes-title"] {
        assert_eq!(desk.attr(absent, "id").await, None, "{absent}");
    }
    // On a phone the orders table is a list that fits: its code and cancel button in sight.
    let [_, _, right, _] = desk.rect("table.orders").await;
    assert!(right <= 360.0, "the orders table reaches {right} px");
    let [_, _, right, _] = desk
        .rect(&format!(
            "table.orders button[data-staff-cancel='{}']",
            order.id
        ))
        .await;
    assert!(right <= 360.0, "cancel reaches {right} px");

    desk.click(&format!("{row} button[data-staff-cancel]"))
        .await;
    desk.client
        .send_alert_text("货已售完，已退款")
        .await
        .expect("the prompt takes text");
    desk.client.accept_alert().await.expect("prompt accepted");
    desk.wait_attr(&row, "data-status", |s| s == "cancelled")
        .await;
    let told = resident
        .recv_until(|m| match m {
            ServerMsg::OrderCancelled { order } => order.cancel_reason.clone(),
            _ => None,
        })
        .await;
    assert_eq!(told, "货已售完，已退款");
    // Something nobody bought finds nothing, in words.
    desk.type_into("#find-q", "没有这个人").await;
    desk.click("#find-go").await;
    desk.wait_text("#find-none", |t| t.contains("没有找到"))
        .await;
    desk.close().await;
}

/// A staff moderator pauses a resident's orders from an order found at the desk (why, and for a
/// day), the resident is refused with `muted`, and lifting it from the list lets them buy again.
#[tokio::test]
async fn a_moderator_pauses_a_residents_orders_and_lifts_it() {
    use mulin_tests::staff::{demo_manager, staff_member};
    mulin_tests::browser::dist_is_built();
    let ts = TestServer::start().await;
    let (community, manager) = demo_manager(&ts).await;
    let (_, moderator) = staff_member(
        ts.addr(),
        community,
        &manager,
        "场控小陈",
        &[mulin_shared::Role::Moderator],
        &[],
    )
    .await;
    let mut resident = ts.client().await;
    let deal = resident.join_pinned(ts.show).await;
    resident.sign_in_as("钱大爷", "13700137000").await;
    let ServerMsg::OrderAccepted { order, .. } = resident.order(deal, 1, "first").await else {
        panic!("the order");
    };

    let desk = Browser::start(360, 800).await;
    desk.open(&format!(
        "{}/show/{}/moderator?token={moderator}",
        ts.http_url(),
        ts.show
    ))
    .await;
    desk.wait_text("#mutes-none", |t| t.contains("没有")).await;
    // A staff account has the community's links, and no one-show note.
    assert!(desk.attr("#go-neighbours", "href").await.is_some());
    assert_eq!(desk.attr("#one-show-link", "id").await, None);
    desk.type_into("#find-q", "7000").await;
    desk.click("#find-go").await;
    let pause = format!("button[data-mute-resident='{}']", order.resident);
    desk.click(&pause).await;
    // A form by the order asks why (required: she is shown it) and for how long.
    let form = format!("form[data-pause-form='{}']", order.resident);
    desk.click(&format!("{form} button[type=submit]")).await;
    desk.wait_text(&format!("{form} .field-error"), |t| t.contains("原因"))
        .await;
    desk.wait_attr(&format!("{form} .pause-reason"), "aria-invalid", |v| {
        v == "true"
    })
    .await;
    desk.type_into(&format!("{form} .pause-reason"), "三次下单未取货")
        .await;
    desk.click(&format!("{form} button[type=submit]")).await;
    desk.wait_text("#mute-list", |t| {
        t.contains("钱大爷") && t.contains("三次下单未取货") && t.contains("场控小陈")
    })
    .await;
    // For a day (the form's first choice), and her found order says she is paused.
    desk.wait_text("#mute-list", |t| t.contains("到 ")).await;
    desk.wait_text(&format!("[data-paused='{}']", order.resident), |t| {
        t.contains("已暂停")
    })
    .await;
    // The show's orders table marks her rows too.
    desk.wait_text(&format!("[data-paused-row='{}']", order.resident), |t| {
        t.contains("已暂停")
    })
    .await;
    desk.screenshot("moderator-mutes-360").await;
    resident
        .send(&ClientMsg::PlaceOrder {
            deal,
            qty: 1,
            pickup: 1,
            key: "paused".into(),
        })
        .await;
    assert_eq!(
        resident.next_error().await.0,
        mulin_shared::ErrorCode::Muted
    );

    desk.click("#mute-list button[data-lift]").await;
    desk.wait_text("#mutes-none", |t| t.contains("没有")).await;
    assert_eq!(
        desk.attr(&format!("[data-paused-row='{}']", order.resident), "class")
            .await,
        None,
        "lifted: her rows are no longer marked"
    );
    assert!(matches!(
        resident.order(deal, 1, "again").await,
        ServerMsg::OrderAccepted { .. }
    ));
    desk.close().await;
}
