//! The host's deals: the live list (on sale or sold out, newest first, then coming up, and
//! ended ones last), the launch form with its guard rails, and restocking.

use leptos::prelude::*;
use mulin_shared::{ClientMsg, Deal, DealStatus, ErrorCode, OrderStatus, ServerMsg, parse_yuan};

use super::{busy, confirm, label_or_working, send_or_explain, server_problem};
use crate::i18n::{error_text, txt};
use crate::socket::Conn;
use crate::{clock_span, local_hm, tr, yuan};

/// Where a deal stands, in the order the host's list shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stand {
    Pinned,
    OnSale,
    ComingUp,
    SoldOut,
    Ended,
}

fn stand(deal: &Deal, pinned: Option<i64>, now: i64) -> Stand {
    if deal.status == DealStatus::Ended || deal.ends_at <= now {
        Stand::Ended
    } else if deal.starts_at > now {
        Stand::ComingUp
    } else if deal.remaining() <= 0 {
        Stand::SoldOut
    } else if pinned == Some(deal.id) {
        Stand::Pinned
    } else {
        Stand::OnSale
    }
}

/// The show's deals, live: what sells now first, what has ended last.
#[component]
pub fn DealList(conn: Conn, now: ReadSignal<i64>, can_act: Signal<bool>) -> impl IntoView {
    // Re-sorted when the deals change, or once a deal's phase changes with the clock (the memo
    // compares the order, so the list is not redrawn four times a second).
    let ordered = Memo::new(move |_| {
        let now = now.get();
        conn.room
            .with(|r| {
                r.as_ref().map(|r| {
                    let mut deals: Vec<(Stand, Deal)> = r
                        .deals
                        .iter()
                        .map(|d| (stand(d, r.pinned, now), d.clone()))
                        .collect();
                    // Newest first among those on sale. Pinning or selling out keeps a deal in
                    // its place (it stands out by its chip and colour): the host's next tap is
                    // often on that row, and a row moving under a thumb lands the tap on another
                    // deal. Only launching, starting and ending move rows.
                    deals.sort_by_key(|(s, d)| match s {
                        Stand::Pinned | Stand::OnSale | Stand::SoldOut => (0, -d.id),
                        Stand::ComingUp => (1, d.starts_at),
                        Stand::Ended => (2, -d.id),
                    });
                    deals
                })
            })
            .unwrap_or_default()
    });
    view! {
        <section class="card" aria-labelledby="deals-title">
            <h2 id="deals-title">{txt("host.deals")}</h2>
            <ul class="deal-list">
                <For each=move || ordered.get()
                    key=|(s, d)| (d.id, d.sold, d.stock, d.status as u8, d.ends_at, *s as u8) let((s, d))>
                    <DealRow conn deal=d stand=s now can_act />
                </For>
            </ul>
        </section>
    }
}

#[component]
fn DealRow(
    conn: Conn,
    deal: Deal,
    stand: Stand,
    now: ReadSignal<i64>,
    can_act: Signal<bool>,
) -> impl IntoView {
    let name = conn.product_name(deal.product);
    let id = deal.id;
    let (starts_at, ends_at) = (deal.starts_at, deal.ends_at);
    let soon = stand == Stand::ComingUp;
    let open = !matches!(stand, Stand::Ended);
    let pinned = move || conn.room.with(|r| r.as_ref().and_then(|r| r.pinned)) == Some(id);
    // Five more minutes from the later of its end and now (a deal whose time ran out opens again).
    let extend = move |_| {
        conn.request(
            "extend",
            ClientMsg::ExtendDeal {
                deal: id,
                ends_at: ends_at.max(conn.server_now()) + 5 * 60_000,
            },
        )
    };
    let end_name = name.clone();
    let end = move |_| {
        let question = if soon {
            tr!("host.call_off_confirm", name = end_name.clone())
        } else {
            tr!("host.end_confirm", name = end_name.clone())
        };
        if confirm(&question) {
            conn.request("end", ClientMsg::EndDeal { deal: id });
        }
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
    // A deal coming up counts down to its start; one on sale to its end.
    let clock = move || {
        let now = now.get();
        match stand {
            Stand::ComingUp => tr!("time.starts_in", t = clock_span(starts_at - now)),
            Stand::Ended => tr!("time.ended"),
            _ => tr!("time.ends_in", t = clock_span(ends_at - now)),
        }
    };
    let (chip_class, chip) = match stand {
        Stand::Pinned => ("chip on", Some(tr!("host.pinned"))),
        Stand::ComingUp => (
            "chip soon",
            Some(tr!("host.starts", time = local_hm(starts_at))),
        ),
        Stand::SoldOut => ("chip sold-out", Some(tr!("deal.sold_out"))),
        Stand::Ended => ("chip off", Some(tr!("time.ended"))),
        Stand::OnSale => ("chip", None),
    };
    let state = match stand {
        Stand::Pinned | Stand::OnSale => "on_sale",
        Stand::ComingUp => "coming_up",
        Stand::SoldOut => "sold_out",
        Stand::Ended => "ended",
    };
    let busy = busy(conn);
    view! {
        <li class="deal-line" data-deal=id data-pinned=move || pinned().to_string() data-stand=state>
            <div class="deal-line-what">
                {chip.map(|c| view! { <span class=chip_class>{c}</span> " " })}
                <Show when=move || soon && pinned()><span class="chip on">{txt("host.pinned")}</span> " "</Show>
                <strong>{name}</strong>
                <span class="muted">" " {yuan(deal.price)} {tr!("host.limit", n = deal.per_resident_limit)}</span>
                <p class="deal-line-figures">
                    <span class="sold">{tr!("host.sold", sold = deal.sold, left = deal.remaining(), stock = deal.stock)}</span> " · "
                    <span class="per-minute">{per_minute}</span> " · "
                    <span class="countdown">{clock}</span>
                </p>
            </div>
            <Show when=move || can_act.get() && open>
                <div class="row-actions">
                    <Show when=move || !pinned() && stand != Stand::SoldOut>
                        <button type="button" class="secondary small pin" disabled=busy
                            on:click=move |_| conn.request("pin", ClientMsg::PinDeal { deal: Some(id) })>
                            {label_or_working(conn, "pin", txt("host.pin"))}</button>
                    </Show>
                    <Show when=pinned>
                        <button type="button" class="secondary small unpin" disabled=busy
                            on:click=move |_| conn.request("pin", ClientMsg::PinDeal { deal: None })>
                            {label_or_working(conn, "pin", txt("host.unpin"))}</button>
                    </Show>
                    <button type="button" class="secondary small extend" disabled=busy on:click=extend>
                        {label_or_working(conn, "extend", txt("host.extend"))}</button>
                    <button type="button" class="secondary small end" disabled=busy on:click=end.clone()>
                        {label_or_working(conn, "end", move || if soon { tr!("host.call_off") } else { tr!("host.end_now") })}
                    </button>
                </div>
            </Show>
        </li>
    }
}

/// Adds units to a deal that is on sale.
#[component]
pub fn RestockForm(conn: Conn, now: ReadSignal<i64>) -> impl IntoView {
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
    // Done: the form starts afresh.
    Effect::new(move |_| {
        if conn
            .done
            .with(|d| matches!(d, Some(ServerMsg::DealRestocked { .. })))
        {
            set_units.set("10".into());
        }
    });
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
        send_or_explain(conn, "restock", set_problem, parsed);
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
            <button type="submit" id="restock" class="primary" disabled=busy(conn)>
                {label_or_working(conn, "restock", txt("host.restock"))}</button>
            {move || problem.get().or_else(server_problem).map(|p| view! { <p class="note warn" role="alert">{p}</p> })}
        </form>
    }
}

/// What the launch form holds, as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LaunchDraft {
    price: String,
    stock: String,
    limit: String,
    minutes: String,
    /// A `datetime-local` value in the host's own time zone; empty means now.
    start: String,
}

impl Default for LaunchDraft {
    fn default() -> LaunchDraft {
        LaunchDraft {
            price: String::new(),
            stock: "100".into(),
            limit: "2".into(),
            minutes: "30".into(),
            start: String::new(),
        }
    }
}

/// Product, deal price, stock, limit, start (now, or a set time), duration — and Launch. Each
/// mistake is named before anything is sent; a price not below the everyday one asks for a second
/// tap.
#[component]
pub fn LaunchForm(conn: Conn, now: ReadSignal<i64>) -> impl IntoView {
    let products = move || {
        conn.catalogue
            .with(|c| c.as_ref().map(|c| c.products.clone()).unwrap_or_default())
    };
    let (product, set_product) = signal(None::<i64>);
    let draft = RwSignal::new(LaunchDraft::default());
    let (problem, set_problem) = signal(None::<String>);
    // The price the host was warned about (not below the everyday price) and may now confirm.
    let (warned, set_warned) = signal(None::<(i64, i64)>);
    // The start the host typed, as an instant: `datetime-local` is the host's wall-clock time, so it
    // is read in their time zone as is (the clock offset is only for "now").
    let starts_at = move || -> Result<Option<i64>, String> {
        let text = draft.with(|d| d.start.trim().to_owned());
        if text.is_empty() {
            return Ok(None);
        }
        let at = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(&text)).get_time();
        if at.is_nan() {
            return Err(tr!("host.need_start"));
        }
        Ok(Some(at as i64))
    };
    Effect::new(move |_| {
        if product.get().is_none() {
            set_product.set(products().first().map(|p| p.id));
        }
    });
    // Launched or scheduled: the form starts afresh (the start time too).
    Effect::new(move |_| {
        if conn
            .done
            .with(|d| matches!(d, Some(ServerMsg::DealLaunched { .. })))
        {
            draft.set(LaunchDraft::default());
            set_warned.set(None);
        }
    });
    // Whether the last launch sent asked for a later start. Comparing the deal's start with the
    // clock would misread an immediate launch as scheduled whenever the clock-offset estimate
    // runs a few milliseconds behind the server.
    let (asked_later, set_asked_later) = signal(false);
    // What was just launched, said under the button, so the host knows it went out.
    let launched = move || {
        conn.done.with(|d| match d {
            Some(ServerMsg::DealLaunched { deal }) => {
                let name = conn.product_name(deal.product);
                let at = local_hm(deal.starts_at);
                Some(if asked_later.get() {
                    tr!("host.scheduled_done", name = name, at = at)
                } else {
                    tr!("host.launched", name = name, n = deal.stock)
                })
            }
            _ => None,
        })
    };
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
            let d = draft.get_untracked();
            let product = product
                .get_untracked()
                .ok_or_else(|| tr!("host.need_product"))?;
            let price = parse_yuan(&d.price).ok_or_else(|| tr!("host.need_price"))?;
            let whole = |text: &str| text.trim().parse::<i64>().ok();
            let stock = whole(&d.stock).ok_or_else(|| tr!("host.need_stock"))?;
            if stock < 1 {
                return Err(tr!("host.stock_min"));
            }
            let limit = whole(&d.limit).ok_or_else(|| tr!("host.need_limit"))?;
            if limit < 1 {
                return Err(tr!("host.limit_min"));
            }
            if limit > stock {
                return Err(tr!("host.limit_over_stock", limit = limit, stock = stock));
            }
            let minutes = whole(&d.minutes).ok_or_else(|| tr!("host.need_minutes"))?;
            if !(1..=7 * 24 * 60).contains(&minutes) {
                return Err(tr!("host.minutes_range"));
            }
            let starts_at = starts_at()?;
            if starts_at.is_some_and(|at| at <= now.get_untracked()) {
                return Err(tr!("host.start_past"));
            }
            let normal = conn
                .catalogue
                .with_untracked(|c| {
                    c.as_ref()
                        .and_then(|c| c.product(product))
                        .map(|p| p.normal_price)
                })
                .unwrap_or(0);
            if price >= normal && warned.get_untracked() != Some((product, price)) {
                set_warned.set(Some((product, price)));
                let (price, normal) = (yuan(price), yuan(normal));
                return Err(tr!("host.price_warning", price = price, normal = normal));
            }
            Ok(ClientMsg::LaunchDeal {
                product,
                price,
                stock,
                per_resident_limit: limit,
                starts_at,
                ends_at: starts_at.unwrap_or_else(|| conn.server_now()) + minutes * 60_000,
            })
        })();
        if let Ok(ClientMsg::LaunchDeal { starts_at, .. }) = &parsed {
            set_asked_later.set(starts_at.is_some());
        }
        send_or_explain(conn, "launch", set_problem, parsed);
    };
    let input = move |id: &'static str,
                      label: Box<dyn Fn() -> String + Send + Sync>,
                      kind: &'static str,
                      get: fn(&LaunchDraft) -> &String,
                      set: fn(&mut LaunchDraft, String)| {
        view! {
            <label>{label}
                <input id=id type=kind inputmode=if kind == "text" { "decimal" } else { "" }
                    prop:value=move || draft.with(|d| get(d).clone())
                    on:input=move |ev| {
                        set_warned.set(None);
                        draft.update(|d| set(d, event_target_value(&ev)));
                    } />
            </label>
        }
    };
    let scheduled = move || matches!(starts_at(), Ok(Some(_)));
    view! {
        <form class="card launch" id="launch-form" on:submit=submit aria-labelledby="launch-title" novalidate>
            <h2 id="launch-title">{txt("host.launch_title")}</h2>
            <div class="grid">
                <label>{txt("host.product")}
                    <select id="launch-product" on:change=move |ev| {
                        set_warned.set(None);
                        set_product.set(event_target_value(&ev).parse().ok());
                    }>
                        {move || products().into_iter().map(|p| {
                            let selected = product.get() == Some(p.id);
                            view! { <option value=p.id.to_string() selected=selected>{format!("{} ({})", p.name, yuan(p.normal_price))}</option> }
                        }).collect_view()}
                    </select>
                </label>
                {input("launch-price", Box::new(txt("host.price")), "text", |d| &d.price, |d, v| d.price = v)}
                {input("launch-stock", Box::new(txt("host.stock")), "number", |d| &d.stock, |d, v| d.stock = v)}
                {input("launch-limit", Box::new(txt("host.per_resident")), "number", |d| &d.limit, |d, v| d.limit = v)}
                {input("launch-minutes", Box::new(txt("host.minutes")), "number", |d| &d.minutes, |d, v| d.minutes = v)}
                {input("launch-start", Box::new(txt("host.start")), "datetime-local", |d| &d.start, |d, v| d.start = v)}
            </div>
            <button type="submit" id="launch" class="primary" disabled=busy(conn)
                data-confirming=move || warned.get().is_some().to_string()>
                {label_or_working(conn, "launch", move || match (warned.get().is_some(), scheduled()) {
                    (true, _) => tr!("host.launch_anyway"),
                    (false, true) => tr!("host.schedule"),
                    (false, false) => tr!("host.launch"),
                })}
            </button>
            {move || problem.get().or_else(server_problem).map(|p| view! { <p class="note warn" role="alert" id="launch-problem">{p}</p> })}
            <p class="note ok" role="status" id="launch-done">{launched}</p>
        </form>
    }
}
