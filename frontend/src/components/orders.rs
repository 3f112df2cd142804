//! Lists of orders: the resident's own, and the moderators' live list.

use leptos::prelude::*;
use mulin_shared::{ClientMsg, Order, OrderStatus};

use crate::i18n::txt;
use crate::socket::Conn;
use crate::{escape, local_time, tr, yuan};
use wasm_bindgen::JsCast;

/// A resident's own orders, newest first: what, where, the pickup code, and Cancel while it can be
/// (which asks first, in the row, saying what will happen). An order staff cancelled says why.
///
/// Drawn as one stretch of HTML with one click handler for every button (each carries its order in
/// a `data-` attribute): a reactive view per row cost the widget several KB of its budget.
#[component]
pub fn MyOrderList(conn: Conn, orders: Signal<Vec<Order>>) -> impl IntoView {
    let names = Names { conn };
    // The order whose cancellation is being confirmed.
    let confirming = RwSignal::new(None::<i64>);
    let rows = Memo::new(move |_| {
        let _ = crate::i18n::lang();
        let confirming = confirming.get();
        orders.with(|list| {
            let mut html = String::new();
            for o in list {
                let cancel = if o.status == OrderStatus::Accepted && confirming == Some(o.id) {
                    format!(
                        "<div class=\"confirm-cancel\" role=\"alert\"><p>{}</p>\
                         <button type=\"button\" class=\"danger\" data-cancel-yes=\"{}\">{}</button>\
                         <button type=\"button\" class=\"secondary\" data-cancel-no=\"1\">{}</button></div>",
                        escape(&tr!("orders.cancel_what", n = o.qty)),
                        o.id,
                        escape(&tr!("orders.cancel_yes")),
                        escape(&tr!("orders.cancel_no")),
                    )
                } else if o.status == OrderStatus::Accepted {
                    format!(
                        "<button type=\"button\" class=\"secondary small\" data-cancel=\"{}\" \
                         aria-label=\"{}\">{}</button>",
                        o.id,
                        escape(&tr!("orders.cancel_label", code = o.pickup_code.clone())),
                        escape(&tr!("orders.cancel")),
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
                // The Cancel button sits beside the code; a question or a reason spans the row.
                let (beside, below) = if cancel.starts_with("<button") {
                    (cancel, String::new())
                } else {
                    (String::new(), cancel)
                };
                html.push_str(&format!(
                    "<li class=\"my-order\" data-order=\"{}\" data-status=\"{}\">\
                     <div class=\"my-order-what\"><strong>{}</strong> × {} · {}\
                     <p class=\"muted\">{} · {}</p></div>\
                     <div class=\"my-order-side\"><span class=\"code-label\">{}</span><span class=\"code\">{}</span>\
                     <span class=\"muted\">{}</span>{beside}</div>{below}</li>",
                    o.id,
                    status_key(o.status),
                    escape(&names.product(o.deal)),
                    o.qty,
                    yuan(o.qty * o.unit_price),
                    escape(&names.pickup(o.pickup)),
                    local_time(o.created_at),
                    escape(&tr!("orders.code")),
                    escape(&o.pickup_code),
                    escape(&status_word(o.status)),
                ));
            }
            html
        })
    });
    let cancel = move |ev: leptos::ev::MouseEvent| {
        let target = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok());
        let pick = |name: &str| {
            target
                .as_ref()
                .and_then(|e| e.closest(&format!("[{name}]")).ok().flatten())
                .and_then(|b| b.get_attribute(name))
                .and_then(|id| id.parse::<i64>().ok())
        };
        if let Some(order) = pick("data-cancel") {
            confirming.set(Some(order));
        } else if let Some(order) = pick("data-cancel-yes") {
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
        <p class="muted empty" hidden=move || !orders.with(Vec::is_empty)>{txt("orders.none")}</p>
        <ul class="my-orders" hidden=move || orders.with(Vec::is_empty)
            inner_html=move || rows.get() on:click=cancel></ul>
    }
}

/// Looks up display names in the catalogue and room.
#[derive(Clone, Copy)]
struct Names {
    conn: Conn,
}

impl Names {
    fn product(&self, deal: i64) -> String {
        let conn = self.conn;
        let product = conn.room.with(|r| {
            r.as_ref()
                .and_then(|r| r.deals.iter().find(|d| d.id == deal).map(|d| d.product))
        });
        product
            .and_then(|p| {
                conn.catalogue.with(|c| {
                    c.as_ref()
                        .and_then(|c| c.product(p).map(|p| p.name.clone()))
                })
            })
            .unwrap_or_else(|| tr!("deal.product", id = deal))
    }

    fn pickup(&self, id: i64) -> String {
        self.conn
            .catalogue
            .with(|c| {
                c.as_ref()
                    .and_then(|c| c.pickup(id).map(|p| p.name.clone()))
            })
            .unwrap_or_default()
    }
}

/// "Cancel" for an order that can still be cancelled.
fn cancel_button(conn: Conn, o: &Order) -> Option<impl IntoView + use<>> {
    (o.status == OrderStatus::Accepted).then(|| {
        let id = o.id;
        let code = o.pickup_code.clone();
        // Staff say why, in words the resident is shown; dismissing the question cancels nothing.
        let cancel = move |_| {
            let asked = window()
                .prompt_with_message(&tr!("orders.reason_ask"))
                .ok()
                .flatten();
            if let Some(reason) = asked {
                let reason = Some(reason).filter(|r| !r.trim().is_empty());
                conn.send(ClientMsg::CancelOrder { order: id, reason });
            }
        };
        view! {
            <button type="button" class="secondary small" aria-label=move || tr!("orders.cancel_label", code = code.clone())
                on:click=cancel>{txt("orders.cancel")}</button>
        }
    })
}

/// A table of orders, newest first. `staff` adds the buyer's nickname.
#[component]
pub fn OrderTable(conn: Conn, orders: Signal<Vec<Order>>, staff: bool) -> impl IntoView {
    let names = Names { conn };
    view! {
        <Show when=move || !orders.with(Vec::is_empty)
            fallback=|| view! { <p class="muted empty">{txt("orders.none")}</p> }>
            <div class="table-wrap">
                <table class="orders">
                    <thead>
                        <tr>
                            <th scope="col">{txt("orders.time")}</th>
                            {staff.then(|| view! { <th scope="col">{txt("orders.resident")}</th> })}
                            <th scope="col">{txt("orders.product")}</th>
                            <th scope="col" class="num">{txt("orders.qty")}</th>
                            <th scope="col" class="num">{txt("orders.amount")}</th>
                            <th scope="col">{txt("orders.pickup")}</th>
                            <th scope="col">{txt("orders.code")}</th>
                            <th scope="col">{txt("orders.status")}</th>
                            <th scope="col"><span class="sr-only">{txt("orders.actions")}</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        <For each=move || orders.get() key=|o| (o.id, o.status as u8) let(o)>
                            <tr>
                                <td>{local_time(o.created_at)}</td>
                                {staff.then(|| view! { <td>{o.nickname.clone()}</td> })}
                                <td>{names.product(o.deal)}</td>
                                <td class="num">{o.qty}</td>
                                <td class="num">{yuan(o.qty * o.unit_price)}</td>
                                <td>{names.pickup(o.pickup)}</td>
                                <td class="code">{o.pickup_code.clone()}</td>
                                <td data-status=status_key(o.status)>{move || status_word(o.status)}</td>
                                <td>
                                    {cancel_button(conn, &o)}
                                </td>
                            </tr>
                        </For>
                    </tbody>
                </table>
            </div>
        </Show>
    }
}

/// Where an order stands, in words.
fn status_word(status: OrderStatus) -> String {
    match status {
        OrderStatus::Accepted => tr!("orders.accepted"),
        OrderStatus::Cancelled => tr!("orders.cancelled"),
        OrderStatus::PickedUp => tr!("orders.picked_up"),
    }
}

/// Where an order stands, as on the wire (for tests and styling).
fn status_key(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Accepted => "accepted",
        OrderStatus::Cancelled => "cancelled",
        OrderStatus::PickedUp => "picked_up",
    }
}
