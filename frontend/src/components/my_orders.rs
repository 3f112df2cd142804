//! "My orders": a resident's lucky-bag prizes and orders, newest first, and the counter view — one
//! order's code, large, with where and when to collect it, to hold up at the pickup point.
//!
//! Drawn as stretches of HTML with one click handler for every button (each carries what it is for
//! in a `data-` attribute): a reactive view per row cost the widget several KB of its budget.

use leptos::prelude::*;
use mulin_shared::{ClientMsg, Order, OrderStatus, PickupPoint, Prize};
use wasm_bindgen::{JsCast, JsValue};

use super::focus_soon;
use super::orders::{Names, status_key, status_word};
use crate::i18n::text;
use crate::socket::Conn;
use crate::{escape, local_time, tr, yuan};

/// What the counter view shows: `o` and an order id, or `p` and a lucky bag's id (its prize).
type CounterOf = (char, i64);

/// A resident's prizes and orders. An order can be shown at the counter and cancelled while it
/// waits (cancelling asks first, in the row, saying what will happen); one staff cancelled says why.
/// Prizes stay listed however many bags follow.
#[component]
pub fn MyOrderList(conn: Conn, orders: Signal<Vec<Order>>) -> impl IntoView {
    let names = Names { conn };
    // The order whose cancellation is being confirmed.
    let confirming = RwSignal::new(None::<i64>);
    let counter = RwSignal::new(None::<CounterOf>);
    // One stretch of HTML: the counter view (over everything, while open), prizes, then orders.
    let rows = Memo::new(move |_| {
        let _ = crate::i18n::lang();
        let confirming = confirming.get();
        let mut html = counter
            .get()
            .and_then(|of| counter_html(conn, names, orders, of))
            .map(|sheet| {
                format!(
                    "<li class=\"counter-view\" role=\"dialog\" aria-modal=\"true\" \
                     aria-labelledby=\"counter-what\">{sheet}</li>"
                )
            })
            .unwrap_or_default();
        conn.prizes.with(|prizes| {
            for p in prizes.iter().rev() {
                html.push_str(&prize_row(names, p));
            }
        });
        // Orders from the community's other shows are listed too, with their day; they are
        // cancelled in their own show.
        let here = conn.catalogue.with(|c| c.as_ref().map(|c| c.show.id));
        orders.with(|list| {
            for o in list {
                let here = Some(o.show) == here;
                html.push_str(&order_row(names, o, confirming == Some(o.id), here));
            }
        });
        html
    });
    let nothing = move || orders.with(Vec::is_empty) && conn.prizes.with(Vec::is_empty);
    // Back to the list, on the button that opened the view.
    let close = move || {
        if let Some((kind, id)) = counter.get_untracked() {
            focus_soon(format!("[data-counter='{kind}{id}']"));
            counter.set(None);
        }
    };
    // The list lives as long as the page, and so does this listener.
    let _ = window_event_listener_untyped("popstate", move |_| close());
    let click = move |ev: leptos::ev::MouseEvent| {
        let target = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok());
        let pick = |name: &str| {
            target
                .as_ref()
                .and_then(|e| e.closest(&format!("[{name}]")).ok().flatten())
                .and_then(|b| b.get_attribute(name))
        };
        let id = |name: &str| pick(name).and_then(|id| id.parse::<i64>().ok());
        if let Some(of) = pick("data-counter") {
            let mut chars = of.chars();
            if let (Some(kind), Ok(id)) = (chars.next(), chars.as_str().parse()) {
                counter.set(Some((kind, id)));
                // A page of its own to the resident: the phone's Back button closes it.
                if let Ok(h) = window().history() {
                    let _ = h.push_state_with_url(&JsValue::NULL, "", Some("#counter"));
                }
                focus_soon("#counter-close".into());
            }
        } else if pick("data-counter-close").is_some() {
            // As the phone's Back would (which closes the view and restores focus, below).
            match window().history() {
                Ok(h) if h.back().is_ok() => {}
                _ => close(),
            }
        } else if let Some(order) = id("data-cancel") {
            confirming.set(Some(order));
            // The question may open below the screen's edge (large text): bring it, and the safe
            // answer, to the resident.
            focus_soon("[data-cancel-no]".into());
        } else if let Some(order) = id("data-cancel-yes") {
            confirming.set(None);
            conn.send(ClientMsg::CancelOrder {
                order,
                reason: None,
            });
        } else if pick("data-cancel-no").is_some() {
            confirming.set(None);
        }
    };
    view! {
        <p class="muted empty" hidden=move || !nothing()>
            {move || if conn.me.with(Option::is_some) { tr!("orders.none") } else { tr!("orders.sign_in") }}
        </p>
        <ul class="my-orders" hidden=nothing inner_html=move || rows.get() on:click=click></ul>
    }
}

/// The "show at the counter" button for `kind` and `id`, named with the code for screen readers.
fn counter_button(kind: char, id: i64, code: &str) -> String {
    let label = if kind == 'p' {
        tr!("orders.show_claim_label", code = code.to_owned())
    } else {
        tr!("orders.show_label", code = code.to_owned())
    };
    format!(
        "<button type=\"button\" class=\"secondary\" data-counter=\"{kind}{id}\" aria-label=\"{}\">{}</button>",
        escape(&label),
        escape(&tr!("orders.show")),
    )
}

/// A prize won in a lucky bag, with its claim code.
fn prize_row(names: Names, p: &Prize) -> String {
    format!(
        "<li class=\"my-order prize\" data-prize=\"{}\">\
         <div class=\"my-order-what\"><strong>{}</strong><p class=\"muted\">{} · {}</p></div>\
         <div class=\"my-order-side\"><span class=\"code-label\">{}</span><span class=\"code\">{}</span></div>\
         <div class=\"my-order-actions\">{}</div></li>",
        p.bag,
        escape(&p.prize),
        escape(&tr!("orders.prize")),
        escape(&names.pickup(p.pickup)),
        escape(&tr!("orders.claim_code")),
        escape(&p.claim_code),
        counter_button('p', p.bag, &p.claim_code),
    )
}

/// One order: what, where, its code and state, and what can be done with it (`here`: it was
/// bought in this show, so it can be cancelled here; else its day is given).
fn order_row(names: Names, o: &Order, confirming: bool, here: bool) -> String {
    // Still to collect: shown at the counter; cancelled here only while nothing was handed over.
    let waiting = o.to_collect();
    let cancellable = here && o.handed == 0;
    let placed = if here {
        tr!("orders.placed_at", time = local_time(o.created_at))
    } else {
        let d = js_sys::Date::new(&(o.created_at as f64).into());
        tr!("orders.earlier", m = d.get_month() + 1, d = d.get_date())
    };
    let actions = if waiting && !cancellable {
        format!(
            "<div class=\"my-order-actions\">{}</div>",
            counter_button('o', o.id, &o.pickup_code)
        )
    } else if waiting && !confirming {
        format!(
            "<div class=\"my-order-actions\">{}<button type=\"button\" class=\"secondary\" \
             data-cancel=\"{}\" aria-label=\"{}\">{}</button></div>",
            counter_button('o', o.id, &o.pickup_code),
            o.id,
            escape(&tr!("orders.cancel_label", code = o.pickup_code.clone())),
            escape(&tr!("orders.cancel")),
        )
    } else if waiting {
        format!(
            "<div class=\"confirm-cancel\" role=\"alert\"><p>{}</p>\
             <button type=\"button\" class=\"danger\" data-cancel-yes=\"{}\">{}</button>\
             <button type=\"button\" class=\"secondary\" data-cancel-no=\"1\">{}</button></div>",
            escape(&tr!("orders.cancel_what", n = o.qty)),
            o.id,
            escape(&tr!("orders.cancel_yes")),
            escape(&tr!("orders.cancel_no")),
        )
    } else {
        o.cancel_reason
            .as_ref()
            .map(|why| {
                format!(
                    "<p class=\"cancel-reason\">{}</p>",
                    escape(&tr!("orders.cancelled_because", reason = why.clone()))
                )
            })
            .unwrap_or_default()
    };
    // Ready: where, and until when; partly handed over: how many so far.
    let ready = if o.status == OrderStatus::Ready {
        let by = o.collect_by.map(|t| js_sys::Date::new(&(t as f64).into()));
        let mut line = tr!(
            "orders.ready_at",
            place = names.pickup(o.pickup),
            m = by.as_ref().map_or(0, |d| d.get_month() + 1),
            d = by.as_ref().map_or(0, |d| d.get_date())
        );
        if o.handed > 0 {
            line = format!(
                "{line} · {}",
                tr!("orders.partly", handed = o.handed, qty = o.qty)
            );
        }
        format!("<p class=\"ready\">{}</p>", escape(&line))
    } else {
        String::new()
    };
    format!(
        "<li class=\"my-order\" data-order=\"{}\" data-status=\"{}\">\
         <div class=\"my-order-what\"><strong>{}</strong> × {} · {}\
         <p class=\"muted\">{} · {}</p>{ready}</div>\
         <div class=\"my-order-side\"><span class=\"code-label\">{}</span><span class=\"code\">{}</span>\
         <span class=\"muted\">{}</span></div>{actions}</li>",
        o.id,
        status_key(o.status),
        escape(&names.product(o.product)),
        o.qty,
        yuan(o.qty * o.unit_price),
        escape(&names.pickup(o.pickup)),
        escape(&placed),
        escape(&tr!("orders.code")),
        escape(&o.pickup_code),
        escape(&status_word(o.status)),
    )
}

/// The counter view of an order or a prize (`None` once it is gone, e.g. after signing out).
fn counter_html(
    conn: Conn,
    names: Names,
    orders: Signal<Vec<Order>>,
    (kind, id): CounterOf,
) -> Option<String> {
    // What, its code, its kind of code, its state (orders only) and where.
    let (what, code, label, state, pickup, qr) = if kind == 'p' {
        conn.prizes.with(|p| {
            p.iter().find(|p| p.bag == id).map(|p| {
                let what = format!("{} · {}", tr!("orders.prize"), p.prize);
                (
                    what,
                    p.claim_code.clone(),
                    "orders.claim_code",
                    None,
                    p.pickup,
                    None,
                )
            })
        })?
    } else {
        orders.with(|o| {
            o.iter().find(|o| o.id == id).map(|o| {
                let what = format!("{} × {}", names.product(o.product), o.qty);
                (
                    what,
                    o.pickup_code.clone(),
                    "orders.code",
                    Some(o.status),
                    o.pickup,
                    o.pickup_qr.clone().filter(|_| o.to_collect()),
                )
            })
        })?
    };
    let who = conn
        .me
        .with(|m| m.as_ref().map(|m| m.nickname.clone()))
        .unwrap_or_default();
    // The server draws the QR code: the widget carries no encoder.
    let qr = qr
        .map(|v| {
            format!(
                "<img class=\"counter-qr\" src=\"/api/pickup-qr/{}\" alt=\"\">",
                escape(&v)
            )
        })
        .unwrap_or_default();
    let mut html = format!(
        "<p class=\"counter-hint\">{}</p>{qr}<p class=\"code-label\">{}</p>\
         <p class=\"counter-code\" id=\"counter-code\">{}</p>",
        escape(&tr!("orders.counter_hint")),
        escape(&text(label, &[])),
        escape(&code),
    );
    // Where it stands, always: not arrived yet, ready, collected, or over.
    if let Some(status) = state {
        let tone = match status {
            OrderStatus::Ready | OrderStatus::PickedUp => "ok",
            OrderStatus::Accepted => "",
            _ => "warn",
        };
        html.push_str(&format!(
            "<p class=\"note {tone}\" data-status=\"{}\">{}</p>",
            status_key(status),
            escape(&status_word(status))
        ));
    }
    html.push_str(&format!(
        "<h2 id=\"counter-what\">{}</h2><p>{}</p>{}\
         <button type=\"button\" class=\"primary\" id=\"counter-close\" data-counter-close=\"1\">{}</button>",
        escape(&what),
        escape(&who),
        names
            .pickup_point(pickup)
            .map(|p| where_html(&p))
            .unwrap_or_default(),
        escape(&tr!("orders.counter_close")),
    ));
    Some(html)
}

/// A pickup point's name, address and opening hours, as HTML.
pub fn where_html(p: &PickupPoint) -> String {
    let mut html = format!(
        "<p class=\"where\"><strong>{}</strong><br>{}",
        escape(&p.name),
        escape(&p.address)
    );
    if !p.hours.is_empty() {
        html.push_str(&format!(
            "<br>{}",
            escape(&tr!("pickup.hours", hours = p.hours.clone()))
        ));
    }
    html.push_str("</p>");
    html
}
