//! The moderators' live table of orders, and cancelling one with a reason for the resident.

use leptos::prelude::*;
use mulin_shared::{ClientMsg, Order, OrderStatus};

use crate::components::orders::{Names, status_key, status_word};
use crate::i18n::txt;
use crate::socket::Conn;
use crate::{local_time, tr, yuan};

/// "Cancel" for an order that can still be cancelled: accepted, or ready at the store with nothing
/// handed over yet (the server's rule, so staff are not offered what it refuses).
pub(super) fn cancel_button(conn: Conn, o: &Order) -> Option<impl IntoView + use<>> {
    let open = match o.status {
        OrderStatus::Accepted => true,
        OrderStatus::Ready => o.handed == 0,
        _ => false,
    };
    open.then(|| {
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
            <button type="button" class="secondary small" data-staff-cancel=id aria-label=move || tr!("orders.cancel_label", code = code.clone())
                on:click=cancel>{txt("staff.cancel_order")}</button>
        }
    })
}

/// An order's state in words, with staff's reason when it was cancelled for one.
pub(super) fn status_line(o: &Order) -> impl Fn() -> String + use<> {
    let (status, reason) = (o.status, o.cancel_reason.clone());
    move || match (status, &reason) {
        (OrderStatus::Cancelled, Some(why)) => tr!("staff.cancelled_why", reason = why.clone()),
        _ => status_word(status),
    }
}

/// A table of orders, newest first. `staff` adds the buyer's nickname.
#[component]
pub fn OrderTable(
    conn: Conn,
    orders: Signal<Vec<Order>>,
    staff: bool,
    mutes: super::mutes::MuteDesk,
) -> impl IntoView {
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
                        // Keyed by what a fix or a step at the counter changes too, so the row is
                        // drawn again then.
                        <For each=move || orders.get() key=|o| (o.id, o.status as u8, o.qty, o.pickup, o.handed) let(o)>
                            <tr>
                                <td>{local_time(o.created_at)}</td>
                                {staff.then(|| {
                                    let resident = o.resident;
                                    view! { <td class="who">{o.nickname.clone()}
                                        {move || mutes.paused(resident).then(|| view! {
                                            " " <span class="chip paused" data-paused-row=resident>{txt("mute.paused")}</span>
                                        })}</td> }
                                })}
                                <td>{names.product(o.product)}</td>
                                <td class="num units">{o.qty}</td>
                                <td class="num">{yuan(o.qty * o.unit_price)}</td>
                                <td>{names.pickup(o.pickup)}</td>
                                <td class="code" data-label=txt("orders.code")>{o.pickup_code.clone()}</td>
                                <td data-status=status_key(o.status)>{status_line(&o)}</td>
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
