//! Lists of orders: the resident's own, and the moderators' live list.

use leptos::prelude::*;
use mulin_shared::{ClientMsg, Order, OrderStatus};

use crate::socket::Conn;
use crate::{local_time, yuan};

/// A resident's own orders, newest first: what, where, the pickup code, and Cancel while it can be.
#[component]
pub fn MyOrderList(conn: Conn, orders: Signal<Vec<Order>>) -> impl IntoView {
    let names = Names { conn };
    view! {
        <Show when=move || !orders.with(Vec::is_empty)
            fallback=|| view! { <p class="muted empty">"No orders yet."</p> }>
            <ul class="my-orders">
                <For each=move || orders.get() key=|o| (o.id, o.status as u8) let(o)>
                    <li class="my-order" data-order=o.id data-status=status_word(o.status)>
                        <div class="my-order-what">
                            <strong>{names.product(o.deal)}</strong>
                            {format!(" × {} · {}", o.qty, yuan(o.qty * o.unit_price))}
                            <p class="muted">{names.pickup(o.pickup)} " · " {local_time(o.created_at)}</p>
                        </div>
                        <div class="my-order-side">
                            <span class="code" aria-label="Pickup code">{o.pickup_code.clone()}</span>
                            <span class="muted">{status_word(o.status)}</span>
                            {cancel_button(conn, &o)}
                        </div>
                    </li>
                </For>
            </ul>
        </Show>
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
            .unwrap_or_else(|| format!("Deal {deal}"))
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
        view! {
            <button type="button" class="secondary small" aria-label=format!("Cancel order {}", o.pickup_code)
                on:click=move |_| conn.send(ClientMsg::CancelOrder { order: id })>"Cancel"</button>
        }
    })
}

/// A table of orders, newest first. `staff` adds the buyer's nickname.
#[component]
pub fn OrderTable(conn: Conn, orders: Signal<Vec<Order>>, staff: bool) -> impl IntoView {
    let names = Names { conn };
    view! {
        <Show when=move || !orders.with(Vec::is_empty)
            fallback=|| view! { <p class="muted empty">"No orders yet."</p> }>
            <div class="table-wrap">
                <table class="orders">
                    <thead>
                        <tr>
                            <th scope="col">"Time"</th>
                            {staff.then(|| view! { <th scope="col">"Resident"</th> })}
                            <th scope="col">"Product"</th>
                            <th scope="col" class="num">"Qty"</th>
                            <th scope="col" class="num">"Amount"</th>
                            <th scope="col">"Pickup"</th>
                            <th scope="col">"Code"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col"><span class="sr-only">"Actions"</span></th>
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
                                <td>{status_word(o.status)}</td>
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

fn status_word(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Accepted => "To pick up",
        OrderStatus::Cancelled => "Cancelled",
        OrderStatus::PickedUp => "Picked up",
    }
}
