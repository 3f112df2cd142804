//! The control room: how the show is selling, live, for its moderators, hosts and managers — what
//! needs a human now, the show's figures, orders and sales per minute with what happened when, and
//! each deal's and each pickup point's figures. The server sends the figures about once a second
//! (`ServerMsg::Pulse`); this page only draws them.
//!
//! The chart is plain SVG (a few dozen lines, no chart crate in the bundle): its shapes stretch with
//! the card, and every word around it is HTML, so text stays readable on a 360 px phone.

use leptos::prelude::*;
use mulin_shared::Refusal;
use mulin_shared::pulse::{Alert, DealPulse, Mark, Minute, Pulse};

use crate::components::orders::Names;
use crate::i18n::txt;
use crate::socket::Conn;
use crate::{clock_span, local_hm, local_time, tr, yuan};

/// Width of one minute in the chart's own units; the chart shows at least [`MIN_SLOTS`] minutes so
/// the first minutes of a show do not fill it with one fat bar.
const SLOT: f64 = 10.0;
const MIN_SLOTS: usize = 12;
/// The chart's height in its own units.
const HEIGHT: f64 = 100.0;

/// The control room, drawn from the connection's latest figures.
#[component]
pub fn ControlRoom(conn: Conn) -> impl IntoView {
    let names = Names { conn };
    let pulse = conn.pulse;
    view! {
        <section class="card control-room" aria-labelledby="pulse-title">
            <h2 id="pulse-title">{txt("pulse.title")}</h2>
            {move || match pulse.get() {
                None => view! { <p class="muted">{txt("pulse.waiting")}</p> }.into_any(),
                Some(p) => view! {
                    <Alerts pulse=p.clone() names />
                    <Figures pulse=p.clone() />
                    <Chart pulse=p.clone() names />
                    <DealTable pulse=p.clone() names />
                    <PickupTable pulse=p names />
                }
                .into_any(),
            }}
        </section>
    }
}

/// What needs a human now, or that all is well.
#[component]
fn Alerts(pulse: Pulse, names: Names) -> impl IntoView {
    let product_of = |deal: i64| deal_name(&pulse, names, deal);
    let lines: Vec<(&'static str, String)> = pulse
        .alerts
        .iter()
        .map(|a| match a {
            Alert::SellingOut { deal, left } => (
                "warn",
                tr!(
                    "pulse.alert.selling_out",
                    name = product_of(*deal),
                    left = left
                ),
            ),
            Alert::Quiet { deal, since } => (
                "info",
                tr!(
                    "pulse.alert.quiet",
                    name = product_of(*deal),
                    minutes = (pulse.at - since) / 60_000
                ),
            ),
            Alert::Refusals { count, reason } => (
                "warn",
                tr!(
                    "pulse.alert.refusals",
                    n = count,
                    reason = reason_word(*reason)
                ),
            ),
            Alert::Errors { count } => ("bad", tr!("pulse.alert.errors", n = count)),
        })
        .collect();
    view! {
        <div class="alerts" role="status" aria-live="polite" id="pulse-alerts">
            {if lines.is_empty() {
                view! { <p class="alert ok">{txt("pulse.all_clear")}</p> }.into_any()
            } else {
                lines
                    .into_iter()
                    .map(|(tone, text)| view! { <p class=format!("alert {tone}")>{text}</p> })
                    .collect_view()
                    .into_any()
            }}
        </div>
    }
}

/// The product a deal of the figures sells, by name.
fn deal_name(pulse: &Pulse, names: Names, deal: i64) -> String {
    pulse
        .deals
        .iter()
        .find(|d| d.deal == deal)
        .map(|d| names.product(d.product))
        .unwrap_or_default()
}

fn reason_word(reason: Refusal) -> String {
    match reason {
        Refusal::SoldOut => tr!("pulse.reason.sold_out"),
        Refusal::NotEnoughStock => tr!("pulse.reason.not_enough_stock"),
        Refusal::LimitReached => tr!("pulse.reason.limit_reached"),
        Refusal::DealClosed => tr!("pulse.reason.deal_closed"),
    }
}

/// The show's figures as tiles.
#[component]
fn Figures(pulse: Pulse) -> impl IntoView {
    let conversion = pulse
        .conversion_permille()
        .map(|pm| format!("{}.{}%", pm / 10, pm % 10))
        .unwrap_or_else(|| "—".into());
    let tile = |id: &'static str, value: String, label: String, note: Option<String>| {
        view! {
            <div class="kpi" id=id>
                <b>{value}</b>
                <span>{label}</span>
                {note.map(|n| view! { <small>{n}</small> })}
            </div>
        }
    };
    view! {
        <div class="kpis">
            {tile("kpi-orders", pulse.orders.to_string(), tr!("pulse.orders"), Some(tr!("pulse.units", n = pulse.units)))}
            {tile("kpi-sales", yuan(pulse.sales), tr!("pulse.sales"), None)}
            {tile("kpi-viewers", pulse.viewers.to_string(), tr!("pulse.viewers"), Some(tr!("pulse.peak", n = pulse.peak)))}
            {tile("kpi-buyers", pulse.buyers.to_string(), tr!("pulse.buyers"), None)}
            {tile("kpi-conversion", conversion, tr!("pulse.conversion"), Some(tr!("pulse.conversion_note")))}
        </div>
        <p class="muted small">{tr!("pulse.as_of", at = local_time(pulse.at))}</p>
    }
}

/// Orders per minute as bars, sales per minute as a line, and a line at each moment something
/// happened, with the moments listed under it in words.
#[component]
fn Chart(mut pulse: Pulse, names: Names) -> impl IntoView {
    let minutes = std::mem::take(&mut pulse.minutes);
    let Some(first) = minutes.first().map(|m| m.at) else {
        return ().into_any();
    };
    let last = minutes.last().map_or(first, |m| m.at);
    let slots = minutes.len().max(MIN_SLOTS);
    let width = slots as f64 * SLOT;
    let top_orders = minutes.iter().map(|m| m.orders).max().unwrap_or(0).max(1);
    let top_sales = minutes.iter().map(|m| m.sales).max().unwrap_or(0).max(1);
    let x_of = |at: i64| (at - first) as f64 / 60_000.0 * SLOT;
    let bars = minutes
        .iter()
        .enumerate()
        .filter(|(_, m)| m.orders > 0)
        .map(|(i, m)| {
            let h = m.orders as f64 / top_orders as f64 * (HEIGHT - 4.0);
            view! {
                <rect class="bar" x=i as f64 * SLOT + 1.0 y=HEIGHT - h width=SLOT - 2.0 height=h>
                    <title>{minute_words(m)}</title>
                </rect>
            }
        })
        .collect_view();
    let top_refused = minutes.iter().map(|m| m.refused).max().unwrap_or(0).max(1);
    let refused = minutes
        .iter()
        .enumerate()
        .filter(|(_, m)| m.refused > 0)
        .map(|(i, m)| {
            let h = m.refused as f64 / top_refused as f64 * 20.0;
            view! { <rect class="refused" x=i as f64 * SLOT + 3.0 y=0 width=SLOT - 6.0 height=h /> }
        })
        .collect_view();
    let line = minutes
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let y = HEIGHT - m.sales as f64 / top_sales as f64 * (HEIGHT - 4.0);
            format!("{:.1},{:.1}", i as f64 * SLOT + SLOT / 2.0, y)
        })
        .collect::<Vec<_>>()
        .join(" ");
    let mark_of = |m: &Mark| -> (&'static str, String) {
        let deal_name = |deal: i64| deal_name(&pulse, names, deal);
        match m {
            Mark::DealLaunched { deal, .. } => (
                "launched",
                tr!("pulse.mark.launched", name = deal_name(*deal)),
            ),
            Mark::DealSoldOut { deal, .. } => (
                "sold-out",
                tr!("pulse.mark.sold_out", name = deal_name(*deal)),
            ),
            Mark::DealEnded { deal, .. } => {
                ("ended", tr!("pulse.mark.ended", name = deal_name(*deal)))
            }
            Mark::BagOpened { .. } => ("bag", tr!("pulse.mark.bag_opened")),
            Mark::BagDrawn { .. } => ("bag", tr!("pulse.mark.bag_drawn")),
        }
    };
    let marks: Vec<(i64, &'static str, String)> = pulse
        .marks
        .iter()
        .filter(|m| m.at() >= first)
        .map(|m| {
            let (kind, words) = mark_of(m);
            (m.at(), kind, words)
        })
        .collect();
    let mark_lines = marks
        .iter()
        .map(|(at, kind, words)| {
            let x = x_of(*at);
            view! {
                <line class=format!("mark {kind}") x1=x x2=x y1=0 y2=HEIGHT vector-effect="non-scaling-stroke">
                    <title>{format!("{} {words}", local_time(*at))}</title>
                </line>
            }
        })
        .collect_view();
    // The latest minute's label stands under its bar, not at the chart's far end: early in a show
    // the bars fill only the left of the chart.
    // In the first few minutes the two labels would overlap (on a phone a label is a sixth of the
    // chart): then one label names the span.
    let last_x = (minutes.len() as f64 - 0.5) / slots as f64 * 100.0;
    let now_at = if last_x > 85.0 {
        "right: 0".to_owned()
    } else {
        format!("left: {last_x:.1}%; transform: translateX(-50%)")
    };
    let times = if last_x < 20.0 {
        let span = if last == first {
            local_hm(first)
        } else {
            format!("{}–{}", local_hm(first), local_hm(last))
        };
        view! { <span>{span}</span> }.into_any()
    } else {
        view! { <span>{local_hm(first)}</span><span class="now" style=now_at>{local_hm(last)}</span> }
            .into_any()
    };
    let summary = tr!(
        "pulse.chart_label",
        from = local_hm(first),
        to = local_hm(last),
        orders = top_orders,
        sales = yuan(top_sales)
    );
    view! {
        <figure class="pulse-chart">
            <figcaption>{txt("pulse.per_minute")}</figcaption>
            <div class="axis"><span class="orders-key">{tr!("pulse.axis_orders", n = top_orders)}</span>
                <span class="refused-key">{txt("pulse.axis_refused")}</span>
                <span class="sales-key">{tr!("pulse.axis_sales", amount = yuan(top_sales))}</span></div>
            <svg viewBox=format!("0 0 {width} {HEIGHT}") preserveAspectRatio="none" role="img" aria-label=summary>
                <line class="base" x1=0 x2=width y1=HEIGHT y2=HEIGHT vector-effect="non-scaling-stroke" />
                // Behind the bars: a moment in a busy minute shows above its bar, not across it
                // (the marks are listed in words under the chart).
                {mark_lines}
                {bars}
                {refused}
                <polyline class="sales" points=line vector-effect="non-scaling-stroke" />
            </svg>
            <div class="axis times">{times}</div>
            <ul class="marks">
                {marks
                    .into_iter()
                    .map(|(at, kind, words)| view! {
                        <li class=format!("mark-{kind}")><time>{local_hm(at)}</time>" "{words}</li>
                    })
                    .collect_view()}
            </ul>
        </figure>
    }
    .into_any()
}

/// A minute in words, for the bar's tooltip.
fn minute_words(m: &Minute) -> String {
    tr!(
        "pulse.minute",
        at = local_hm(m.at),
        orders = m.orders,
        sales = yuan(m.sales),
        refused = m.refused
    )
}

/// Each deal: sold and left, the last minute and its trend, and where it stands (sold out when),
/// as a list that fits a phone: on a 360 px screen a five-column table hid the state.
#[component]
fn DealTable(pulse: Pulse, names: Names) -> impl IntoView {
    if pulse.deals.is_empty() {
        return ().into_any();
    }
    let at = pulse.at;
    let rows = pulse
        .deals
        .into_iter()
        .map(|d| {
            let (arrow, trend) = trend(&d);
            let stand = if d.sold_out_at.is_some() {
                "sold-out"
            } else if d.open {
                "on-sale"
            } else {
                "closed"
            };
            view! {
                <li data-pulse-deal=d.deal data-stand=stand>
                    <p class="deal-head"><strong>{names.product(d.product)}</strong>
                        <small>{tr!("pulse.launched_at", at = local_hm(d.starts_at))}</small>
                        <span class=format!("chip {stand}")>{state_words(&d, at)}</span></p>
                    <p class="deal-figures">
                        <span>{tr!("pulse.sold_of", sold = d.sold, stock = d.stock)}</span>
                        <span>{tr!("pulse.left_n", n = (d.stock - d.sold).max(0))}</span>
                        <span>{tr!("pulse.last_minute_n", n = d.last_minute)}" "
                            <span class="trend" title=trend.clone() aria-label=trend>{arrow}</span></span>
                    </p>
                </li>
            }
        })
        .collect_view();
    view! {
        <h3>{txt("pulse.deals")}</h3>
        <ul class="pulse-deals">{rows}</ul>
    }
    .into_any()
}

/// ↑, ↓ or → against the minute before, and the same in words.
fn trend(d: &DealPulse) -> (&'static str, String) {
    use std::cmp::Ordering::*;
    match d.last_minute.cmp(&d.minute_before) {
        Greater => ("↑", tr!("pulse.trend_up", n = d.minute_before)),
        Less => ("↓", tr!("pulse.trend_down", n = d.minute_before)),
        Equal => ("→", tr!("pulse.trend_flat")),
    }
}

fn state_words(d: &DealPulse, now: i64) -> String {
    if let Some(at) = d.sold_out_at {
        tr!(
            "pulse.sold_out_at",
            at = local_time(at),
            after = clock_span(at - d.starts_at)
        )
    } else if d.open {
        tr!("pulse.on_sale")
    } else if d.starts_at > now {
        tr!("pulse.not_yet", at = local_hm(d.starts_at))
    } else {
        tr!("pulse.ended")
    }
}

/// Each pickup point with orders: what its store must prepare, most units first.
#[component]
fn PickupTable(pulse: Pulse, names: Names) -> impl IntoView {
    let mut pickups = pulse.pickups;
    pickups.sort_by(|a, b| b.units.cmp(&a.units).then(a.pickup.cmp(&b.pickup)));
    view! {
        <h3>{txt("pulse.pickups")}</h3>
        {if pickups.is_empty() {
            view! { <p class="muted">{txt("pulse.no_orders")}</p> }.into_any()
        } else {
            let rows = pickups
                .into_iter()
                .map(|p| view! {
                    <tr data-pickup=p.pickup>
                        <th scope="row">{names.pickup(p.pickup)}</th>
                        <td class="num">{p.orders}</td>
                        <td class="num">{p.units}</td>
                    </tr>
                })
                .collect_view();
            view! {
                <div class="table-wrap">
                    <table class="pulse-table pulse-pickups">
                        <thead><tr>
                            <th scope="col">{txt("pulse.pickup")}</th>
                            <th scope="col" class="num">{txt("pulse.pickup_orders")}</th>
                            <th scope="col" class="num">{txt("pulse.pickup_units")}</th>
                        </tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            }
            .into_any()
        }}
    }
}
