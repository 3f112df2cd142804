//! The resident widget in real Chromium on a 360×740 phone: any deal on sale can be bought, not
//! only the pinned one; a new pin never swaps the card mid-purchase; the first screen shows how to
//! buy; every control is a full tap target; a resident can change their name and sign out.

use mulin_shared::{ClientMsg, ServerMsg};
use mulin_tests::TestServer;
use mulin_tests::browser::Browser;

#[tokio::test]
async fn any_deal_on_sale_can_be_bought_and_a_new_pin_waits_for_the_answer() {
    let ts = TestServer::start().await;
    let mut host = ts.host().await;
    // The demo deal is pinned; a second deal goes on sale unpinned.
    let demo = host.join(ts.show).await.pinned.expect("demo deal pinned");
    let eggs = host.launch_deal(3, 1590, 30, 2).await;
    host.send(&ClientMsg::PinDeal { deal: Some(demo) }).await;
    host.recv_until(|m| matches!(m, ServerMsg::DealPinned { .. }).then_some(()))
        .await;
    let page = Browser::resident(&ts, 360, 740).await;
    // Before sign-in, "sign in to buy" is on the first screen: a 360×740 phone shows 684 px of
    // the page under its browser's address bar.
    page.wait_attr("#sign-in-to-buy", "id", |_| true).await;
    let [_, top, _, bottom] = page.rect("#sign-in-to-buy").await;
    assert!(
        bottom <= 684.0,
        "sign in to buy at {top}–{bottom}, below the first screen"
    );
    page.screenshot("resident-360-signed-out").await;
    page.sign_in("买鸡蛋的孙").await;
    // The unpinned deal on sale opens from the list, and is bought.
    let row = format!("button[data-open='{}']", eggs.id);
    page.wait_attr(&row, "data-open", |_| true).await;
    page.screenshot("resident-360-two-deals").await;
    page.click(&row).await;
    page.wait_text("#deal-name", |t| t.contains("鸡蛋")).await;
    // The whole card comes into view, picture and all, not cut at its title.
    let mut top = f64::MIN;
    for _ in 0..20 {
        top = page.rect(".card.deal").await[1];
        if (0.0..=40.0).contains(&top) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!((0.0..=40.0).contains(&top), "the card's top is at {top}");
    // A double tap (the answer comes back between the two taps) is one order.
    page.client
        .execute(
            "const b = document.getElementById('buy'); b.click(); \
             setTimeout(() => document.getElementById('buy').click(), 400);",
            vec![],
        )
        .await
        .expect("double tap");
    page.wait_attr("#purchase", "data-state", |s| s == "accepted")
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(1_000)).await;
    let eggs_orders = ts
        .server
        .store()
        .show_orders(ts.show, 50)
        .await
        .expect("orders")
        .into_iter()
        .filter(|o| o.deal == eggs.id)
        .count();
    assert_eq!(eggs_orders, 1, "a double tap made one order");
    // The host pins another deal: the card stays on the one bought, with its answer, and offers the
    // new pick.
    host.send(&ClientMsg::PinDeal { deal: Some(demo) }).await;
    host.send(&ClientMsg::PinDeal { deal: None }).await;
    host.send(&ClientMsg::PinDeal { deal: Some(demo) }).await;
    page.wait_attr("#offer", "data-deal", |d| d == demo.to_string())
        .await;
    page.wait_text("#deal-name", |t| t.contains("鸡蛋")).await;
    page.wait_attr("#purchase", "data-state", |s| s == "accepted")
        .await;
    page.click("#offer").await;
    page.wait_text("#deal-name", |t| t.contains("玉米")).await;
    // The answer under one deal does not follow the card to another.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_ne!(
        page.attr("#purchase", "data-state")
            .await
            .flatten()
            .as_deref(),
        Some("accepted"),
        "the eggs' answer does not show under the corn"
    );
    page.close().await;
}

#[tokio::test]
async fn controls_are_full_tap_targets_and_a_resident_can_rename_and_sign_out() {
    let ts = TestServer::start().await;
    let page = Browser::resident(&ts, 360, 740).await;
    page.sign_in("钱阿姨").await;
    // Every button a resident can tap is at least 48 px tall; with A+, text grows by a third.
    let smallest = || async {
        page.client
            .execute(
                "return Math.min(...[...document.querySelectorAll('main button, main select, main input')]\
                 .filter(e => e.offsetParent !== null).map(e => e.getBoundingClientRect().height));",
                vec![],
            )
            .await
            .expect("measured")
            .as_f64()
            .expect("a number")
    };
    assert!(
        smallest().await >= 48.0,
        "a control under 48 px: {}",
        smallest().await
    );
    page.click("#large-text").await;
    let size: f64 = page
        .client
        .execute(
            "return parseFloat(getComputedStyle(document.documentElement).fontSize);",
            vec![],
        )
        .await
        .expect("font size")
        .as_f64()
        .expect("a number");
    assert!(size >= 16.0 * 4.0 / 3.0, "A+ text is {size} px");
    assert!(smallest().await >= 48.0);
    page.screenshot("resident-360-large").await;
    page.click("#large-text").await;

    // A new name, through the browser's own prompt.
    page.click("#rename").await;
    page.client
        .send_alert_text("钱姨")
        .await
        .expect("the prompt takes text");
    page.client.accept_alert().await.expect("prompt accepted");
    page.wait_text("#account-title", |t| t.contains("钱姨"))
        .await;
    // Signing out asks first, then the page is signed out and the session is gone.
    let token = page
        .client
        .execute("return localStorage.getItem('mulin.token');", vec![])
        .await
        .expect("token")
        .as_str()
        .expect("text")
        .to_owned();
    page.click("#sign-out").await;
    page.client.accept_alert().await.expect("confirmed");
    page.wait_attr("#sign-in-to-buy", "id", |_| true).await;
    // The form to sign in again comes with it (drawn a task after the card), once.
    page.wait_attr("#nickname", "id", |_| true).await;
    let forms = page
        .client
        .execute(
            "return document.querySelectorAll('form.signin').length;",
            vec![],
        )
        .await
        .expect("forms counted");
    assert_eq!(
        forms.as_i64(),
        Some(1),
        "one sign-in form after signing out"
    );
    let mut later = ts.client().await;
    assert!(matches!(
        later.resume(&token).await,
        ServerMsg::Error { .. }
    ));
    page.close().await;
}

#[tokio::test]
async fn after_a_purchase_the_count_shown_is_what_the_limit_still_allows() {
    let ts = TestServer::start().await;
    ts.host().await.launch_deal(4, 6990, 20, 5).await;
    let page = Browser::resident(&ts, 360, 740).await;
    page.sign_in("限购陈").await;
    page.wait_text("#deal-limit", |t| t == "每人限购 5 件")
        .await;
    page.click("#qty-more").await;
    page.click("#qty-more").await;
    page.wait_text("#qty", |t| t == "3").await;
    page.click("#buy").await;
    page.wait_attr("#purchase", "data-state", |s| s == "accepted")
        .await;
    // Three of five bought: the count drops to the two left, and the button's price with it, so a
    // second tap buys what it shows.
    page.wait_text("#qty", |t| t == "2").await;
    page.wait_text("#buy", |t| t.contains("¥139.80")).await;
    page.close().await;
}

#[tokio::test]
async fn a_second_purchase_past_the_limit_is_refused_in_words() {
    let ts = TestServer::start().await;
    ts.host().await.launch_deal(4, 6990, 20, 5).await;
    let page = Browser::resident(&ts, 360, 740).await;
    page.wait_text("#stock-remaining", |t| t == "20").await;
    page.sign_in("限购刘").await;
    page.wait_text("#deal-limit", |t| t == "每人限购 5 件")
        .await;
    page.click("#qty-more").await;
    page.wait_text("#qty", |t| t == "2").await;
    page.click("#buy").await;
    page.wait_attr("#purchase", "data-state", |s| s == "accepted")
        .await;
    page.wait_text("#stock-remaining", |t| t == "18").await;
    // Two of five bought: the page says three more, and the picker offers no more than three.
    page.wait_text("#deal-limit", |t| t.contains("您已买 2 件，还能买 3 件"))
        .await;
    for _ in 0..4 {
        if page.attr("#qty-more", "disabled").await == Some(None) {
            page.click("#qty-more").await;
        }
    }
    page.wait_text("#qty", |t| t == "3").await;
    page.wait_attr("#qty-more", "disabled", |_| true).await;

    // The same resident buys one more on another device, which this page does not know of: the
    // server refuses three here, and the page says how many are really left.
    let token = page
        .client
        .execute("return localStorage.getItem('mulin.token');", vec![])
        .await
        .expect("token read")
        .as_str()
        .expect("a token")
        .to_owned();
    let mut other = ts.client().await;
    other.join(ts.show).await;
    other.resume(&token).await;
    let deal = other.join(ts.show).await.pinned.expect("pinned");
    assert!(matches!(
        other.order(deal, 1, "other-device").await,
        ServerMsg::OrderAccepted { .. }
    ));
    page.wait_text("#stock-remaining", |t| t == "17").await;
    // A tap right after an accepted order is taken for a double tap: the next purchase is a
    // moment later.
    tokio::time::sleep(std::time::Duration::from_millis(1_600)).await;
    page.click("#buy").await;
    page.wait_attr("#purchase", "data-state", |s| s == "limit")
        .await;
    page.wait_text("#purchase", |t| {
        t == "每人限购 5 件，您已买 3 件，最多还能买 2 件。"
    })
    .await;
    page.wait_text("#stock-remaining", |t| t == "17").await;
    let orders = ts
        .server
        .store()
        .show_orders(ts.show, 10)
        .await
        .expect("orders readable");
    assert_eq!(orders.len(), 2, "the refused purchase stored nothing");
    page.screenshot("resident-360-limit-reached").await;

    // A moderator cancels this page's order at the resident's request: the page shows it
    // cancelled at once, the units are back, and the resident may buy again.
    let mine = orders
        .iter()
        .find(|o| o.qty == 2)
        .expect("the page's order");
    let mut moderator = ts.client().await;
    moderator.join(ts.show).await;
    moderator.resume(&ts.moderator_token).await;
    moderator
        .send(&ClientMsg::CancelOrder {
            order: mine.id,
            reason: None,
        })
        .await;
    page.wait_attr(".my-order", "data-status", |s| s == "cancelled")
        .await;
    page.wait_text(".my-order", |t| t.contains("已取消")).await;
    page.wait_text("#stock-remaining", |t| t == "19").await;
    page.click("#buy").await;
    page.wait_attr("#purchase", "data-state", |s| s == "accepted")
        .await;
    page.close().await;
}

/// The host opens a lucky bag for everyone, closing in ten minutes; returns its id.
async fn open_bag(host: &mut mulin_tests::Client, prize: &str) -> i64 {
    host.send(&ClientMsg::OpenBag {
        prize: prize.into(),
        winners: 10,
        closes_at: mulin_backend::now_ms() + 600_000,
        eligibility: mulin_shared::Eligibility::Everyone,
        pickup: 1,
    })
    .await;
    host.recv_until(|m| match m {
        ServerMsg::BagOpened { bag } => Some(bag.id),
        ServerMsg::Error { code, message, .. } => panic!("bag refused: {code:?} {message}"),
        _ => None,
    })
    .await
}

#[tokio::test]
async fn a_prize_stays_in_my_orders_after_the_next_bag_and_every_code_shows_large_at_the_counter() {
    let ts = TestServer::start().await;
    let mut host = ts.host().await;
    host.join(ts.show).await;
    let page = Browser::resident(&ts, 360, 740).await;
    page.sign_in("中奖的周").await;
    // Where the chosen pickup point is, under the choice.
    let place = page.wait_text("#pickup-where", |t| !t.is_empty()).await;
    assert!(place.contains("路"), "an address: {place}");
    page.click("#buy").await;
    page.wait_attr("#purchase", "data-state", |s| s == "accepted")
        .await;
    let order_code = page.wait_text(".my-order .code", |t| t.len() == 6).await;

    // A bag is won: its claim code joins My orders.
    let first = open_bag(&mut host, "五常大米 5kg").await;
    // The bag's card is below the deal: the top of the page says it is open, and leads to it.
    page.wait_text("#bag-offer", |t| t.contains("五常大米"))
        .await;
    let _ = page.client.execute("window.scrollTo(0, 0);", vec![]).await;
    page.screenshot("resident-360-bag-offer").await;
    page.click("#bag-offer").await;
    page.click("#bag-enter").await;
    page.wait_attr("#bag-state", "data-state", |s| s == "entered")
        .await;
    assert_eq!(
        page.attr("#bag-offer", "href").await,
        None,
        "entered: nothing more to offer"
    );
    host.send(&ClientMsg::CloseBag { bag: first }).await;
    let prize = page
        .wait_text(".my-order.prize", |t| t.contains("五常大米"))
        .await;
    assert!(prize.contains("领奖码"), "{prize}");
    let claim_code = page
        .wait_text(".my-order.prize .code", |t| t.len() == 6)
        .await;

    // The next bag opens: the card shows it, and the prize is still listed with its code.
    open_bag(&mut host, "土鸡蛋 30 枚").await;
    page.wait_text(".bag-head", |t| t.contains("土鸡蛋")).await;
    let still = page
        .wait_text(".my-order.prize", |t| t.contains("五常大米"))
        .await;
    assert!(still.contains(&claim_code), "{still}");

    let _ = page
        .client
        .execute(
            "document.getElementById('my-orders').scrollIntoView({block: 'start'});",
            vec![],
        )
        .await;
    page.screenshot("resident-360-my-orders").await;

    // Each code shows large at the counter, with where and when to collect it, and back.
    page.click(".my-order.prize [data-counter]").await;
    page.wait_text("#counter-code", |t| t == claim_code).await;
    let [left, top, right, bottom] = page.rect("#counter-code").await;
    // Large, and on one line (two lines would be twice as tall).
    assert!(
        (50.0..100.0).contains(&(bottom - top)),
        "the code is {} px tall",
        bottom - top
    );
    assert!(
        left >= 0.0 && right <= 360.0,
        "the code fits: {left}–{right}"
    );
    assert!(!page.scrolls_sideways().await);
    page.screenshot("resident-360-counter-prize").await;
    // The phone's Back closes it, as it would a page.
    page.client.back().await.expect("back");
    for _ in 0..40 {
        if page.attr(".counter-view", "role").await.is_none() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(page.attr(".counter-view", "role").await, None);
    page.click(".my-order[data-order] [data-counter]").await;
    let sheet = page
        .wait_text(".counter-view", |t| t.contains(&order_code))
        .await;
    assert!(
        sheet.contains("取货码") && sheet.contains("中奖的周"),
        "{sheet}"
    );
    assert!(
        sheet.contains("营业时间"),
        "the demo's stores have hours: {sheet}"
    );
    page.screenshot("resident-360-counter").await;
    page.click("#counter-close").await;
    page.wait_attr(".my-orders", "class", |_| true).await;
    assert_eq!(
        page.attr(".counter-view", "role").await,
        None,
        "the counter view is gone after Back"
    );
    page.close().await;
}

#[tokio::test]
async fn a_launch_while_a_resident_is_choosing_is_offered_not_swapped_in() {
    let ts = TestServer::start().await;
    let mut host = ts.host().await;
    host.join(ts.show).await;
    let page = Browser::resident(&ts, 360, 740).await;
    page.sign_in("挑数量的吴").await;
    page.wait_text("#deal-name", |t| t.contains("玉米")).await;
    // The resident starts choosing: two of the corn.
    page.click("#qty-more").await;
    page.wait_text("#qty", |t| t == "2").await;
    // The host launches (and so pins) the eggs: the card stays on the corn, quantity and all, and
    // offers the eggs above it.
    let eggs = host.launch_deal(3, 1590, 30, 2).await;
    page.wait_attr("#offer", "data-deal", |d| d == eggs.id.to_string())
        .await;
    assert!(
        page.wait_text("#deal-name", |_| true)
            .await
            .contains("玉米")
    );
    assert_eq!(page.wait_text("#qty", |_| true).await, "2");
    page.click("#offer").await;
    page.wait_text("#deal-name", |t| t.contains("鸡蛋")).await;
    page.close().await;
}

/// While the server cannot save anything (here its database file was moved away under it: the
/// same refusal as a full disk, without needing root), Buy is answered in words the resident can
/// act on, nothing is stored, and tapping Buy again once the store writes orders exactly once.
#[tokio::test]
async fn a_purchase_while_the_store_cannot_write_says_so_and_the_retry_orders_once() {
    let ts = TestServer::start().await;
    ts.host().await.launch_deal(4, 6990, 20, 5).await;
    let page = Browser::resident(&ts, 360, 740).await;
    page.wait_text("#stock-remaining", |t| t == "20").await;
    page.sign_in("重试王").await;

    let away = ts.db.with_extension("away");
    std::fs::rename(&ts.db, &away).expect("database moved away");
    page.click("#buy").await;
    page.wait_attr("#purchase", "data-state", |s| s == "failed")
        .await;
    page.wait_attr("#purchase", "data-code", |s| s == "store_unavailable")
        .await;
    page.wait_text("#purchase", |t| {
        t.contains("系统暂时保存不了") && t.contains("请再点一次购买")
    })
    .await;
    page.wait_text("#stock-remaining", |t| t == "20").await;
    page.screenshot("resident-360-store-unavailable").await;

    std::fs::rename(&away, &ts.db).expect("database back");
    page.click("#buy").await;
    page.wait_attr("#purchase", "data-state", |s| s == "accepted")
        .await;
    page.wait_text("#stock-remaining", |t| t == "19").await;
    let orders = ts
        .server
        .store()
        .show_orders(ts.show, 10)
        .await
        .expect("orders readable");
    assert_eq!(
        orders.len(),
        1,
        "one order for the failed tap and its retry"
    );
    page.close().await;
}
