//! The deal on the resident's card: what it is, how many are left, and one tap to buy.

use leptos::prelude::*;
use mulin_shared::{Deal, DealId, OrderStatus, PickupId, Refusal, UtcMillis};

use super::StockMeter;
use crate::i18n::error_text;
use crate::i18n::txt;
use crate::socket::{Conn, Link, Purchase, recall, remember};
use crate::{clock_span, local_time, tr, yuan};

/// Where the last chosen pickup point is remembered on this device.
const PICKUP_KEY: &str = "mulin.pickup";

/// The deal card with the purchase flow (which deal it shows: see `pages::resident`).
#[component]
pub fn DealCard(
    conn: Conn,
    deal: Memo<Option<Deal>>,
    now: ReadSignal<UtcMillis>,
    choice: RwSignal<Option<DealId>>,
) -> impl IntoView {
    let (qty, set_qty) = signal(1i64);
    let id = Memo::new(move |_| deal.with(|d| d.as_ref().map(|d| d.id)));
    // Another deal on the card: its quantity starts at one.
    Effect::new(move |_| {
        id.track();
        set_qty.set(1);
    });
    let remembered: Option<PickupId> = recall(PICKUP_KEY).and_then(|p| p.parse().ok());
    let (pickup, set_pickup) = signal(remembered);

    let product = move || {
        let id = deal.with(|d| d.as_ref().map(|d| d.product))?;
        conn.catalogue
            .with(|c| c.as_ref().and_then(|c| c.product(id).cloned()))
    };
    let pickups = move || {
        conn.catalogue
            .with(|c| c.as_ref().map(|c| c.pickup_points.clone()))
            .unwrap_or_default()
    };
    // Choose the remembered pickup point, or the first one, once the catalogue arrives.
    Effect::new(move |_| {
        let points = pickups();
        let current = pickup.get();
        if current.is_none_or(|id| !points.iter().any(|p| p.id == id)) {
            set_pickup.set(points.first().map(|p| p.id));
        }
    });

    let where_it_is = move || {
        let id = pickup.get();
        conn.catalogue
            .with(|c| {
                let p = c.as_ref()?.pickup(id?)?;
                Some(if p.hours.is_empty() {
                    p.address.clone()
                } else {
                    format!(
                        "{} · {}",
                        p.address,
                        tr!("pickup.hours", hours = p.hours.clone())
                    )
                })
            })
            .unwrap_or_default()
    };

    let remaining =
        Signal::derive(move || deal.with(|d| d.as_ref().map(|d| d.remaining()).unwrap_or(0)));
    let stock = Signal::derive(move || deal.with(|d| d.as_ref().map(|d| d.stock).unwrap_or(0)));
    let limit = move || deal.with(|d| d.as_ref().map(|d| d.per_resident_limit).unwrap_or(1));
    let window = move || {
        deal.with(|d| {
            d.as_ref()
                .map(|d| (d.starts_at, d.ends_at))
                .unwrap_or_default()
        })
    };
    let open = move || deal.with(|d| d.as_ref().is_some_and(|d| d.is_open_at(now.get())));
    // Pinned before it starts: residents see when, and Buy waits for it.
    let soon = move || !open() && window().0 > now.get() && window().1 > now.get();
    let countdown = move || {
        let ((starts, ends), now) = (window(), now.get());
        if starts > now {
            tr!("time.starts_in", t = clock_span(starts - now))
        } else if ends > now {
            tr!("time.ends_in", t = clock_span(ends - now))
        } else {
            tr!("time.ended")
        }
    };
    // Units this resident holds in this deal already (orders not cancelled), and may still buy.
    let held = move || {
        let id = id.get();
        conn.my_orders.with(|mine| {
            mine.iter()
                .filter(|o| Some(o.deal) == id && o.status != OrderStatus::Cancelled)
                .map(|o| o.qty)
                .sum::<i64>()
        })
    };
    let left_for_me = move || (limit() - held()).max(0);
    let max_qty = move || left_for_me().min(remaining.get()).max(1);
    let waiting = move || matches!(conn.purchase.get(), Purchase::Waiting { .. });
    let signed_in = move || conn.me.with(|m| m.is_some());
    let can_buy = move || {
        open()
            && remaining.get() > 0
            && left_for_me() > 0
            && signed_in()
            && !waiting()
            && conn.link.get() == Link::Online
            && pickup.get().is_some()
    };
    // What a tap buys: the count, held to what the limit and the stock still allow (it shrinks
    // after a purchase or as others buy), so the button never shows more than it orders.
    let qty = Signal::derive(move || qty.get().clamp(1, max_qty()));
    let total = move || deal.with(|d| d.as_ref().map(|d| d.price).unwrap_or(0)) * qty.get();

    // A resident who has started choosing (quantity, pickup point) keeps this deal on the card:
    // a launch or pin from now on is offered above it instead of replacing it under their finger.
    let hold = move || choice.set(id.get_untracked());
    let buy = move |_| {
        if let (Some(id), Some(p)) = (
            deal.with_untracked(|d| d.as_ref().map(|d| d.id)),
            pickup.get_untracked(),
        ) {
            // The card keeps this deal until the answer, and after it, whatever the host pins.
            choice.set(Some(id));
            conn.buy(id, qty.get_untracked(), p);
        }
    };
    // Machine-readable state beside the words, for tests and styling in either language.
    let button_state = move || {
        if soon() {
            "soon"
        } else if !open() {
            "ended"
        } else if remaining.get() == 0 {
            "sold_out"
        } else if signed_in() && left_for_me() == 0 && !waiting() {
            "limit"
        } else if waiting() {
            "ordering"
        } else {
            "buy"
        }
    };
    let button_label = move || match button_state() {
        "soon" => tr!("deal.soon", time = local_time(window().0)),
        "ended" => tr!("deal.ended"),
        "sold_out" => tr!("deal.sold_out"),
        "limit" => tr!("deal.limit_done"),
        "ordering" => tr!("deal.ordering"),
        _ => tr!("deal.buy", total = yuan(total())),
    };
    let provenance = move || {
        product().map(|p| {
            let mut line = vec![tr!("deal.origin", origin = p.origin)];
            if !p.batch.is_empty() {
                line.push(tr!("deal.batch", batch = p.batch));
            }
            line.push(p.unit);
            // Each part stays whole on a narrow screen ("YS-1118-03" is not split at a dash), and a
            // line breaks only after a separator, never before it.
            line.into_iter()
                .enumerate()
                .map(|(i, part)| {
                    let sep = if i == 0 { "" } else { "\u{a0}· " };
                    view! { {sep} <span class="nowrap">{part}</span> }
                })
                .collect_view()
        })
    };

    // The buttons to choose and buy come a task after the deal itself (`draw_later`).
    let purchase = NodeRef::new();
    crate::draw_later(1, purchase, move || {
        view! {
            <div class="buy-row">
                <div class="qty" role="group" aria-label=txt("deal.quantity")>
                    <button type="button" id="qty-less" aria-label=txt("deal.fewer") disabled=move || { qty.get() <= 1 }
                        on:click=move |_| { hold(); set_qty.set((qty.get_untracked() - 1).max(1)) }>"−"</button>
                    <output id="qty" aria-live="polite">{move || qty.get()}</output>
                    <button type="button" id="qty-more" aria-label=txt("deal.more") disabled=move || { qty.get() >= max_qty() }
                        on:click=move |_| { hold(); set_qty.update(|q| *q = (*q + 1).min(max_qty())) }>"+"</button>
                </div>
                <label class="pickup">
                    <span>{txt("deal.pickup_at")}</span>
                    <select id="pickup" on:change=move |ev| {
                        hold();
                        if let Ok(id) = event_target_value(&ev).parse::<PickupId>() {
                            remember(PICKUP_KEY, &id.to_string());
                            set_pickup.set(Some(id));
                        }
                    }>
                        {move || pickups().into_iter().map(|p| {
                            let selected = pickup.get() == Some(p.id);
                            view! { <option value=p.id.to_string() selected=selected>{p.name.clone()}</option> }
                        }).collect_view()}
                    </select>
                </label>
            </div>
            // Where the chosen point is and when it opens, so nobody orders to a store they can't reach.
            <p class="muted small-print" id="pickup-where">{where_it_is}</p>
            // Before sign-in, "sign in to buy" stands where Buy will be (on a phone's first screen)
            // and leads to the page's sign-in form just below the card, so nobody wonders why Buy
            // is grey.
            <Show when=signed_in fallback=move || view! {
                <a class="buy" id="sign-in-to-buy" href="#nickname">{txt("deal.sign_in_to_buy")}</a>
            }>
                <button type="button" id="buy" class="buy" data-state=button_state disabled=move || !can_buy() on:click=buy>
                    {button_label}
                </button>
            </Show>
            <PurchaseNote conn deal=id limit=Signal::derive(limit) held=Signal::derive(held) />
        }
    });
    view! {
        <article class="card deal" aria-labelledby="deal-name">
            <div class="deal-head">
                {move || product().and_then(|p| p.picture.clone().map(|src| view! {
                    <img class="deal-picture" src=src width="96" height="96"
                        alt=move || tr!("deal.picture", name = p.name.clone()) />
                }))}
                <div>
                    <h2 id="deal-name">{move || product().map(|p| p.name).unwrap_or_default()}</h2>
                    <p class="muted" id="deal-provenance">{provenance}</p>
                </div>
            </div>
            {move || product().map(|p| p.description).filter(|d| !d.is_empty()).map(|d| view! {
                <p class="deal-description" id="deal-description">{d}</p>
            })}
            <div class="price-row">
                <span class="price" id="deal-price">{move || yuan(deal.with(|d| d.as_ref().map(|d| d.price).unwrap_or(0)))}</span>
                <s class="muted" aria-label=txt("deal.normal_price")>{move || product().map(|p| yuan(p.normal_price)).unwrap_or_default()}</s>
                <span class="countdown" aria-live="off">{countdown}</span>
            </div>
            <StockMeter remaining stock />
            <p class="muted" id="deal-limit">
                {move || match held() {
                    0 => tr!("deal.limit", n = limit()),
                    h => tr!("deal.limit_held", n = limit(), held = h, left = left_for_me()),
                }}
            </p>

            <div class="later" node_ref=purchase></div>
        </article>
    }
}

/// What became of the resident's purchase of `deal`, in words (a purchase of another deal says
/// nothing here).
#[component]
fn PurchaseNote(
    conn: Conn,
    deal: Memo<Option<DealId>>,
    limit: Signal<i64>,
    held: Signal<i64>,
) -> impl IntoView {
    move || {
        let pickup_name = |id: PickupId| {
            conn.catalogue
                .with_untracked(|c| {
                    c.as_ref()
                        .and_then(|c| c.pickup(id).map(|p| p.name.clone()))
                })
                .unwrap_or_default()
        };
        let purchase = conn.purchase.get();
        let of = match &purchase {
            Purchase::Idle => None,
            Purchase::Waiting { deal, .. } | Purchase::Refused { deal, .. } => Some(*deal),
            Purchase::Accepted(order) => Some(order.deal),
            Purchase::Failed { tried, .. } => Some(tried.0),
        };
        let purchase = if of == deal.get() {
            purchase
        } else {
            Purchase::Idle
        };
        match purchase {
            Purchase::Idle => view! { <p class="note" id="purchase" role="status"></p> }.into_any(),
            Purchase::Waiting { .. } => view! {
                <p class="note" id="purchase" role="status" data-state="waiting">{txt("buy.waiting")}</p>
            }.into_any(),
            Purchase::Accepted(order) => {
                let at = pickup_name(order.pickup);
                view! {
                    <p class="note ok" id="purchase" role="status" data-state="accepted">
                        {txt("buy.accepted")} " " <strong class="code">{order.pickup_code.clone()}</strong>
                        {move || tr!("buy.accepted_at", pickup = at.clone())}
                    </p>
                }.into_any()
            }
            Purchase::Refused {
                reason,
                remaining,
                held: refused_held,
                ..
            } => {
                let state = match reason {
                    Refusal::SoldOut => "sold_out",
                    Refusal::NotEnoughStock => "not_enough",
                    Refusal::LimitReached => "limit",
                    Refusal::DealClosed => "closed",
                };
                let text = move || match reason {
                    Refusal::SoldOut => tr!("buy.sold_out"),
                    Refusal::NotEnoughStock => tr!("buy.not_enough", n = remaining),
                    Refusal::LimitReached => {
                        // What the desk counted when it refused: this page may not know of an
                        // order made in another tab.
                        let (n, held) = (limit.get(), refused_held.max(held.get_untracked()));
                        tr!("buy.limit", n = n, held = held, left = (n - held).max(0))
                    }
                    Refusal::DealClosed => tr!("buy.closed"),
                };
                view! { <p class="note warn" id="purchase" role="status" data-state=state>{text}</p> }.into_any()
            }
            Purchase::Failed { code, .. } => view! {
                <p class="note warn" id="purchase" role="status" data-state="failed" data-code=crate::i18n::code_name(code)>
                    {move || if code == mulin_shared::ErrorCode::Muted {
                        // Paused by staff: their reason (the message is it), and no "try again".
                        tr!("buy.muted", why = conn.error.with(|e| e.as_ref().map(|(_, m)| m.clone()).unwrap_or_default()))
                    } else {
                        tr!("buy.failed", why = error_text(code))
                    }}
                </p>
            }.into_any(),
        }
    }
}
