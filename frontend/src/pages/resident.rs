//! The resident's widget: the deal on the card, sign-in, the show's other deals, and "my orders".
//!
//! The card shows, in turn: the deal being bought (until its answer: a new pin never swaps it away
//! under the resident's finger), the deal the resident chose from the list, the pinned deal, or
//! else the first deal on sale or coming up — so "nothing on sale" never shows while something is.
//! When the host pins another deal than the one on the card, the card offers it.

use leptos::prelude::*;
use mulin_shared::{Deal, DealId, DealStatus, ShowId, UtcMillis};

use crate::components::{AccountBar, DealCard, LargeTextToggle, MyOrderList, ShowBar, ShowDeals};
use crate::i18n::LangSwitch;
use crate::i18n::txt;
use crate::socket::{Conn, Purchase};
use crate::{server_clock, tr};

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
    // The host's pick, when the card shows another deal.
    let offer = Memo::new(move |_| {
        let now = now.get();
        let on_card = shown.with(|d| d.as_ref().map(|d| d.id));
        conn.room.with(|r| {
            r.as_ref()
                .and_then(|r| r.pinned_deal())
                .filter(|d| live(d, now) && Some(d.id) != on_card)
                .map(|d| (d.id, conn.product_name(d.product)))
        })
    });
    let my_orders = Signal::derive(move || conn.my_orders.get());

    view! {
        <main class="page resident">
            <ShowBar conn role=|| tr!("bar.residents") />
            <div class="tools"><LargeTextToggle /><LangSwitch /></div>
            {move || offer.get().map(|(id, name)| view! {
                <button type="button" class="offer" id="offer" data-deal=id
                    on:click=move |_| choice.set(Some(id))>
                    {tr!("deal.offer", name = name)}
                </button>
            })}
            <Show when=move || shown.with(Option::is_some)
                fallback=move || view! {
                    <article class="card empty-deal">
                        <p>{move || if conn.room.with(Option::is_some) { tr!("deal.none") } else { tr!("deal.loading") }}</p>
                    </article>
                }>
                <DealCard conn deal=shown now choice />
            </Show>
            <crate::components::LuckyBagCard conn now />
            <ShowDeals conn now shown choice />
            <section class="card" aria-labelledby="my-orders">
                <h2 id="my-orders">{txt("orders.mine")}</h2>
                <MyOrderList conn orders=my_orders />
            </section>
            <AccountBar conn />
        </main>
    }
}
