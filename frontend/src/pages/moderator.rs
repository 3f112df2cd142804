//! The moderator desk: every order of the show, live, and finding one a resident asks about.

mod find;
mod fix;
mod mutes;
mod order_table;

use leptos::prelude::*;
use mulin_shared::{OrderStatus, Role, ShowId};

use crate::components::ShowBar;
use crate::i18n::LangSwitch;
use crate::i18n::txt;
use crate::socket::Conn;
use crate::{tr, yuan};
use order_table::OrderTable;

/// Live orders for community staff.
#[component]
pub fn ModeratorPage(show: ShowId, token: String) -> impl IntoView {
    let search_token = token.clone();
    // The community, for the links to ordering for neighbours, its counter and picking lists; a
    // one-show link has none of those, and is told so instead of finding them refused.
    let community = RwSignal::new(None::<mulin_shared::CommunityId>);
    let one_show = RwSignal::new(false);
    let me_token = token.clone();
    leptos::task::spawn_local(async move {
        if let Ok(me) =
            crate::api::call::<crate::api::Me>("GET", "/api/me", Some(&me_token), None).await
        {
            community.set(me.community_wide());
            one_show.set(me.community_wide().is_none());
        }
    });
    let mute_desk = mutes::MuteDesk::open(token.clone());
    let conn = Conn::open_staff(show, token);
    let orders = Signal::derive(move || conn.orders.get());
    let allowed = move || {
        conn.me.with(|m| {
            m.as_ref().is_some_and(|m| {
                m.roles
                    .iter()
                    .any(|r| matches!(r, Role::Moderator | Role::Host | Role::Manager))
            })
        })
    };
    let totals = move || {
        orders.with(|all| {
            let live: Vec<_> = all
                .iter()
                .filter(|o| o.status != OrderStatus::Cancelled)
                .collect();
            let units: i64 = live.iter().map(|o| o.qty).sum();
            let amount: i64 = live.iter().map(|o| o.qty * o.unit_price).sum();
            (live.len(), units, amount)
        })
    };
    view! {
        <main class="page staff">
            <ShowBar conn role=|| tr!("bar.moderator") />
            <div class="tools">
                {move || community.get().map(|c| view! {
                    <a class="button secondary small" id="go-neighbours" href=format!("/show/{show}/neighbours")>{txt("staff.neighbours")}</a>
                    <a class="button secondary small" id="go-counter" href=format!("/c/{c}/counter")>{txt("pickup.counter")}</a>
                    <a class="button secondary small" id="go-picking" href=format!("/c/{c}/picking?shows={show}")>{txt("pickup.list_of_show")}</a>
                })}
                <LangSwitch />
            </div>
            <StaffGate conn allowed=Signal::derive(allowed) />
            {move || one_show.get().then(|| view! {
                <p class="note muted" id="one-show-link">{txt("staff.one_show_link")}</p>
            })}
            <super::control_room::ControlRoom conn />
            <find::FindOrders conn show token=search_token mutes=mute_desk />
            <mutes::MuteList desk=mute_desk />
            <section class="card" aria-labelledby="orders-title">
                <h2 id="orders-title">{txt("staff.orders")}</h2>
                <p class="totals" id="order-totals">
                    {move || { let (n, units, amount) = totals(); tr!("staff.totals", n = n, units = units, amount = yuan(amount)) }}
                </p>
                <OrderTable conn orders staff=true mutes=mute_desk />
            </section>
        </main>
    }
}

/// A notice while a staff link is checked, or when its token is not good for this show.
#[component]
pub fn StaffGate(conn: Conn, allowed: Signal<bool>) -> impl IntoView {
    let refused = move || {
        conn.error
            .with(|e| matches!(e, Some((mulin_shared::ErrorCode::InvalidToken, _))))
    };
    move || {
        if allowed.get() {
            ().into_any()
        } else if refused() {
            view! { <p class="note warn" role="alert">{txt("staff.refused")}</p> }.into_any()
        } else {
            view! { <p class="note muted">{txt("staff.checking")}</p> }.into_any()
        }
    }
}
