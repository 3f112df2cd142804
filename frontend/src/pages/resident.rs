//! The resident's widget: the pinned deal, sign-in, and "my orders".

use leptos::prelude::*;
use mulin_shared::{Deal, ShowId};

use crate::components::{DealCard, LargeTextToggle, MyOrderList, ShowBar, ShowDeals};
use crate::i18n::LangSwitch;
use crate::i18n::txt;
use crate::socket::Conn;
use crate::{server_clock, tr};

/// The widget residents see beside the stream.
#[component]
pub fn ResidentPage(show: ShowId) -> impl IntoView {
    let conn = Conn::open_resident(show);
    let now = server_clock(conn);
    let pinned: Memo<Option<Deal>> = Memo::new(move |_| {
        conn.room
            .with(|r| r.as_ref().and_then(|r| r.pinned_deal().cloned()))
    });
    let signed_in = move || conn.me.with(|m| m.is_some());
    let my_orders = Signal::derive(move || conn.my_orders.get());
    let greeting = move || {
        conn.me.with(|m| {
            m.as_ref()
                .map(|m| tr!("signin.hello", name = m.nickname.clone()))
        })
    };

    view! {
        <main class="page resident">
            <ShowBar conn role=|| tr!("bar.residents") />
            <div class="tools"><LargeTextToggle /><LangSwitch /></div>
            <Show when=move || pinned.with(Option::is_some)
                fallback=move || view! {
                    <article class="card empty-deal">
                        <p>{move || if conn.room.with(Option::is_some) { tr!("deal.none") } else { tr!("deal.loading") }}</p>
                    </article>
                }>
                <DealCard conn deal=pinned now />
            </Show>
            <Show when=signed_in>
                <p class="greeting muted">{greeting}</p>
            </Show>
            <crate::components::LuckyBagCard conn now />
            <ShowDeals conn now />
            <section class="card" aria-labelledby="my-orders">
                <h2 id="my-orders">{txt("orders.mine")}</h2>
                <MyOrderList conn orders=my_orders />
            </section>
        </main>
    }
}
