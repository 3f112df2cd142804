//! Fixing an order at the desk: fewer units, another pickup point, or both (a resident phones to
//! say they only want one bag, or that another branch is nearer). The server does it through the
//! deal's desk and only if the order is still as this page shows it.

use leptos::prelude::*;
use leptos::task::spawn_local;
use mulin_shared::control::OrderChange;
use mulin_shared::{ErrorCode, Order, ShowId};

use crate::api::{Failure, call};
use crate::components::orders::Names;
use crate::i18n::txt;
use crate::socket::Conn;
use crate::tr;

/// "Change" for an accepted order, and its form when open. `said` takes what came of it, with the
/// order's id: the list is drawn again when the order changes, and shows the words by the order.
#[component]
pub fn FixOrder(
    conn: Conn,
    show: ShowId,
    token: StoredValue<String>,
    order: Order,
    said: RwSignal<Option<(i64, bool, String)>>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let qty = RwSignal::new(order.qty);
    let pickup = RwSignal::new(order.pickup);
    let reason = RwSignal::new(String::new());
    let sending = RwSignal::new(false);
    let names = Names { conn };
    let (id, was_qty, was_pickup) = (order.id, order.qty, order.pickup);
    let code = order.pickup_code.clone();
    let pickups = move || {
        conn.catalogue.with(|c| {
            c.as_ref()
                .map(|c| c.pickup_points.clone())
                .unwrap_or_default()
        })
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let change = OrderChange {
            qty: qty.get_untracked(),
            pickup: pickup.get_untracked(),
            was_qty,
            was_pickup,
            reason: Some(reason.get_untracked()),
        };
        if change.qty == was_qty && change.pickup == was_pickup {
            said.set(Some((id, false, tr!("fix.nothing"))));
            return;
        }
        sending.set(true);
        let body = serde_json::to_string(&change).unwrap_or_default();
        spawn_local(async move {
            let path = format!("/api/shows/{show}/orders/{id}/change");
            let answer = call::<Order>("POST", &path, Some(&token.get_value()), Some(body)).await;
            sending.set(false);
            match answer {
                Ok(o) => {
                    open.set(false);
                    said.set(Some((
                        id,
                        true,
                        tr!(
                            "fix.done",
                            code = o.pickup_code,
                            qty = o.qty,
                            pickup = names.pickup(o.pickup)
                        ),
                    )));
                }
                Err(f) => said.set(Some((id, false, words(&f)))),
            }
        });
    };
    view! {
        <button type="button" class="secondary small" data-fix=id hidden=move || open.get()
            aria-label=move || tr!("fix.open_label", code = code.clone())
            on:click=move |_| { said.set(None); open.set(true) }>{txt("fix.open")}</button>
        <Show when=move || open.get()>
            <form class="fix-form" data-fix-form=id on:submit=save>
                <label>{txt("fix.qty")}
                    <select class="fix-qty" id=format!("fix-qty-{id}") on:change=move |ev| {
                        qty.set(event_target_value(&ev).parse().unwrap_or(was_qty))
                    }>
                        {(1..=was_qty).rev().map(|n| view! {
                            <option value=n.to_string() selected=n == was_qty>{n}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>{txt("orders.pickup")}
                    <select class="fix-pickup" id=format!("fix-pickup-{id}") on:change=move |ev| {
                        pickup.set(event_target_value(&ev).parse().unwrap_or(was_pickup))
                    }>
                        {move || pickups().into_iter().map(|p| view! {
                            <option value=p.id.to_string() selected=p.id == was_pickup>{p.name.clone()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>{txt("fix.reason")}
                    <input class="fix-reason" type="text" maxlength="100" placeholder=txt("fix.reason_example")
                        on:input=move |ev| reason.set(event_target_value(&ev)) />
                </label>
                <div class="actions">
                    <button type="submit" class="primary small" disabled=move || sending.get()>{txt("fix.save")}</button>
                    <button type="button" class="secondary small" on:click=move |_| open.set(false)>{txt("fix.back")}</button>
                </div>
            </form>
        </Show>
    }
}

/// Why a fix was refused, in words for the desk.
fn words(f: &Failure) -> String {
    match f.code {
        Some(ErrorCode::OrderChanged) => tr!("fix.changed_meanwhile"),
        Some(ErrorCode::NotCancellable) => tr!("fix.closed"),
        Some(ErrorCode::UnknownPickup) => tr!("fix.pickup_gone"),
        _ => f.words(),
    }
}
