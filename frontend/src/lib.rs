//! Mulin Live's browser side: the resident widget, the host console and the moderator desk.
//!
//! One page per person (`pages/`), built from small parts (`components/`), all fed by one live
//! connection (`socket`).

pub mod components;
pub mod pages;
pub mod socket;

use std::time::Duration;

use leptos::prelude::*;
use leptos_router::components::{Redirect, Route, Router, Routes};
use leptos_router::hooks::{use_params_map, use_query_map};
use leptos_router::path;
use mulin_shared::{ShowId, UtcMillis};

use crate::pages::{HostPage, ModeratorPage, ResidentPage};
use crate::socket::Conn;

/// The show a bare visit to `/` opens.
const DEMO_SHOW: ShowId = 1;

/// The whole app: routes to the three pages.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <Routes fallback=|| view! { <p class="notice">"Page not found."</p> }>
                <Route path=path!("/") view=|| view! { <Redirect path=format!("/show/{DEMO_SHOW}") /> } />
                <Route path=path!("/show/:id") view=|| with_show(|show| view! { <ResidentPage show /> }) />
                <Route path=path!("/show/:id/host") view=|| with_show(|show| view! { <HostPage show token=query_token() /> }) />
                <Route path=path!("/show/:id/moderator") view=|| with_show(|show| view! { <ModeratorPage show token=query_token() /> }) />
            </Routes>
        </Router>
    }
}

/// Renders `page` for the show in the URL, or a notice when the id is not a number.
fn with_show<V: IntoView + 'static>(page: impl Fn(ShowId) -> V) -> AnyView {
    let id = use_params_map()
        .get_untracked()
        .get("id")
        .and_then(|id| id.parse::<ShowId>().ok());
    match id {
        Some(show) => page(show).into_any(),
        None => view! { <p class="notice">"This link does not name a show."</p> }.into_any(),
    }
}

fn query_token() -> String {
    use_query_map()
        .get_untracked()
        .get("token")
        .unwrap_or_default()
}

/// The server's clock, ticking four times a second, for countdowns.
pub fn server_clock(conn: Conn) -> ReadSignal<UtcMillis> {
    let (now, set_now) = signal(conn.server_now());
    // The interval lives as long as the page; the handle is not needed to stop it.
    let _ = set_interval_with_handle(
        move || set_now.set(conn.server_now()),
        Duration::from_millis(250),
    );
    now
}

/// `"¥19.90"` from fen.
pub fn yuan(fen: i64) -> String {
    format!("¥{}", mulin_shared::format_yuan(fen))
}

/// `"1:02:03"` or `"02:03"` for a span of milliseconds (never negative).
pub fn clock_span(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    let (h, m, s) = (s / 3600, (s / 60) % 60, s % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m:02}:{s:02}")
    }
}

/// Local wall-clock time `"HH:MM:SS"` of a UTC millisecond timestamp.
pub fn local_time(at: UtcMillis) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at as f64));
    format!(
        "{:02}:{:02}:{:02}",
        d.get_hours(),
        d.get_minutes(),
        d.get_seconds()
    )
}
