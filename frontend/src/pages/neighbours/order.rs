//! Step 2: a deal on sale, how many, where to collect, and the order for the neighbour. The key of
//! an intent is made when its choices are made and kept until it has an answer, so a second tap
//! (or one after a dropped connection) is the same order, never a second one.

use leptos::prelude::*;
use leptos::task::spawn_local;
use mulin_shared::control::{Held, Neighbour, ProxyOrder};
use mulin_shared::{Deal, ErrorCode, Order, Refusal};

use super::{Desk, words};
use crate::api::call;
use crate::components::orders::Names;
use crate::i18n::txt;
use crate::socket::new_key;
use crate::{tr, yuan};

/// What came of the last tap.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Placed(Box<Order>),
    Refused(String),
}

/// Ordering a deal on sale for `neighbour`.
#[component]
pub(super) fn OrderFor(desk: Desk, neighbour: Neighbour) -> impl IntoView {
    let names = Names { conn: desk.conn };
    let deal = RwSignal::new(None::<i64>);
    let qty = RwSignal::new(1_i64);
    let pickup = RwSignal::new(None::<i64>);
    // The intent's key: none until the first tap, then the same until an answer comes.
    let key = StoredValue::new(None::<String>);
    let busy = RwSignal::new(false);
    let outcome = RwSignal::new(None::<Outcome>);
    // The chosen deal's limit when the order went out, for the words of a refusal.
    let chosen_limit = StoredValue::new(0_i64);
    // What the neighbour holds of the show's deals (her own buys and staff's for her), read again
    // after each order placed here: the limit is seen coming, not met.
    let held = RwSignal::new(Vec::<Held>::new());
    let resident = neighbour.resident;
    Effect::new(move |_| {
        let _ = desk.placed.get();
        let path = format!("/api/shows/{}/neighbours/{resident}/held", desk.show);
        spawn_local(async move {
            if let Ok(list) =
                call::<Vec<Held>>("GET", &path, Some(&desk.token.get_value()), None).await
            {
                held.set(list);
            }
        });
    });
    let held_of =
        move |deal: i64| held.with(|h| h.iter().find(|x| x.deal == deal).map_or(0, |x| x.units));
    // How many more she may have of `d`: its limit less what she holds, and no more than is left.
    let may_buy = move |d: &Deal| {
        (d.per_resident_limit - held_of(d.id))
            .min(d.remaining())
            .max(0)
    };
    let on_sale = move || {
        let now = desk.conn.server_now();
        desk.conn.room.with(|r| {
            r.as_ref()
                .map(|r| {
                    r.deals
                        .iter()
                        .filter(|d| d.is_open_at(now) && d.remaining() > 0)
                        .cloned()
                        .collect::<Vec<Deal>>()
                })
                .unwrap_or_default()
        })
    };
    let chosen = move || {
        deal.get()
            .and_then(|id| on_sale().into_iter().find(|d| d.id == id))
    };
    let pickups = move || {
        desk.conn.catalogue.with(|c| {
            c.as_ref()
                .map(|c| c.pickup_points.clone())
                .unwrap_or_default()
        })
    };
    // Any change of choice is a new intent.
    let changed = move || {
        key.set_value(None);
        outcome.set(None);
    };
    let who = neighbour.nickname.clone();
    let who2 = neighbour.nickname.clone();
    let place = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (Some(d), Some(p)) = (deal.get_untracked(), pickup.get_untracked()) else {
            outcome.set(Some(Outcome::Refused(tr!("nb.choose_first"))));
            return;
        };
        chosen_limit.set_value(chosen().map_or(0, |d| d.per_resident_limit));
        let intent = key.get_value().unwrap_or_else(new_key);
        key.set_value(Some(intent.clone()));
        let ask = ProxyOrder {
            resident,
            deal: d,
            qty: qty.get_untracked(),
            pickup: p,
            key: intent,
        };
        busy.set(true);
        spawn_local(async move {
            let path = format!("/api/shows/{}/proxy-orders", desk.show);
            let body = serde_json::to_string(&ask).unwrap_or_default();
            let token = desk.token.get_value();
            let answer = call::<Order>("POST", &path, Some(&token), Some(body)).await;
            busy.set(false);
            match answer {
                Ok(order) => {
                    key.set_value(None);
                    desk.placed.update(|n| *n += 1);
                    outcome.set(Some(Outcome::Placed(Box::new(order))));
                }
                // No answer: the tap may be retried, with the same key.
                Err(f) if f.code.is_none() => outcome.set(Some(Outcome::Refused(f.words()))),
                Err(f) => {
                    key.set_value(None);
                    let text = if f.code == Some(ErrorCode::Refused) {
                        let limit = chosen_limit.get_value();
                        refusal_words(&f.body, limit)
                    } else {
                        words(&f)
                    };
                    outcome.set(Some(Outcome::Refused(text)));
                }
            }
        });
    };
    // A deal is chosen for them when only one is on sale; the pickup point never is: an elderly
    // neighbour sent to the wrong branch is worse than one more tap.
    Effect::new(move |_| {
        let deals = on_sale();
        if deal.get_untracked().is_none() && deals.len() == 1 {
            deal.set(Some(deals[0].id));
        }
    });
    let placed = move || matches!(outcome.get(), Some(Outcome::Placed(_)));
    let another = move |_| {
        key.set_value(None);
        outcome.set(None);
        qty.set(1);
    };
    view! {
        <section class="card" aria-labelledby="nb-order-title">
            <h2 id="nb-order-title">{tr!("nb.order_title", name = who.clone())}</h2>
            <form class="stack" id="nb-order-form" on:submit=place hidden=placed>
                <fieldset class="deal-choice">
                    <legend>{txt("nb.deal")}</legend>
                    {move || {
                        let deals = on_sale();
                        if deals.is_empty() {
                            return view! { <p class="muted" id="nb-no-deals">{txt("nb.no_deals")}</p> }.into_any();
                        }
                        deals.into_iter().map(|d| {
                            let id = d.id;
                            let has = held_of(id);
                            let full = may_buy(&d) == 0;
                            view! {
                                <label class="choice" data-full=full.to_string()>
                                    <input type="radio" name="nb-deal" id=format!("nb-deal-{id}") disabled=full
                                        prop:checked=move || deal.get() == Some(id)
                                        on:change=move |_| { deal.set(Some(id)); qty.set(1); changed() } />
                                    <span><strong>{names.product(d.product)}</strong>" "{yuan(d.price)}
                                        <small>{tr!("nb.deal_left", left = d.remaining(), limit = d.per_resident_limit)}</small>
                                        {(has > 0).then(|| view! {
                                            <small class="held" id=format!("nb-held-{id}")>{if full {
                                                tr!("nb.held_full", held = has)
                                            } else {
                                                tr!("nb.held", held = has, left = d.per_resident_limit - has)
                                            }}</small>
                                        })}</span>
                                </label>
                            }
                        }).collect_view().into_any()
                    }}
                </fieldset>
                <div class="qty-row">
                    <span>{txt("nb.qty")}</span>
                    <button type="button" class="secondary" id="nb-qty-less" aria-label=txt("nb.qty_less")
                        disabled=move || qty.get() <= 1
                        on:click=move |_| { qty.update(|q| *q = (*q - 1).max(1)); changed() }>"−"</button>
                    <output id="nb-qty">{move || qty.get()}</output>
                    <button type="button" class="secondary" id="nb-qty-more" aria-label=txt("nb.qty_more")
                        disabled=move || chosen().is_none_or(|d| qty.get() >= may_buy(&d))
                        on:click=move |_| { qty.update(|q| *q += 1); changed() }>"+"</button>
                </div>
                <label>{txt("nb.pickup")}
                    <select id="nb-pickup" on:change=move |ev| {
                        pickup.set(event_target_value(&ev).parse().ok());
                        changed()
                    }>
                        <option value="" disabled selected=move || pickup.get().is_none()>{txt("nb.pickup_choose")}</option>
                        {move || pickups().into_iter().map(|p| {
                            let id = p.id;
                            view! { <option value=id.to_string() selected=move || pickup.get() == Some(id)>{p.name.clone()}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <button type="submit" class="primary big" id="nb-order"
                    disabled=move || busy.get() || chosen().is_none_or(|d| may_buy(&d) < qty.get()) || pickup.get().is_none()>
                    {move || match (chosen(), pickup.get()) {
                        (None, _) => tr!("nb.choose_deal"),
                        (Some(d), _) if may_buy(&d) == 0 && on_sale().len() > 1 => tr!("nb.at_limit"),
                        (Some(d), _) if may_buy(&d) == 0 => tr!("nb.at_limit_only"),
                        (Some(_), None) => tr!("nb.choose_pickup"),
                        (Some(d), Some(_)) => tr!("nb.order_for", name = who.clone(), amount = yuan(d.price * qty.get())),
                    }}
                </button>
            </form>
            {move || outcome.get().map(|o| match o {
                Outcome::Placed(order) => view! {
                    <div class="note ok placed" id="nb-placed" role="status">
                        <p>{tr!("nb.placed", product = names.product(order.product), qty = order.qty,
                            pickup = names.pickup(order.pickup))}</p>
                        <p class="code-line">{txt("nb.code")}" "<strong class="code">{order.pickup_code.clone()}</strong></p>
                        <button type="button" class="secondary" id="nb-another" on:click=another>{tr!("nb.another", name = who2.clone())}</button>
                    </div>
                }.into_any(),
                Outcome::Refused(text) => view! {
                    <p class="note warn" role="alert" id="nb-refused">{text}</p>
                }.into_any(),
            })}
        </section>
    }
}

/// The desk's refusal (`409 refused` with `reason`, `remaining`, `held`), in words; `limit` is
/// the deal's per-resident limit.
fn refusal_words(body: &str, limit: i64) -> String {
    #[derive(serde::Deserialize)]
    struct Refused {
        reason: Refusal,
        remaining: i64,
        held: i64,
    }
    match serde_json::from_str::<Refused>(body) {
        Ok(r) => match r.reason {
            Refusal::SoldOut => tr!("nb.sold_out"),
            Refusal::NotEnoughStock => tr!("nb.not_enough", left = r.remaining),
            Refusal::LimitReached if r.held < limit => {
                tr!("nb.limit_left", held = r.held, left = limit - r.held)
            }
            Refusal::LimitReached => tr!("nb.limit", held = r.held),
            Refusal::DealClosed => tr!("nb.closed"),
        },
        Err(_) => tr!("nb.sold_out"),
    }
}
