//! The orders this grid worker placed today, per neighbour, each with a slip to print in large type
//! (name, building, what, where, the pickup code): the neighbour keeps it by the phone and shows it
//! at the counter. The slip is shown on screen too, so it can be checked before printing; the
//! print stylesheet prints the slip alone.

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos::task::spawn_local;
use mulin_shared::OrderStatus;
use mulin_shared::ResidentId;
use mulin_shared::control::PlacedOrder;

use super::Desk;
use crate::api::call;
use crate::components::orders::{Names, status_word};
use crate::i18n::txt;
use crate::{local_time, tr, yuan};

/// One neighbour's orders of today, oldest first.
#[derive(Debug, Clone, PartialEq)]
struct Sheet {
    resident: ResidentId,
    name: String,
    building: String,
    orders: Vec<PlacedOrder>,
}

/// Local midnight today, in UTC ms (the device's clock face: the grid worker's day).
fn midnight() -> i64 {
    let d = js_sys::Date::new_0();
    d.set_hours(0);
    d.set_minutes(0);
    d.set_seconds(0);
    d.set_milliseconds(0);
    d.get_time() as i64
}

/// Today's orders, per neighbour, and the slip being printed.
#[component]
pub(super) fn Today(desk: Desk) -> impl IntoView {
    let names = Names { conn: desk.conn };
    let sheets = RwSignal::new(Vec::<Sheet>::new());
    let slip = RwSignal::new(None::<Sheet>);
    let problem = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        desk.placed.track();
        desk.conn.orders.track();
        let Some(community) = desk.community.get() else {
            return;
        };
        spawn_local(async move {
            let path = format!(
                "/api/communities/{community}/placed-orders?since={}",
                midnight()
            );
            match call::<Vec<PlacedOrder>>("GET", &path, Some(&desk.token.get_value()), None).await
            {
                Ok(list) => {
                    problem.set(None);
                    let mut by: BTreeMap<ResidentId, Sheet> = BTreeMap::new();
                    // Newest first from the server; a sheet lists oldest first.
                    for p in list.into_iter().rev() {
                        by.entry(p.order.resident)
                            .or_insert_with(|| Sheet {
                                resident: p.order.resident,
                                name: p.order.nickname.clone(),
                                building: p.building.clone(),
                                orders: Vec::new(),
                            })
                            .orders
                            .push(p);
                    }
                    let mut all: Vec<Sheet> = by.into_values().collect();
                    all.sort_by_key(|s| std::cmp::Reverse(s.orders.last().map(|p| p.order.id)));
                    sheets.set(all);
                }
                Err(f) => problem.set(Some(f.words())),
            }
        });
    });
    let show_title = move || {
        desk.conn
            .catalogue
            .with(|c| c.as_ref().map(|c| c.show.title.clone()).unwrap_or_default())
    };
    let today_words = || {
        let d = js_sys::Date::new_0();
        format!(
            "{}-{:02}-{:02}",
            d.get_full_year(),
            d.get_month() + 1,
            d.get_date()
        )
    };
    let print = move |sheet: Sheet| {
        slip.set(Some(sheet));
        // Printed once the slip is drawn.
        request_animation_frame(|| {
            let _ = window().print();
        });
    };
    view! {
        <section class="card" aria-labelledby="nb-today-title" id="nb-today">
            <h2 id="nb-today-title">{txt("nb.today_title")}</h2>
            {move || problem.get().map(|p| view! { <p class="note warn" role="alert">{p}</p> })}
            {move || {
                let all = sheets.get();
                if all.is_empty() {
                    return view! { <p class="muted">{txt("nb.today_none")}</p> }.into_any();
                }
                all.into_iter().map(|sheet| {
                    let for_print = sheet.clone();
                    view! {
                        <div class="sheet" data-sheet=sheet.resident>
                            <p class="who"><strong>{sheet.name.clone()}</strong>" "<span class="muted">{sheet.building.clone()}</span></p>
                            <ul>
                                {sheet.orders.iter().map(|p| {
                                    let o = &p.order;
                                    let status = o.status;
                                    view! {
                                        <li data-order=o.id class:cancelled=o.status == OrderStatus::Cancelled>
                                            {local_time(o.created_at)}" · "{names.product(o.product)}" × "{o.qty}" · "
                                            {names.pickup(o.pickup)}" · "{txt("nb.code")}" "<strong class="code">{o.pickup_code.clone()}</strong>
                                            " · "{move || status_word(status)}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                            <p class="muted total">{
                                let kept: Vec<_> = sheet.orders.iter().filter(|p| p.order.status != OrderStatus::Cancelled).collect();
                                tr!("nb.slip_total", n = kept.iter().map(|p| p.order.qty).sum::<i64>(),
                                    amount = yuan(kept.iter().map(|p| p.order.qty * p.order.unit_price).sum()))
                            }</p>
                            <button type="button" class="secondary" data-print=sheet.resident
                                on:click=move |_| print(for_print.clone())>{txt("nb.print")}</button>
                        </div>
                    }
                }).collect_view().into_any()
            }}
        </section>
        {move || slip.get().map(|sheet| view! {
            <section class="slip" id="slip" aria-label=txt("nb.slip_label")>
                <p class="slip-title">{txt("nb.slip_title")}" · "{show_title()}" · "{today_words()}</p>
                <p class="slip-name">{sheet.name.clone()}</p>
                {(!sheet.building.is_empty()).then(|| view! { <p class="slip-building">{sheet.building.clone()}</p> })}
                <ul>
                    {sheet.orders.iter().filter(|p| p.order.status != OrderStatus::Cancelled).map(|p| {
                        let o = &p.order;
                        view! {
                            <li>
                                <span class="slip-item">{names.product(o.product)}" × "{o.qty}</span>
                                <span class="slip-where">{tr!("nb.slip_where", pickup = names.pickup(o.pickup))}
                                    {names.pickup_point(o.pickup).map(|p| view! { <small>{p.address}</small> })}</span>
                                <span class="slip-pay">{tr!("nb.slip_pay", amount = yuan(o.qty * o.unit_price))}</span>
                                <span class="slip-code">{txt("nb.code")}" "<b>{o.pickup_code.clone()}</b></span>
                            </li>
                        }
                    }).collect_view()}
                </ul>
                <p class="slip-note">{txt("nb.slip_note")}</p>
            </section>
        })}
    }
}
