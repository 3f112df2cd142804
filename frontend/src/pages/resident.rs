//! The resident's widget: the deal on the card, sign-in, the show's other deals, and "my orders".
//!
//! The card shows, in turn: the deal being bought (until its answer: a new pin never swaps it away
//! under the resident's finger), the deal the resident chose from the list, the pinned deal, or
//! else the first deal on sale or coming up — so "nothing on sale" never shows while something is.
//! When the host pins another deal than the one on the card, the card offers it.

use leptos::prelude::*;
use mulin_shared::{BagPhase, Deal, DealId, DealStatus, ShowId, ShowStatus, UtcMillis};

use crate::components::{
    AccountBar, DealCard, LargeTextToggle, MyOrderList, ShowBar, ShowDeals, SignIn,
};
use crate::i18n::LangSwitch;
use crate::i18n::txt;
use crate::socket::{Conn, Purchase};
use crate::{clock_span, draw_later, escape, local_hm, server_clock, tr};
use wasm_bindgen::JsCast;

/// Whether a deal can still be bought or is still to come.
fn live(deal: &Deal, now: UtcMillis) -> bool {
    deal.status == DealStatus::Live && deal.ends_at > now
}

/// The widget residents see beside the stream.
#[component]
pub fn ResidentPage(show: ShowId) -> impl IntoView {
    let conn = Conn::open_resident(show);
    let now = server_clock(conn);
    // The deal the resident picked from the list (or is buying).
    let choice = RwSignal::new(None::<DealId>);
    let shown: Memo<Option<Deal>> = Memo::new(move |_| {
        let now = now.get();
        let buying = match conn.purchase.get() {
            Purchase::Waiting { deal, .. } => Some(deal),
            _ => None,
        };
        conn.room.with(|r| {
            let r = r.as_ref()?;
            let by_id = |id: DealId| r.deals.iter().find(|d| d.id == id);
            buying
                .or(choice.get())
                .and_then(by_id)
                .or_else(|| r.pinned_deal().filter(|d| live(d, now)))
                .or_else(|| {
                    let on_sale = r
                        .deals
                        .iter()
                        .filter(|d| live(d, now) && d.starts_at <= now && d.remaining() > 0);
                    on_sale.min_by_key(|d| -d.id)
                })
                .or_else(|| {
                    let coming = r.deals.iter().filter(|d| live(d, now) && d.starts_at > now);
                    coming.min_by_key(|d| d.starts_at)
                })
                .or_else(|| r.pinned_deal())
                .cloned()
        })
    });
    let my_orders = Signal::derive(move || conn.my_orders.get());
    // Above the card, what the resident may want to know or turn to: the show's start or end, the
    // host's pick, when the card shows another deal, and an open lucky bag not yet entered (its card sits below the deal, out of
    // sight on a phone). One stretch of HTML with one click handler, for the widget's budget.
    let offers = Memo::new(move |_| {
        let now = now.get();
        let on_card = shown.with(|d| d.as_ref().map(|d| d.id));
        conn.room
            .with(|r| {
                let r = r.as_ref()?;
                let mut html = String::new();
                // Before the show: when it starts and how long until then; after it: that it is
                // over (the resident's orders and pickup codes stay below).
                let state = conn.catalogue.with(|c| {
                    let show = &c.as_ref()?.show;
                    Some(match show.status {
                        // The day and the clock face; the time left in days when it is that far.
                        ShowStatus::Scheduled => {
                            let d = js_sys::Date::new(&(show.starts_at as f64).into());
                            let left = show.starts_at - now;
                            tr!(
                                "showstate.starts",
                                m = d.get_month() + 1,
                                d = d.get_date(),
                                at = local_hm(show.starts_at),
                                left = if left > 86_400_000 {
                                    tr!("showstate.days", n = left / 86_400_000)
                                } else {
                                    clock_span(left)
                                }
                            )
                        }
                        ShowStatus::Live => return None,
                        ShowStatus::Ended => tr!("showstate.ended"),
                        ShowStatus::Cancelled => tr!("showstate.cancelled"),
                    })
                });
                if let Some(text) = state {
                    html.push_str(&format!(
                        "<p class=\"note\" id=\"show-state\" role=\"status\">{}</p>",
                        escape(&text)
                    ));
                }
                if let Some(d) = r
                    .pinned_deal()
                    .filter(|d| live(d, now) && Some(d.id) != on_card)
                {
                    html.push_str(&format!(
                        "<button type=\"button\" class=\"offer\" id=\"offer\" data-deal=\"{}\">{}</button>",
                        d.id,
                        escape(&tr!("deal.offer", name = conn.product_name(d.product)))
                    ));
                }
                if let Some(b) = r.bag.as_ref().filter(|b| {
                    b.phase == BagPhase::Open && !conn.entered_bags.with(|e| e.contains(&b.id))
                }) {
                    html.push_str(&format!(
                        "<a class=\"offer\" id=\"bag-offer\" href=\"#bag-title\">{}</a>",
                        escape(&tr!("bag.offer", prize = b.prize.clone()))
                    ));
                }
                Some(html)
            })
            .unwrap_or_default()
    });
    let take_offer = move |ev: leptos::ev::MouseEvent| {
        let deal = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|e| e.closest("[data-deal]").ok().flatten())
            .and_then(|e| e.get_attribute("data-deal"))
            .and_then(|id| id.parse().ok());
        if deal.is_some() {
            choice.set(deal);
        }
    };
    // Until the first room state the page is what index.html's skeleton drew: the bar and a
    // card-sized space, nothing below it. What arrives then is drawn in new space and nothing on
    // screen moves under a finger (no layout shift). The parts below the card are drawn once,
    // after the card's own parts (`draw_later`): short tasks instead of one long one on a slow phone.
    let loading = move || conn.room.with(Option::is_none);
    let signin_place = NodeRef::new();
    let below = StoredValue::new(false);
    let below_place = NodeRef::new();
    // Drawn for the page's life: under the page's owner, not the effect's (whose owner is cleaned
    // each time it runs again).
    let page = Owner::current().unwrap_or_default();
    Effect::new(move |_| {
        if !loading() && !below.get_value() {
            below.set_value(true);
            // After the card's parts (its buttons a task after the deal, the sign-in form a task
            // after those): nothing drawn later pushes these down.
            page.with(|| {
                draw_later(2, signin_place, move || view! { <SignIn conn /> });
                draw_later(3, below_place, move || {
                    view! {
                        <crate::components::LuckyBagCard conn now />
                        <ShowDeals conn now shown choice />
                        <section class="card" aria-labelledby="my-orders">
                            <h2 id="my-orders">{txt("orders.mine")}</h2>
                            <MyOrderList conn orders=my_orders />
                        </section>
                        <AccountBar conn />
                    }
                })
            });
        }
    });
    view! {
        <main class="page resident">
            <ShowBar conn role=|| tr!("bar.residents") />
            <div class="tools"><LargeTextToggle /><LangSwitch /></div>
            <div class="offers" inner_html=move || offers.get() on:click=take_offer></div>
            <Show when=move || shown.with(Option::is_some)
                fallback=move || view! {
                    <article class="card empty-deal" class:loading=loading aria-busy=move || loading().to_string()>
                        <p>{move || if loading() { tr!("deal.loading") } else { tr!("deal.none") }}</p>
                    </article>
                }>
                <DealCard conn deal=shown now choice />
            </Show>
            // One sign-in form for the page, under the card, while nobody is signed in: the card's
            // "sign in to buy" leads to it, and before or after a show (no deal on the card) it is
            // the way to one's orders and codes. Drawn after the card's own parts (the card does
            // not wait for it, and it does not move when they come); shown once drawn.
            <section class="card signin-card" hidden=move || conn.me.with(Option::is_some)>
                <div class="later" node_ref=signin_place></div>
            </section>
            <div class="later" node_ref=below_place></div>
        </main>
    }
}
