//! The host console: keep the catalogue, launch or schedule flash deals, pin, extend, restock and
//! end them while watching every deal sell, and run lucky bags.

mod catalogue;

use leptos::prelude::*;
use mulin_shared::{
    BagPhase, ClientMsg, Deal, DealStatus, Eligibility, ErrorCode, OrderStatus, Role, ShowId,
    parse_yuan,
};

use super::moderator::StaffGate;
use crate::components::{Countdown, ShowBar};
use crate::i18n::txt;
use crate::i18n::{LangSwitch, error_text};
use crate::socket::Conn;
use crate::{local_time, server_clock, tr, yuan};

/// The console beside the camera.
#[component]
pub fn HostPage(show: ShowId, token: String) -> impl IntoView {
    let upload_token = StoredValue::new(token.clone());
    let conn = Conn::open_staff(show, token);
    let now = server_clock(conn);
    let allowed = Signal::derive(move || {
        conn.me
            .with(|m| m.as_ref().is_some_and(|m| m.role == Role::Host))
    });
    let deals = move || {
        conn.room
            .with(|r| r.as_ref().map(|r| r.deals.clone()).unwrap_or_default())
    };
    view! {
        <main class="page staff">
            <ShowBar conn role=|| tr!("bar.host") />
            <div class="tools"><LangSwitch /></div>
            <StaffGate conn allowed />
            <Show when=move || allowed.get()>
                <LaunchForm conn now />
                <RestockForm conn now />
                <BagPanel conn now />
            </Show>
            <section class="card" aria-labelledby="deals-title">
                <h2 id="deals-title">{txt("host.deals")}</h2>
                <ul class="deal-list">
                    <For each=deals key=|d| (d.id, d.sold, d.stock, d.status as u8, d.ends_at) let(d)>
                        <DealRow conn deal=d now can_end=allowed />
                    </For>
                </ul>
            </section>
            <Show when=move || allowed.get()>
                <catalogue::CataloguePanel conn show token=upload_token.get_value() />
            </Show>
        </main>
    }
}

#[component]
fn DealRow(conn: Conn, deal: Deal, now: ReadSignal<i64>, can_end: Signal<bool>) -> impl IntoView {
    let name = conn.product_name(deal.product);
    let id = deal.id;
    let (starts_at, ends_at) = (deal.starts_at, deal.ends_at);
    let ended = deal.status == DealStatus::Ended;
    let open = move || !ended && now.get() < ends_at;
    let soon = move || open() && now.get() < starts_at;
    let pinned = move || conn.room.with(|r| r.as_ref().and_then(|r| r.pinned)) == Some(id);
    // Five more minutes from the later of its end and now (a deal whose time ran out opens again).
    let extend = move |_| {
        conn.error.set(None);
        conn.send(ClientMsg::ExtendDeal {
            deal: id,
            ends_at: ends_at.max(conn.server_now()) + 5 * 60_000,
        })
    };
    // Orders of this deal in the last minute, from the live order list staff receive.
    let per_minute = move || {
        let since = now.get() - 60_000;
        let n = conn.orders.with(|all| {
            all.iter()
                .filter(|o| {
                    o.deal == id && o.created_at > since && o.status != OrderStatus::Cancelled
                })
                .count()
        });
        tr!("host.per_minute", n = n)
    };
    view! {
        <li class="deal-line" data-deal=id data-pinned=move || pinned().to_string()>
            <div>
                <Show when=pinned><span class="chip on">{txt("host.pinned")}</span> " "</Show>
                <Show when=soon><span class="chip soon">{move || tr!("host.starts", time = local_time(starts_at))}</span> " "</Show>
                <strong>{name}</strong>
                <span class="muted">" " {yuan(deal.price)} {move || tr!("host.limit", n = deal.per_resident_limit)}</span>
                <p class="muted">
                    {move || tr!("host.sold", sold = deal.sold, left = deal.remaining(), stock = deal.stock)} " · "
                    <span class="per-minute">{per_minute}</span> " · "
                    <Countdown ends_at=Signal::derive(move || if ended { 0 } else { ends_at }) now />
                </p>
            </div>
            <Show when=move || can_end.get() && (open() || !ended)>
                <div class="row-actions">
                    <Show when=move || open() && !pinned()>
                        <button type="button" class="secondary small pin"
                            on:click=move |_| conn.send(ClientMsg::PinDeal { deal: Some(id) })>{txt("host.pin")}</button>
                    </Show>
                    <Show when=pinned>
                        <button type="button" class="secondary small unpin"
                            on:click=move |_| conn.send(ClientMsg::PinDeal { deal: None })>{txt("host.unpin")}</button>
                    </Show>
                    <button type="button" class="secondary small extend" on:click=extend>{txt("host.extend")}</button>
                    <Show when=open>
                        <button type="button" class="secondary small end"
                            on:click=move |_| conn.send(ClientMsg::EndDeal { deal: id })>
                            {move || if soon() { tr!("host.call_off") } else { tr!("host.end_now") }}
                        </button>
                    </Show>
                </div>
            </Show>
        </li>
    }
}

/// Adds units to a deal that is on sale.
#[component]
fn RestockForm(conn: Conn, now: ReadSignal<i64>) -> impl IntoView {
    // A memo: the clock ticks four times a second, and the choices only change with the deals (a
    // redrawn list would close the select under the host's finger).
    let live = Memo::new(move |_| {
        let now = now.get();
        conn.room
            .with(|r| {
                r.as_ref().map(|r| {
                    r.deals
                        .iter()
                        .filter(|d| d.is_open_at(now))
                        .map(|d| (d.id, conn.product_name(d.product), d.price))
                        .collect::<Vec<_>>()
                })
            })
            .unwrap_or_default()
    });
    let (deal, set_deal) = signal(None::<i64>);
    let (units, set_units) = signal("10".to_string());
    let (problem, set_problem) = signal(None::<String>);
    let server_problem =
        server_problem(conn, &[ErrorCode::InvalidQuantity, ErrorCode::UnknownDeal]);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let parsed = (|| {
            let deal = deal
                .get_untracked()
                .or_else(|| live.with_untracked(|l| l.first().map(|d| d.0)))
                .ok_or_else(|| error_text(ErrorCode::UnknownDeal))?;
            let units: i64 = units
                .get_untracked()
                .trim()
                .parse()
                .ok()
                .filter(|u| *u >= 1)
                .ok_or_else(|| tr!("host.need_units"))?;
            Ok(ClientMsg::Restock { deal, units })
        })();
        send_or_explain(conn, set_problem, parsed);
    };
    view! {
        <form class="card launch" id="restock-form" on:submit=submit aria-labelledby="restock-title" novalidate
            hidden=move || live.with(Vec::is_empty)>
            <h2 id="restock-title">{txt("host.restock_title")}</h2>
            <div class="grid">
                <label>{txt("host.restock_deal")}
                    <select id="restock-deal" on:change=move |ev| set_deal.set(event_target_value(&ev).parse().ok())>
                        {move || live.get().into_iter().map(|(id, name, price)| {
                            let selected = deal.get() == Some(id);
                            view! { <option value=id.to_string() selected=selected>{format!("{name} ({})", yuan(price))}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label>{txt("host.restock_units")}
                    <input id="restock-units" type="number" min="1"
                        prop:value=move || units.get() on:input=move |ev| set_units.set(event_target_value(&ev)) />
                </label>
            </div>
            <button type="submit" id="restock" class="primary">{txt("host.restock")}</button>
            {move || problem.get().or_else(server_problem).map(|p| view! { <p class="note warn" role="alert">{p}</p> })}
        </form>
    }
}

/// Product, deal price, stock, limit, start (now, or a set time), duration — and Launch.
#[component]
fn LaunchForm(conn: Conn, now: ReadSignal<i64>) -> impl IntoView {
    let products = move || {
        conn.catalogue
            .with(|c| c.as_ref().map(|c| c.products.clone()).unwrap_or_default())
    };
    let (product, set_product) = signal(None::<i64>);
    let (price, set_price) = signal(String::new());
    let (stock, set_stock) = signal("100".to_string());
    let (limit, set_limit) = signal("2".to_string());
    let (minutes, set_minutes) = signal("30".to_string());
    // A `datetime-local` value in the host's own time zone; empty means now.
    let (start, set_start) = signal(String::new());
    let (problem, set_problem) = signal(None::<String>);
    let starts_at = move || -> Result<Option<i64>, String> {
        let text = start.get();
        if text.trim().is_empty() {
            return Ok(None);
        }
        let at = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(text.trim())).get_time();
        if at.is_nan() {
            return Err(tr!("host.need_start"));
        }
        // The host's clock may be off: the time they mean is on the server's clock.
        let at = at as i64 + (conn.server_now() - js_sys::Date::now() as i64);
        Ok((at > now.get()).then_some(at))
    };
    Effect::new(move |_| {
        if product.get().is_none() {
            set_product.set(products().first().map(|p| p.id));
        }
    });
    let server_problem = server_problem(
        conn,
        &[
            ErrorCode::InvalidDeal,
            ErrorCode::UnknownProduct,
            ErrorCode::Forbidden,
        ],
    );
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let parsed = (|| {
            let product = product
                .get_untracked()
                .ok_or_else(|| tr!("host.need_product"))?;
            let price = parse_yuan(&price.get_untracked()).ok_or_else(|| tr!("host.need_price"))?;
            let stock: i64 = stock
                .get_untracked()
                .trim()
                .parse()
                .map_err(|_| tr!("host.need_stock"))?;
            let limit: i64 = limit
                .get_untracked()
                .trim()
                .parse()
                .map_err(|_| tr!("host.need_limit"))?;
            let minutes: i64 = minutes
                .get_untracked()
                .trim()
                .parse()
                .map_err(|_| tr!("host.need_minutes"))?;
            if !(1..=7 * 24 * 60).contains(&minutes) {
                return Err(tr!("host.minutes_range"));
            }
            let starts_at = starts_at()?;
            Ok(ClientMsg::LaunchDeal {
                product,
                price,
                stock,
                per_resident_limit: limit,
                starts_at,
                ends_at: starts_at.unwrap_or_else(|| conn.server_now()) + minutes * 60_000,
            })
        })();
        send_or_explain(conn, set_problem, parsed);
    };
    view! {
        <form class="card launch" on:submit=submit aria-labelledby="launch-title" novalidate>
            <h2 id="launch-title">{txt("host.launch_title")}</h2>
            <div class="grid">
                <label>{txt("host.product")}
                    <select id="launch-product" on:change=move |ev| set_product.set(event_target_value(&ev).parse().ok())>
                        {move || products().into_iter().map(|p| {
                            let selected = product.get() == Some(p.id);
                            view! { <option value=p.id.to_string() selected=selected>{format!("{} ({})", p.name, yuan(p.normal_price))}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label>{txt("host.price")}
                    <input id="launch-price" inputmode="decimal" required placeholder="12.90"
                        prop:value=move || price.get() on:input=move |ev| set_price.set(event_target_value(&ev)) />
                </label>
                <label>{txt("host.stock")}
                    <input id="launch-stock" type="number" min="1" required
                        prop:value=move || stock.get() on:input=move |ev| set_stock.set(event_target_value(&ev)) />
                </label>
                <label>{txt("host.per_resident")}
                    <input id="launch-limit" type="number" min="1" required
                        prop:value=move || limit.get() on:input=move |ev| set_limit.set(event_target_value(&ev)) />
                </label>
                <label>{txt("host.minutes")}
                    <input id="launch-minutes" type="number" min="1" required
                        prop:value=move || minutes.get() on:input=move |ev| set_minutes.set(event_target_value(&ev)) />
                </label>
                <label>{txt("host.start")}
                    <input id="launch-start" type="datetime-local"
                        prop:value=move || start.get() on:input=move |ev| set_start.set(event_target_value(&ev)) />
                </label>
            </div>
            <button type="submit" id="launch" class="primary">
                {move || if matches!(starts_at(), Ok(Some(_))) { tr!("host.schedule") } else { tr!("host.launch") }}
            </button>
            {move || problem.get().or_else(server_problem).map(|p| view! { <p class="note warn" role="alert">{p}</p> })}
        </form>
    }
}

/// The lucky bag from the host's side: open one (prize, winners, how long, who may enter, where
/// prizes are collected), watch entries come in, close and draw.
#[component]
fn BagPanel(conn: Conn, now: ReadSignal<i64>) -> impl IntoView {
    let bag = Memo::new(move |_| conn.room.with(|r| r.as_ref().and_then(|r| r.bag.clone())));
    let open_bag = move || bag.with(|b| b.as_ref().filter(|b| b.phase == BagPhase::Open).cloned());
    let pickups = move || {
        conn.catalogue.with(|c| {
            c.as_ref()
                .map(|c| c.pickup_points.clone())
                .unwrap_or_default()
        })
    };
    let (prize, set_prize) = signal(String::new());
    let (winners, set_winners) = signal("1".to_string());
    let (minutes, set_minutes) = signal("5".to_string());
    let (buyers_only, set_buyers_only) = signal(false);
    let (pickup, set_pickup) = signal(None::<i64>);
    let (problem, set_problem) = signal(None::<String>);
    let server_problem = server_problem(
        conn,
        &[
            ErrorCode::InvalidBag,
            ErrorCode::BagAlreadyOpen,
            ErrorCode::UnknownPickup,
        ],
    );
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let parsed = (|| {
            let prize = prize.get_untracked();
            let chars = prize.trim().chars().count();
            if chars == 0 || chars > mulin_shared::lucky_bag::MAX_PRIZE_CHARS {
                return Err(tr!("hostbag.need_prize"));
            }
            let winners: u32 = winners
                .get_untracked()
                .trim()
                .parse()
                .ok()
                .filter(|w| (1..=mulin_shared::lucky_bag::MAX_WINNERS).contains(w))
                .ok_or_else(|| tr!("hostbag.need_winners"))?;
            let minutes: i64 = minutes
                .get_untracked()
                .trim()
                .parse()
                .ok()
                .filter(|m| (1..=24 * 60).contains(m))
                .ok_or_else(|| tr!("hostbag.need_minutes"))?;
            let pickup = pickup
                .get_untracked()
                .or_else(|| pickups().first().map(|p| p.id))
                .ok_or_else(|| error_text(ErrorCode::UnknownPickup))?;
            Ok(ClientMsg::OpenBag {
                prize: prize.trim().to_string(),
                winners,
                closes_at: conn.server_now() + minutes * 60_000,
                eligibility: if buyers_only.get_untracked() {
                    Eligibility::Buyers
                } else {
                    Eligibility::Everyone
                },
                pickup,
            })
        })();
        send_or_explain(conn, set_problem, parsed);
    };
    view! {
        <section class="card launch bag-panel" aria-labelledby="bag-panel-title">
            <h2 id="bag-panel-title">{txt("hostbag.title")}</h2>
            {move || match open_bag() {
                Some(b) => {
                    let id = b.id;
                    let closes_at = b.closes_at;
                    view! {
                        <p id="host-bag-status">{tr!("hostbag.status", prize = b.prize, entrants = b.entrants)}
                            " · " <Countdown ends_at=Signal::derive(move || closes_at) now /></p>
                        <button type="button" id="bag-close" class="primary"
                            on:click=move |_| conn.send(ClientMsg::CloseBag { bag: id })>{txt("hostbag.close")}</button>
                    }.into_any()
                }
                None => view! {
                    <p class="muted" id="host-bag-last">{move || bag.get().filter(|b| b.phase == BagPhase::Drawn).map(|b| {
                        let names: Vec<String> = b.winners.iter().map(|w| w.nickname.clone()).collect();
                        tr!("hostbag.drawn", prize = b.prize, winners = names.join("、"))
                    })}</p>
                    <form id="bag-form" on:submit=submit novalidate>
                        <div class="grid">
                            <label>{txt("hostbag.prize")}
                                <input id="bag-prize" maxlength="60" placeholder=txt("hostbag.prize_example")
                                    prop:value=move || prize.get() on:input=move |ev| set_prize.set(event_target_value(&ev)) />
                            </label>
                            <label>{txt("hostbag.winners")}
                                <input id="bag-winners-wanted" type="number" min="1" max="1000"
                                    prop:value=move || winners.get() on:input=move |ev| set_winners.set(event_target_value(&ev)) />
                            </label>
                            <label>{txt("hostbag.minutes")}
                                <input id="bag-minutes" type="number" min="1"
                                    prop:value=move || minutes.get() on:input=move |ev| set_minutes.set(event_target_value(&ev)) />
                            </label>
                            <label>{txt("hostbag.who")}
                                <select id="bag-eligibility" on:change=move |ev| set_buyers_only.set(event_target_value(&ev) == "buyers")>
                                    <option value="everyone" selected=move || !buyers_only.get()>{txt("hostbag.everyone")}</option>
                                    <option value="buyers" selected=move || buyers_only.get()>{txt("hostbag.buyers")}</option>
                                </select>
                            </label>
                            <label>{txt("hostbag.pickup")}
                                <select id="bag-pickup" on:change=move |ev| set_pickup.set(event_target_value(&ev).parse().ok())>
                                    {move || pickups().into_iter().map(|p| view! { <option value=p.id.to_string()>{p.name}</option> }).collect_view()}
                                </select>
                            </label>
                        </div>
                        <p class="note" hidden=move || !buyers_only.get()>{txt("hostbag.suggest")}</p>
                        <button type="submit" id="bag-open" class="primary">{txt("hostbag.open")}</button>
                    </form>
                }.into_any(),
            }}
            {move || problem.get().or_else(server_problem).map(|p| view! { <p class="note warn" role="alert">{p}</p> })}
        </section>
    }
}

/// Sends a form's message, or shows in words why it cannot be sent.
fn send_or_explain(
    conn: Conn,
    set_problem: WriteSignal<Option<String>>,
    parsed: Result<ClientMsg, String>,
) {
    match parsed {
        Ok(msg) => {
            set_problem.set(None);
            conn.error.set(None);
            conn.send(msg);
        }
        Err(text) => set_problem.set(Some(text)),
    }
}

/// The server's last refusal, in words, if it is one of `codes` (the ones a form can cause).
fn server_problem(conn: Conn, codes: &'static [ErrorCode]) -> impl Fn() -> Option<String> + Copy {
    move || {
        conn.error.with(|e| {
            e.as_ref()
                .filter(|(code, _)| codes.contains(code))
                .map(|(code, _)| error_text(*code))
        })
    }
}
