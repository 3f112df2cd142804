//! Small parts the pages are built from.

mod account;
mod deal_card;
mod lucky_bag;
mod my_orders;
pub(crate) mod orders;
mod show_deals;
mod sign_in;

use leptos::prelude::*;
use mulin_shared::UtcMillis;
use wasm_bindgen::JsCast;

use crate::i18n::txt;
use crate::socket::{Conn, Link};
use crate::tr;

pub use account::AccountBar;
pub use deal_card::DealCard;
pub use lucky_bag::LuckyBagCard;
pub use my_orders::MyOrderList;
pub use show_deals::ShowDeals;
pub use sign_in::SignIn;

/// The show's title, its community, the connection state and the viewer count. `role` names the
/// page (in the current language).
#[component]
pub fn ShowBar(conn: Conn, role: fn() -> String) -> impl IntoView {
    let title = move || {
        conn.catalogue
            .with(|c| c.as_ref().map(|c| c.show.title.clone()))
            .unwrap_or_else(|| tr!("app.name"))
    };
    let community = move || {
        conn.catalogue
            .with(|c| c.as_ref().map(|c| c.show.community.clone()))
            .unwrap_or_default()
    };
    let viewers = move || {
        conn.room
            .with(|r| r.as_ref().map(|r| r.viewers).unwrap_or(0))
    };
    view! {
        <header class="bar">
            <div class="bar-title">
                <h1>{title}</h1>
                <p class="muted"><span class="community">{community}</span>{role}</p>
            </div>
            <div class="bar-side">
                <LinkBadge conn />
                <span class="viewers" title=txt("bar.watching_title")>
                    {move || tr!("bar.watching", n = viewers())}
                </span>
            </div>
        </header>
    }
}

/// Where the large-text choice is remembered on this device.
const LARGE_TEXT_KEY: &str = "mulin.large-text";

fn remembered_large_text() -> bool {
    crate::socket::recall(LARGE_TEXT_KEY).as_deref() == Some("1")
}

fn set_large_text(on: bool) {
    // On the root element: every size and colour in the style sheet follows its custom properties.
    if let Some(root) = document().document_element() {
        let _ = root.class_list().toggle_with_force("large", on);
    }
}

/// Larger text and stronger contrast, for residents who find the page hard to read; remembered.
#[component]
pub fn LargeTextToggle() -> impl IntoView {
    let (on, set_on) = signal(remembered_large_text());
    let flip = move |_| {
        let next = !on.get_untracked();
        set_large_text(next);
        crate::socket::remember(LARGE_TEXT_KEY, if next { "1" } else { "0" });
        set_on.set(next);
    };
    view! {
        <button type="button" id="large-text" class="secondary small text-size"
            aria-pressed=move || on.get().to_string() on:click=flip>
            {move || if on.get() { tr!("tools.normal") } else { tr!("tools.larger") }}
        </button>
    }
}

/// Online / reconnecting, always visible.
#[component]
pub fn LinkBadge(conn: Conn) -> impl IntoView {
    let label = move || match conn.link.get() {
        Link::Online => tr!("link.online"),
        Link::Connecting => tr!("link.connecting"),
        Link::Offline => tr!("link.offline"),
    };
    let (class, state) = (
        move || match conn.link.get() {
            Link::Online => "badge online",
            _ => "badge offline",
        },
        move || match conn.link.get() {
            Link::Online => "online",
            Link::Connecting => "connecting",
            Link::Offline => "offline",
        },
    );
    view! { <span class=class data-link=state role="status" aria-live="polite" id="link-state">{label}</span> }
}

/// Time left until `ends_at` on the server's clock, or "Ended".
#[component]
pub fn Countdown(
    #[prop(into)] ends_at: Signal<UtcMillis>,
    now: ReadSignal<UtcMillis>,
) -> impl IntoView {
    move || {
        let left = ends_at.get() - now.get();
        if left > 0 {
            tr!("time.ends_in", t = crate::clock_span(left))
        } else {
            tr!("time.ended")
        }
    }
}

/// A bar and the words "N left of M".
#[component]
pub fn StockMeter(
    #[prop(into)] remaining: Signal<i64>,
    #[prop(into)] stock: Signal<i64>,
) -> impl IntoView {
    let percent = move || {
        let stock = stock.get().max(1);
        (remaining.get() * 100 / stock).clamp(0, 100)
    };
    view! {
        <div class="stock">
            <div class="meter" role="meter" aria-label=txt("stock.label")
                aria-valuemin="0" aria-valuemax=move || stock.get() aria-valuenow=move || remaining.get()>
                <div class="meter-fill" style=move || format!("width: {}%", percent())></div>
            </div>
            <p class="stock-words">
                {txt("stock.before")}
                <strong id="stock-remaining" data-remaining=move || remaining.get()>{move || remaining.get()}</strong>
                {move || tr!("stock.after", total = stock.get())}
            </p>
        </div>
    }
}

/// Moves the keyboard's (and a screen reader's) focus to `selector` once it is drawn.
pub(crate) fn focus_soon(selector: String) {
    request_animation_frame(move || {
        if let Some(e) = document()
            .query_selector(&selector)
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = e.focus();
        }
    });
}
