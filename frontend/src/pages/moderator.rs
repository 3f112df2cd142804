//! The moderator desk: every order of the show, live.

use leptos::prelude::*;
use mulin_shared::{OrderStatus, Role, ShowId};

use crate::components::{OrderTable, ShowBar};
use crate::socket::Conn;
use crate::yuan;

/// Live orders for community staff.
#[component]
pub fn ModeratorPage(show: ShowId, token: String) -> impl IntoView {
    let conn = Conn::open(show, Some(token));
    let orders = Signal::derive(move || conn.orders.get());
    let allowed = move || {
        conn.me.with(|m| {
            m.as_ref()
                .is_some_and(|m| matches!(m.role, Role::Moderator | Role::Host))
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
            <ShowBar conn role="Moderator desk" />
            <StaffGate conn allowed=Signal::derive(allowed) />
            <section class="card" aria-labelledby="orders-title">
                <h2 id="orders-title">"Orders"</h2>
                <p class="totals" id="order-totals">
                    {move || { let (n, units, amount) = totals(); format!("{n} {} · {units} {} · {}", plural(n, "order"), plural(units as usize, "unit"), yuan(amount)) }}
                </p>
                <OrderTable conn orders staff=true />
            </section>
        </main>
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_string()
    } else {
        format!("{word}s")
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
            view! { <p class="note warn" role="alert">"This link's token is not valid. Ask for a new staff link (`mulin token`)."</p> }.into_any()
        } else {
            view! { <p class="note muted">"Checking your staff link…"</p> }.into_any()
        }
    }
}
