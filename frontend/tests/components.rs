//! Component tests: parts of the widget rendered in headless Chromium (wasm-bindgen-test), fed by a
//! detached connection whose signals the test sets, and checked through the DOM a resident sees.
//! Run by `make test`; by hand: `make component-tests`.
#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use gloo_timers::future::sleep;
use leptos::prelude::*;
use mulin_frontend::components::{Countdown, DealCard, MyOrderList, SignIn, StockMeter};
use mulin_frontend::i18n::{Lang, LangSwitch, set_lang};
use mulin_frontend::socket::{Catalogue, Conn, Link, Me};
use mulin_shared::{
    Deal, DealStatus, ErrorCode, Order, OrderStatus, PickupPoint, Product, Role, Show, UtcMillis,
};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const NOW: UtcMillis = 1_800_000_000_000;

/// Renders `view` into a fresh element of the page and returns that element.
fn mount<V: IntoView + 'static>(view: impl FnOnce() -> V + 'static) -> web_sys::Element {
    let doc = document();
    let host = doc.create_element("div").expect("a div");
    doc.body()
        .expect("a body")
        .append_child(&host)
        .expect("appended");
    // The view lives as long as the page; each test checks its own element.
    leptos::mount::mount_to(host.clone().unchecked_into(), view).forget();
    host
}

/// Lets effects run and the DOM follow.
async fn settle() {
    sleep(Duration::from_millis(30)).await;
}

/// Waits (up to 3 s) for an element the view draws some tasks later (`draw_later`); timers in a
/// test page the browser sees as hidden may be slowed to one a second.
async fn drawn(root: &web_sys::Element, css: &str) -> web_sys::Element {
    for _ in 0..150 {
        if let Some(found) = find(root, css) {
            return found;
        }
        sleep(Duration::from_millis(20)).await;
    }
    panic!("{css} was never drawn");
}

fn find(root: &web_sys::Element, css: &str) -> Option<web_sys::Element> {
    root.query_selector(css).expect("a valid selector")
}

fn text(root: &web_sys::Element, css: &str) -> String {
    find(root, css)
        .unwrap_or_else(|| panic!("{css} is not on the page: {}", root.inner_html()))
        .text_content()
        .unwrap_or_default()
}

fn attr(root: &web_sys::Element, css: &str, name: &str) -> Option<String> {
    find(root, css).and_then(|e| e.get_attribute(name))
}

fn click(root: &web_sys::Element, css: &str) {
    find(root, css)
        .unwrap_or_else(|| panic!("{css} is not on the page"))
        .unchecked_into::<web_sys::HtmlElement>()
        .click();
}

fn type_into(root: &web_sys::Element, css: &str, value: &str) {
    let input: web_sys::HtmlInputElement = find(root, css)
        .unwrap_or_else(|| panic!("{css} is not on the page"))
        .unchecked_into();
    input.set_value(value);
    let event = web_sys::Event::new("input").expect("an input event");
    input.dispatch_event(&event).expect("dispatched");
}

fn catalogue() -> Catalogue {
    Catalogue {
        show: Show {
            id: 1,
            title: "周日丰收集市".into(),
            community: "和平花园社区".into(),
            status: mulin_shared::ShowStatus::Live,
            starts_at: 0,
            stream_url: String::new(),
        },
        version: 1,
        products: vec![Product {
            id: 1,
            name: "鲜食甜糯玉米".into(),
            description: "当天清晨现摘，甜糯多汁。".into(),
            origin: "吉林榆树".into(),
            unit: "5 根装".into(),
            normal_price: 1990,
            batch: "YS-1118-03".into(),
            picture: Some("/products/corn.svg".into()),
        }],
        pickup_points: vec![PickupPoint {
            id: 1,
            name: "老百姓大药房（和平路店）".into(),
            address: "和平路 88 号".into(),
            hours: "每天 8:00–21:00".into(),
        }],
    }
}

/// Wang's order of two units of deal 7 at the first pickup point.
fn order(id: i64, code: &str, status: OrderStatus) -> Order {
    Order {
        id,
        deal: 7,
        resident: 1,
        nickname: "王阿姨".into(),
        qty: 2,
        unit_price: 990,
        pickup: 1,
        pickup_code: code.into(),
        status,
        created_at: NOW,
        cancel_reason: None,
        product: 1,
        show: 1,
        placed_by: None,
        collect_by: None,
        handed: 0,
        pickup_qr: None,
    }
}

fn deal(sold: i64) -> Deal {
    Deal {
        id: 7,
        show: 1,
        product: 1,
        price: 990,
        stock: 10,
        sold,
        per_resident_limit: 2,
        starts_at: NOW - 60_000,
        ends_at: NOW + 65_000,
        status: DealStatus::Live,
    }
}

#[wasm_bindgen_test]
async fn the_deal_card_shows_the_deal_and_its_buy_button_in_either_language() {
    set_lang(Lang::Zh);
    let conn = Conn::detached();
    conn.catalogue.set(Some(catalogue()));
    let current = RwSignal::new(Some(deal(7)));
    let (now, set_now) = signal(NOW);
    let root = mount(move || {
        let deal = Memo::new(move |_| current.get());
        let choice = RwSignal::new(None);
        view! { <DealCard conn deal now choice /> }
    });
    settle().await;

    assert_eq!(text(&root, "#deal-name"), "鲜食甜糯玉米");
    let provenance = text(&root, "#deal-provenance");
    assert!(
        provenance.contains("吉林榆树") && provenance.contains("YS-1118-03"),
        "{provenance}"
    );
    assert_eq!(
        attr(&root, ".deal-picture", "src").as_deref(),
        Some("/products/corn.svg")
    );
    assert_eq!(text(&root, "#deal-price"), "¥9.90");
    assert_eq!(text(&root, "#stock-remaining"), "3");
    assert_eq!(text(&root, "#deal-limit"), "每人限购 2 件");
    assert_eq!(text(&root, ".countdown"), "还剩 01:05");
    // Where the chosen pickup point is, and when it opens.
    assert_eq!(
        text(&root, "#pickup-where"),
        "和平路 88 号 · 营业时间：每天 8:00–21:00"
    );
    // Signed out: "sign in to buy" stands where Buy would be, and leads to the page's form.
    let way_in = drawn(&root, "#sign-in-to-buy").await;
    assert_eq!(way_in.get_attribute("href").as_deref(), Some("#nickname"));
    assert!(find(&root, "#buy").is_none());

    conn.me.set(Some(Me {
        role: Role::Resident,
        roles: vec![Role::Resident],
        resident: Some(1),
        nickname: "王阿姨".into(),
    }));
    conn.link.set(Link::Online);
    settle().await;
    assert_eq!(text(&root, "#buy"), "立即购买 · ¥9.90");
    assert_eq!(attr(&root, "#buy", "disabled"), None);

    // The quantity stops at the per-resident limit.
    for _ in 0..3 {
        click(&root, "#qty-more");
        settle().await;
    }
    assert_eq!(text(&root, "#qty"), "2");
    assert!(attr(&root, "#qty-more", "disabled").is_some());
    assert_eq!(text(&root, "#buy"), "立即购买 · ¥19.80");

    set_lang(Lang::En);
    settle().await;
    assert_eq!(text(&root, "#buy"), "Buy now · ¥19.80");
    assert_eq!(text(&root, "#deal-limit"), "Limit 2 per resident");
    assert_eq!(text(&root, ".countdown"), "Ends in 01:05");

    // Sold out, then over: the button says so and cannot be pressed.
    current.set(Some(deal(10)));
    settle().await;
    assert_eq!(
        attr(&root, "#buy", "data-state").as_deref(),
        Some("sold_out")
    );
    assert_eq!(text(&root, "#buy"), "Sold out");
    assert!(attr(&root, "#buy", "disabled").is_some());
    current.set(Some(deal(8)));
    set_now.set(NOW + 70_000);
    settle().await;
    assert_eq!(attr(&root, "#buy", "data-state").as_deref(), Some("ended"));
    assert_eq!(text(&root, ".countdown"), "Ended");

    // Offline, Buy waits for the connection.
    set_now.set(NOW);
    conn.link.set(Link::Offline);
    settle().await;
    assert!(attr(&root, "#buy", "disabled").is_some());
    set_lang(Lang::Zh);
}

#[wasm_bindgen_test]
async fn sign_in_names_the_bad_field_in_the_residents_language() {
    set_lang(Lang::Zh);
    let conn = Conn::detached();
    conn.catalogue.set(Some(catalogue()));
    let root = mount(move || view! { <SignIn conn /> });
    settle().await;
    // The show's community is offered.
    let community: web_sys::HtmlInputElement = find(&root, "#community")
        .expect("community field")
        .unchecked_into();
    assert_eq!(community.value(), "和平花园社区");

    // Empty name first, then a phone number that is not one: each named at its field.
    click(&root, "#sign-in");
    settle().await;
    assert_eq!(
        text(&root, "#nickname-error"),
        "请填写 1 到 24 个字的称呼。"
    );
    assert_eq!(
        attr(&root, "#nickname", "aria-invalid").as_deref(),
        Some("true")
    );
    type_into(&root, "#nickname", "王阿姨");
    type_into(&root, "#phone", "12345");
    click(&root, "#sign-in");
    settle().await;
    assert!(find(&root, "#nickname-error").is_none());
    assert_eq!(
        attr(&root, "#phone", "aria-describedby").as_deref(),
        Some("phone-error")
    );
    assert_eq!(attr(&root, "#nickname", "aria-describedby"), None);
    assert!(
        text(&root, "#phone-error").starts_with("请填写中国大陆 11 位手机号"),
        "{}",
        root.inner_html()
    );
    set_lang(Lang::En);
    settle().await;
    assert!(text(&root, "#phone-error").starts_with("Please enter a mainland China mobile number"));

    // A good number clears it; a refusal from the server is shown at its field too.
    type_into(&root, "#phone", "+86 138 0013 8000");
    click(&root, "#sign-in");
    settle().await;
    assert!(find(&root, "#phone-error").is_none());
    conn.error
        .set(Some((ErrorCode::InvalidCommunity, "bad".into())));
    settle().await;
    assert_eq!(
        text(&root, "#community-error"),
        "Please enter your community (1 to 40 characters)."
    );
    set_lang(Lang::Zh);
}

#[wasm_bindgen_test]
async fn the_stock_meter_and_the_countdown_follow_their_signals() {
    set_lang(Lang::Zh);
    let remaining = RwSignal::new(5i64);
    let (now, set_now) = signal(NOW);
    let root = mount(move || {
        view! {
            <StockMeter remaining=remaining stock=Signal::derive(|| 20) />
            <span class="countdown"><Countdown ends_at=Signal::derive(|| NOW + 3_723_000) now /></span>
        }
    });
    settle().await;
    assert_eq!(attr(&root, ".meter", "aria-valuenow").as_deref(), Some("5"));
    assert_eq!(
        attr(&root, ".meter-fill", "style").as_deref(),
        Some("width: 25%")
    );
    assert_eq!(text(&root, ".stock-words"), "还剩 5 件 · 共 20 件");
    assert_eq!(text(&root, ".countdown"), "还剩 1:02:03");
    remaining.set(0);
    set_now.set(NOW + 3_723_000);
    settle().await;
    assert_eq!(
        attr(&root, ".meter-fill", "style").as_deref(),
        Some("width: 0%")
    );
    assert_eq!(text(&root, ".countdown"), "已结束");
}

#[wasm_bindgen_test]
async fn the_language_switch_changes_the_texts_and_the_page_language_and_is_remembered() {
    set_lang(Lang::Zh);
    let root = mount(|| view! { <LangSwitch /> });
    settle().await;
    let page_lang = || {
        document()
            .document_element()
            .and_then(|e| e.get_attribute("lang"))
    };
    assert_eq!(page_lang().as_deref(), Some("zh-CN"));
    assert_eq!(text(&root, "#lang"), "English");
    click(&root, "#lang");
    settle().await;
    assert_eq!(page_lang().as_deref(), Some("en"));
    assert_eq!(text(&root, "#lang"), "中文");
    let stored = window()
        .local_storage()
        .ok()
        .flatten()
        .and_then(|s| s.get_item("mulin.lang").ok().flatten());
    assert_eq!(stored.as_deref(), Some("en"));
    click(&root, "#lang");
    settle().await;
    assert_eq!(page_lang().as_deref(), Some("zh-CN"));
}

#[wasm_bindgen_test]
async fn my_orders_show_the_pickup_code_and_offer_cancel_only_before_pickup() {
    set_lang(Lang::Zh);
    let conn = Conn::detached();
    conn.catalogue.set(Some(catalogue()));
    let order = |id, status| order(id, &format!("90110{id}"), status);
    // One bought in an earlier show of the community: named, with its day; shown at the counter,
    // but cancelled in its own show.
    let earlier = Order {
        show: 0,
        deal: 3,
        created_at: NOW - 7 * 86_400_000,
        ..order(4, OrderStatus::Accepted)
    };
    let orders = RwSignal::new(vec![
        order(1, OrderStatus::Accepted),
        order(2, OrderStatus::Cancelled),
        order(3, OrderStatus::PickedUp),
        earlier,
    ]);
    let root = mount(move || view! { <MyOrderList conn orders=orders.into() /> });
    settle().await;
    let row = |id: i64| format!(".my-order[data-order='{id}']");
    assert!(text(&root, &row(1)).contains("901101"));
    // The code says what it is.
    assert!(text(&root, &row(1)).contains("取货码"));
    assert!(text(&root, &row(1)).contains("待到货"));
    assert!(text(&root, &row(1)).contains("老百姓大药房（和平路店）"));
    assert!(find(&root, &format!("{} button", row(1))).is_some());
    assert!(text(&root, &row(2)).contains("已取消"));
    assert!(find(&root, &format!("{} button", row(2))).is_none());
    assert!(text(&root, &row(3)).contains("已取货"));
    assert!(find(&root, &format!("{} button", row(3))).is_none());
    assert_eq!(
        attr(&root, &format!("{} [data-cancel]", row(1)), "aria-label").as_deref(),
        Some("取消订单 901101")
    );
    assert_eq!(
        attr(&root, &format!("{} [data-counter]", row(1)), "aria-label").as_deref(),
        Some("到店出示取货码 901101")
    );
    let before = text(&root, &row(4));
    assert!(
        before.contains("鲜食甜糯玉米") && before.contains("往期直播"),
        "{before}"
    );
    assert!(find(&root, &format!("{} [data-counter]", row(4))).is_some());
    assert!(find(&root, &format!("{} [data-cancel]", row(4))).is_none());
}

#[wasm_bindgen_test]
async fn the_counter_view_shows_the_code_large_with_where_and_when_and_prizes_stay_listed() {
    set_lang(Lang::Zh);
    let conn = Conn::detached();
    conn.catalogue.set(Some(catalogue()));
    conn.me.set(Some(Me {
        role: Role::Resident,
        roles: vec![Role::Resident],
        resident: Some(1),
        nickname: "王阿姨".into(),
    }));
    let orders = RwSignal::new(vec![order(5, "482913", OrderStatus::Accepted)]);
    let root = mount(move || view! { <MyOrderList conn orders=orders.into() /> });
    settle().await;
    assert!(find(&root, ".counter-view").is_none());
    click(&root, "[data-counter='o5']");
    settle().await;
    let sheet = text(&root, ".counter-view[role=dialog]");
    assert_eq!(text(&root, "#counter-code"), "482913");
    assert!(sheet.contains("请把这个页面给店员看"), "{sheet}");
    assert!(sheet.contains("王阿姨"), "{sheet}");
    assert!(sheet.contains("× 2"), "{sheet}");
    // Where and when: the store's name, address and hours.
    let point = &catalogue().pickup_points[0];
    assert!(sheet.contains(&point.name), "{sheet}");
    assert!(sheet.contains(&point.address), "{sheet}");
    assert!(
        sheet.contains(&format!("营业时间：{}", point.hours)),
        "{sheet}"
    );
    // Focus goes to the way back, and back to the button that opened the view.
    sleep(Duration::from_millis(60)).await;
    let focused = || {
        document()
            .active_element()
            .and_then(|e| e.get_attribute("id"))
    };
    assert_eq!(focused().as_deref(), Some("counter-close"));
    // Picked up meanwhile: the view says so.
    orders.update(|o| o[0].status = OrderStatus::PickedUp);
    settle().await;
    assert!(text(&root, ".counter-view").contains("已取货"));
    click(&root, "#counter-close");
    sleep(Duration::from_millis(60)).await;
    assert!(find(&root, ".counter-view").is_none());
    assert_eq!(
        document()
            .active_element()
            .and_then(|e| e.get_attribute("data-counter")),
        None,
        "a picked-up order has no counter button to return to"
    );

    // A prize won in a lucky bag is listed with its claim code, and stays when more are won.
    conn.prizes.set(vec![mulin_shared::Prize {
        bag: 3,
        prize: "五常大米 5kg".into(),
        pickup: 1,
        claim_code: "771204".into(),
    }]);
    settle().await;
    let prize = text(&root, ".my-order.prize[data-prize='3']");
    assert!(prize.contains("五常大米 5kg") && prize.contains("771204") && prize.contains("领奖码"));
    conn.prizes.update(|p| {
        p.push(mulin_shared::Prize {
            bag: 4,
            prize: "土鸡蛋 30枚".into(),
            pickup: 1,
            claim_code: "100200".into(),
        })
    });
    settle().await;
    assert!(find(&root, ".my-order.prize[data-prize='3']").is_some());
    click(&root, "[data-counter='p4']");
    settle().await;
    assert_eq!(text(&root, "#counter-code"), "100200");
    assert!(text(&root, ".counter-view").contains("领奖码"));
}

#[wasm_bindgen_test]
async fn signed_out_my_orders_says_to_sign_in() {
    set_lang(Lang::Zh);
    let conn = Conn::detached();
    let orders = RwSignal::new(Vec::<Order>::new());
    let root = mount(move || view! { <MyOrderList conn orders=orders.into() /> });
    settle().await;
    assert!(text(&root, ".empty").contains("登录后"));
    conn.me.set(Some(Me {
        role: Role::Resident,
        roles: vec![Role::Resident],
        resident: Some(1),
        nickname: "王阿姨".into(),
    }));
    settle().await;
    assert_eq!(text(&root, ".empty"), "还没有订单。");
}
