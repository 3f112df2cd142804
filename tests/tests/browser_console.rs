//! The host console and the resident's sign-in in real Chromium: host actions that are safe to
//! repeat and guarded against slips, and a second device that proves the phone with the texted
//! code. Screenshots go to target/screenshots/.

use mulin_shared::{DealStatus, ServerMsg};
use mulin_tests::browser::Browser;
use mulin_tests::{TestServer, fresh_phone, sms_log};

/// The deals of product `product` a fresh viewer sees.
async fn deals_of(ts: &TestServer, product: i64) -> Vec<mulin_shared::Deal> {
    let mut c = ts.client().await;
    c.join(ts.show)
        .await
        .deals
        .into_iter()
        .filter(|d| d.product == product)
        .collect()
}

#[tokio::test]
async fn the_host_console_guards_against_slips_and_a_double_click_launches_once() {
    let ts = TestServer::start().await;
    let host = Browser::host_console(&ts, 1280, 900).await;
    host.wait_attr("#launch-product", "id", |_| true).await;
    // Product 2's everyday price; the form's product list starts with product 1.
    host.client
        .execute(
            "const s = document.getElementById('launch-product'); s.value = '2'; \
             s.dispatchEvent(new Event('change', { bubbles: true }));",
            vec![],
        )
        .await
        .expect("product chosen");
    // A limit above the stock is named before anything is sent.
    host.type_into("#launch-price", "5.00").await;
    host.type_into("#launch-stock", "3").await;
    host.type_into("#launch-limit", "5").await;
    host.click("#launch").await;
    host.wait_text("#launch-problem", |t| t.contains("比库存"))
        .await;
    host.type_into("#launch-stock", "0").await;
    host.click("#launch").await;
    host.wait_text("#launch-problem", |t| t.contains("至少要 1 件"))
        .await;
    // A start that has passed.
    host.type_into("#launch-stock", "40").await;
    host.type_into("#launch-limit", "2").await;
    host.client
        .execute(
            "const i = document.getElementById('launch-start'); i.value = '2020-01-01T10:00'; \
             i.dispatchEvent(new Event('input', { bubbles: true }));",
            vec![],
        )
        .await
        .expect("start typed");
    host.click("#launch").await;
    host.wait_text("#launch-problem", |t| t.contains("已经过了"))
        .await;
    host.client
        .execute(
            "const i = document.getElementById('launch-start'); i.value = ''; \
             i.dispatchEvent(new Event('input', { bubbles: true }));",
            vec![],
        )
        .await
        .expect("start cleared");
    // A price at or above the everyday price asks for a second tap.
    host.type_into("#launch-price", "999").await;
    host.click("#launch").await;
    host.wait_text("#launch-problem", |t| t.contains("不低于日常价"))
        .await;
    host.wait_text("#launch", |t| t.contains("仍按此价")).await;
    assert!(deals_of(&ts, 2).await.is_empty(), "nothing launched yet");
    // A sensible price, clicked twice in a row: one deal.
    host.type_into("#launch-price", "6.60").await;
    host.client
        .execute(
            "const b = document.getElementById('launch'); b.click(); b.click();",
            vec![],
        )
        .await
        .expect("double click");
    let mut viewer = ts.client().await;
    viewer.join(ts.show).await;
    let deal = viewer
        .recv_until(|m| match m {
            ServerMsg::Room(r) => r.deals.iter().find(|d| d.product == 2).cloned(),
            _ => None,
        })
        .await;
    assert_eq!((deal.price, deal.stock), (660, 40));
    // The form starts afresh once launched.
    let mut price = String::from("?");
    for _ in 0..100 {
        price = host
            .client
            .execute(
                "return document.getElementById('launch-price').value;",
                vec![],
            )
            .await
            .expect("read")
            .as_str()
            .unwrap_or("?")
            .to_owned();
        if price.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(price, "", "the price field is cleared after the launch");
    // And says what went out.
    host.wait_text("#launch-done", |t| {
        t.contains("已开抢") && t.contains("40 件")
    })
    .await;
    assert_eq!(
        deals_of(&ts, 2).await.len(),
        1,
        "the double click launched once"
    );
    host.screenshot("console-desktop").await;

    // Ending asks first; declined, nothing happens; accepted, the deal ends.
    let row = format!("li[data-deal='{}']", deal.id);
    host.click(&format!("{row} button.end")).await;
    host.client
        .dismiss_alert()
        .await
        .expect("a confirm to decline");
    host.click(&format!("{row} button.end")).await;
    host.client
        .accept_alert()
        .await
        .expect("a confirm to accept");
    host.wait_attr(&row, "data-stand", |s| s == "ended").await;
    let ended = deals_of(&ts, 2).await;
    assert_eq!(ended[0].status, DealStatus::Ended);
    host.close().await;

    // On a phone: the live deals come before the forms.
    let phone = Browser::host_console(&ts, 360, 740).await;
    phone.wait_attr("#launch-form", "id", |_| true).await;
    let deals = phone.rect("#deals-title").await;
    let form = phone.rect("#launch-form").await;
    assert!(
        deals[1] < form[1],
        "deals {deals:?} above the launch form {form:?}"
    );
    assert!(!phone.scrolls_sideways().await);
    // Every button in a deal's row is a full tap target.
    let [_, top, _, bottom] = phone.rect("li[data-deal] button").await;
    assert!(
        bottom - top >= 48.0,
        "a row button is {} px tall",
        bottom - top
    );
    phone.screenshot("console-phone").await;

    // A deal pinned or selling out keeps its place in the list (a row moving under the host's
    // thumb sends the next tap to another deal); it is marked sold out.
    let mut api = ts.host().await;
    api.join(ts.show).await;
    let scarce = api.launch_deal(3, 990, 1, 1).await;
    let pinned = api.launch_deal(4, 1990, 5, 1).await;
    let scarce_row = format!("li[data-deal='{}']", scarce.id);
    // Both on sale (a deal launched "now" may read as coming up for a moment on a clock that runs
    // a little behind the server's).
    phone
        .wait_attr(
            &format!("li[data-deal='{}']", pinned.id),
            "data-stand",
            |s| s == "on_sale",
        )
        .await;
    phone
        .wait_attr(&scarce_row, "data-stand", |s| s == "on_sale")
        .await;
    let order = || async {
        phone
            .client
            .execute(
                "return [...document.querySelectorAll('li[data-deal]')].map(e => e.dataset.deal);",
                vec![],
            )
            .await
            .expect("rows read")
    };
    let before = order().await;
    // Pinning it from the console keeps it in its place too.
    phone.click(&format!("{scarce_row} button.pin")).await;
    phone
        .wait_attr(&format!("{scarce_row} button.unpin"), "class", |_| true)
        .await;
    assert_eq!(order().await, before, "pinning moved the rows");
    let mut buyer = ts.client().await;
    buyer.join(ts.show).await;
    buyer.sign_in("买最后一件").await;
    buyer.order(scarce.id, 1, "last").await;
    phone
        .wait_attr(&scarce_row, "data-stand", |s| s == "sold_out")
        .await;
    assert_eq!(order().await, before, "the rows stay where they were");
    phone.close().await;
}

#[tokio::test]
async fn a_second_device_proves_the_phone_with_the_texted_code() {
    let ts = TestServer::start().await;
    let phone = fresh_phone();
    // The number's first sign-in (here over the protocol) buys once.
    let mut first = ts.client().await;
    first.join(ts.show).await;
    first.sign_in_with("王阿姨", &phone, None).await;
    let deal = first.join(ts.show).await.pinned.expect("demo deal");
    let ServerMsg::OrderAccepted { order, .. } = first.order(deal, 1, "first").await else {
        panic!("the first device's order is accepted");
    };
    let code = order.pickup_code;
    // A new phone: the same number asks for the code, shown masked.
    let page = Browser::start(360, 740).await;
    page.open(&format!("{}/show/{}", ts.http_url(), ts.show))
        .await;
    page.wait_attr("#nickname", "id", |_| true).await;
    page.type_into("#nickname", "王阿姨").await;
    page.type_into("#phone", &phone).await;
    page.click("#sign-in").await;
    let masked = format!("{}****{}", &phone[..3], &phone[7..]);
    page.wait_text("#code-sent", |t| t.contains(&masked)).await;
    page.wait_text("#resend-code", |t| t.contains("秒后")).await;
    // The cursor waits in the code box, which is empty (no sample digits to mistake for a code).
    let mut focused = String::new();
    for _ in 0..40 {
        focused = page.focused().await;
        if focused == "code" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(focused, "code");
    assert_eq!(page.attr("#code", "placeholder").await, Some(None));
    page.screenshot("sign-in-code-360").await;
    // A wrong code is named; the right one signs in as the same resident, orders and all.
    let texted = sms_log::latest(&phone).await;
    let wrong = if texted == "000000" {
        "111111"
    } else {
        "000000"
    };
    page.type_into("#code", wrong).await;
    page.click("#sign-in").await;
    page.wait_text("#code-error", |t| t.contains("验证码不对"))
        .await;
    page.type_into("#code", &texted).await;
    page.click("#sign-in").await;
    page.wait_attr("#buy", "data-state", |s| !s.is_empty())
        .await;
    page.wait_text(".my-orders", |t| t.contains(&code)).await;
    page.close().await;
}

#[tokio::test]
async fn every_sign_in_mistake_is_named_at_once() {
    let ts = TestServer::start().await;
    let page = Browser::start(360, 740).await;
    page.open(&format!("{}/show/{}", ts.http_url(), ts.show))
        .await;
    page.wait_attr("#nickname", "id", |_| true).await;
    page.type_into("#phone", "12345").await;
    page.type_into("#community", " ").await;
    page.click("#sign-in").await;
    for field in ["nickname", "phone", "community"] {
        page.wait_attr(&format!("#{field}"), "aria-invalid", |v| v == "true")
            .await;
        page.wait_text(&format!("#{field}-error"), |t| !t.is_empty())
            .await;
    }
    page.close().await;
}
