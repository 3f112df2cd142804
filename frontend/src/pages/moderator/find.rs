//! Finding an order at the desk: a resident on the phone or at the counter gives their pickup code,
//! the last four digits of their phone or their name, and the moderator finds the order (with the
//! phone masked by the server), narrowed by state or pickup point, and can cancel or change it
//! from there.
//! The answers are read again whenever an order of the show changes, so a state shown is current.

use leptos::prelude::*;
use leptos::task::spawn_local;
use mulin_shared::control::FoundOrder;
use mulin_shared::{OrderStatus, ShowId};

use super::order_table::cancel_button;
use crate::api::call;
use crate::components::orders::{Names, status_key, status_word};
use crate::i18n::txt;
use crate::socket::Conn;
use crate::{local_time, tr, yuan};

/// The most orders one search lists.
const SHOWN: usize = 50;

/// What the moderator searches for.
#[derive(Debug, Clone, Default, PartialEq)]
struct Search {
    q: String,
    status: String,
    pickup: String,
    /// `staff` (ordered for a neighbour), `resident`, or any.
    placed: String,
    /// A deal's id, or any.
    deal: String,
}

impl Search {
    /// The query string of `GET /api/shows/{show}/orders`.
    fn query(&self) -> String {
        let mut parts = vec![format!("limit={SHOWN}")];
        for (name, value) in [
            ("q", &self.q),
            ("status", &self.status),
            ("pickup", &self.pickup),
            ("placed", &self.placed),
            ("deal", &self.deal),
        ] {
            let value = value.trim();
            if !value.is_empty() {
                parts.push(format!("{name}={}", js_sys::encode_uri_component(value)));
            }
        }
        parts.join("&")
    }
}

/// The search form and what it found.
#[component]
pub fn FindOrders(
    conn: Conn,
    show: ShowId,
    token: String,
    mutes: super::mutes::MuteDesk,
) -> impl IntoView {
    let token = StoredValue::new(token);
    let typed = RwSignal::new(Search::default());
    // The last search sent (none yet: nothing is listed).
    let asked = RwSignal::new(None::<Search>);
    let found = RwSignal::new(None::<Vec<FoundOrder>>);
    let problem = RwSignal::new(None::<String>);
    // What came of the last fix: (the order, done?, words), shown with that order.
    let said = RwSignal::new(None::<(i64, bool, String)>);
    let names = Names { conn };
    let run = move |search: Search| {
        spawn_local(async move {
            let path = format!("/api/shows/{show}/orders?{}", search.query());
            match call::<Vec<FoundOrder>>("GET", &path, Some(&token.get_value()), None).await {
                Ok(list) => {
                    problem.set(None);
                    found.set(Some(list));
                }
                Err(f) => problem.set(Some(f.words())),
            }
        })
    };
    // An order placed, cancelled or changed anywhere in the show: the answers are read again.
    Effect::new(move |_| {
        conn.orders.track();
        if let Some(search) = asked.get_untracked() {
            run(search);
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let search = typed.get_untracked();
        said.set(None);
        asked.set(Some(search.clone()));
        run(search);
    };
    let pickups = move || {
        conn.catalogue.with(|c| {
            c.as_ref()
                .map(|c| c.pickup_points.clone())
                .unwrap_or_default()
        })
    };
    // The show's deals, newest first: (id, product, on sale from).
    let deals = move || {
        conn.room.with(|r| {
            r.as_ref()
                .map(|r| {
                    r.deals
                        .iter()
                        .map(|d| (d.id, d.product, d.starts_at))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    let statuses = [
        OrderStatus::Accepted,
        OrderStatus::Ready,
        OrderStatus::PickedUp,
        OrderStatus::NotCollected,
        OrderStatus::Cancelled,
    ];
    view! {
        <section class="card" aria-labelledby="find-title">
            <h2 id="find-title">{txt("find.title")}</h2>
            <form id="find-form" class="grid" on:submit=submit role="search">
                <label>{txt("find.what")}
                    <input id="find-q" type="search" maxlength="24" placeholder=txt("find.placeholder")
                        prop:value=move || typed.with(|s| s.q.clone())
                        on:input=move |ev| typed.update(|s| s.q = event_target_value(&ev)) />
                </label>
                // On a phone the narrowing waits folded under the search, so the results are not
                // four selects further down; on a wider screen it stands open.
                <details class="find-filters" open=wide()>
                <summary>{txt("find.filters")}</summary>
                <label>{txt("orders.status")}
                    <select id="find-status" on:change=move |ev| typed.update(|s| s.status = event_target_value(&ev))>
                        <option value="">{txt("find.any")}</option>
                        {statuses.into_iter().map(|st| view! {
                            <option value=status_key(st)>{move || status_word(st)}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>{txt("orders.pickup")}
                    <select id="find-pickup" on:change=move |ev| typed.update(|s| s.pickup = event_target_value(&ev))>
                        <option value="">{txt("find.any")}</option>
                        {move || pickups().into_iter().map(|p| view! {
                            <option value=p.id.to_string()>{p.name.clone()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>{txt("find.deal")}
                    <select id="find-deal" on:change=move |ev| typed.update(|s| s.deal = event_target_value(&ev))>
                        <option value="">{txt("find.any")}</option>
                        {move || deals().into_iter().map(|(id, product, starts_at)| view! {
                            <option value=id.to_string()>{format!("{} · {}", names.product(product), crate::local_hm(starts_at))}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>{txt("find.placed")}
                    <select id="find-placed" on:change=move |ev| typed.update(|s| s.placed = event_target_value(&ev))>
                        <option value="">{txt("find.any")}</option>
                        <option value="staff">{txt("find.by_staff")}</option>
                        <option value="resident">{txt("find.by_resident")}</option>
                    </select>
                </label>
                </details>
                <div class="actions"><button type="submit" id="find-go" class="primary">{txt("find.go")}</button></div>
            </form>
            {move || problem.get().map(|p| view! { <p class="note warn" role="alert">{p}</p> })}

            {move || found.get().map(|list| if list.is_empty() {
                view! { <p class="muted" id="find-none" role="status">{txt("find.none")}</p> }.into_any()
            } else {
                let shown = list.len();
                view! {
                    <p class="muted" id="find-count">{if shown >= SHOWN {
                        tr!("find.count_capped", n = shown)
                    } else {
                        tr!("find.count", n = shown)
                    }}</p>
                    <ul class="found-list" id="find-results" role="status">
                        {list.into_iter().map(|f| {
                            let o = f.order;
                            let code = o.pickup_code.clone();
                            let (buyer, buyer_name) = (o.resident, o.nickname.clone());
                            let order_id = o.id;
                            view! {
                                <li class="found" data-order=o.id data-status=status_key(o.status)>
                                    <div class="grow">
                                        <strong>{o.nickname.clone()}</strong>" "
                                        <Phone show token order=o.id masked=f.phone.clone() />
                                        {o.placed_by.map(|_| {
                                            let by = f.placed_by_name.clone();
                                            view! { " " <span class="chip placed-by-staff">{move || by.clone().map_or_else(txt("find.by_staff"), |name| tr!("find.by_staff_named", name = name))}</span> }
                                        })}
                                        <div>{names.product(o.product)}" × "{o.qty}" · "{yuan(o.qty * o.unit_price)}</div>
                                        <div class="muted">{local_time(o.created_at)}" · "{names.pickup(o.pickup)}" · "
                                            {move || tr!("find.code", code = code.clone())}" · "
                                            <span data-status=status_key(o.status)>{super::order_table::status_line(&o)}</span></div>
                                    </div>
                                    {cancel_button(conn, &o)}
                                    {(o.status == OrderStatus::Accepted).then(|| view! {
                                        <super::fix::FixOrder conn show token order=o.clone() said />
                                    })}
                                    {move || said.get().filter(|(id, _, _)| *id == order_id).map(|(_, ok, words)| view! {
                                        <p class=if ok { "note ok said" } else { "note warn said" } id="fix-said" role="status">{words}</p>
                                    })}
                                    <super::mutes::PauseBuyer desk=mutes resident=buyer name=buyer_name />
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            })}
        </section>
    }
}

/// A buyer's number as staff see it (masked), and on asking (logged) the whole one, to call.
#[component]
fn Phone(show: ShowId, token: StoredValue<String>, order: i64, masked: String) -> impl IntoView {
    let whole = RwSignal::new(None::<String>);
    let problem = RwSignal::new(None::<String>);
    let reveal = move |_| {
        if !crate::pages::confirm(&tr!("find.reveal_ask")) {
            return;
        }
        spawn_local(async move {
            #[derive(serde::Deserialize)]
            struct Whole {
                phone: String,
            }
            let path = format!("/api/shows/{show}/orders/{order}/phone");
            let token = token.get_value();
            match call::<Whole>("POST", &path, Some(&token), None).await {
                Ok(w) => whole.set(Some(w.phone)),
                Err(f) => problem.set(Some(f.words())),
            }
        });
    };
    let has_number = !masked.is_empty();
    view! {
        {move || match whole.get() {
            Some(number) => view! {
                <a class="phone whole" href=format!("tel:{number}")>{number.clone()}</a>
            }.into_any(),
            None => view! {
                <span class="muted phone">{masked.clone()}</span>
                {has_number.then(|| view! {
                    " "<button type="button" class="link small" data-reveal=order
                        on:click=reveal>{txt("find.reveal")}</button>
                })}
            }.into_any(),
        }}
        {move || problem.get().map(|p| view! { <span class="note warn">{p}</span> })}
    }
}

/// Whether the screen is wider than a phone's.
fn wide() -> bool {
    window()
        .inner_width()
        .ok()
        .and_then(|w| w.as_f64())
        .is_some_and(|w| w > 600.0)
}
