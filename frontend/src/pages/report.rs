//! A show's report (`/show/{id}/report`): what sold, where and to how many, with orders per minute
//! drawn as a chart, per deal, product and pickup point, and the lucky bags' winners. While the
//! show is on air it reads itself again every few seconds; after, it is final. The same figures
//! download as CSV for a spreadsheet.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use mulin_shared::report::{Figures, Line, Minute, ShowReport};
use mulin_shared::{ShowId, ShowStatus};
use wasm_bindgen::JsCast;

use crate::api::{call, staff_token};
use crate::i18n::{LangSwitch, txt};
use crate::{local_hm, tr, yuan};

/// How often a live report reads itself again.
const REFRESH: Duration = Duration::from_secs(5);

/// The report page of one show.
#[component]
pub fn ReportPage(show: ShowId, token: String) -> impl IntoView {
    let token = StoredValue::new(if token.is_empty() {
        staff_token().unwrap_or_default()
    } else {
        token
    });
    let report = RwSignal::new(None::<ShowReport>);
    let problem = RwSignal::new(None::<String>);
    let read = move || {
        spawn_local(async move {
            let path = format!("/api/shows/{show}/report");
            let token = token.get_value();
            match call::<ShowReport>("GET", &path, Some(&token), None).await {
                Ok(r) => {
                    problem.set(None);
                    report.set(Some(r));
                }
                Err(f) => problem.set(Some(f.words())),
            }
        })
    };
    read();
    // Live: read again while the show is not over (the interval lives as long as the page).
    let _ = set_interval_with_handle(
        move || {
            if report.with_untracked(|r| r.as_ref().is_none_or(|r| !r.is_final)) {
                read();
            }
        },
        REFRESH,
    );
    let download = move |_| {
        spawn_local(async move {
            let path = format!("/api/shows/{show}/report.csv");
            if let Err(why) = download_csv(&path, &token.get_value(), show).await {
                problem.set(Some(why));
            }
        })
    };
    view! {
        <main class="page staff report">
            <header class="bar">
                <strong>{move || report.with(|r| r.as_ref().map(|r| r.show.title.clone()).unwrap_or_else(|| tr!("report.title")))}</strong>
                <span class="muted" id="report-state">{move || report.with(|r| r.as_ref().map(|r| {
                    if r.is_final { tr!("report.final") } else { tr!("report.live", at = local_hm(r.generated_at)) }
                }))}</span>
            </header>
            <div class="tools">
                // Back to where the report was opened from (the manager's console, the host's
                // page); a report opened on its own has nowhere to go back to.
                {(window().history().and_then(|h| h.length()).unwrap_or(0) > 1).then(|| view! {
                    <button type="button" class="secondary small" id="report-back"
                        on:click=|_| { let _ = window().history().and_then(|h| h.back()); }>{txt("report.back")}</button>
                })}
                <button type="button" class="secondary small" id="report-csv" on:click=download>{txt("report.csv")}</button>
                <LangSwitch />
            </div>
            {move || problem.get().map(|p| view! { <p class="note warn" role="alert" id="report-problem">{p}</p> })}
            {move || report.get().map(|r| view! { <Body report=r /> })}
        </main>
    }
}

/// Everything below the bar, for one reading.
#[component]
fn Body(report: ShowReport) -> impl IntoView {
    let t = report.totals.clone();
    let cancelled_show = report.show.status == ShowStatus::Cancelled;
    let has_bags = !report.bags.is_empty();
    view! {
        {cancelled_show.then(|| view! { <p class="note muted">{txt("report.cancelled")}</p> })}
        <section class="card" aria-labelledby="totals-title">
            <h2 id="totals-title">{txt("report.totals")}</h2>
            <dl class="figures" id="report-totals">
                <Figure key="orders" label=txt("report.orders") value=t.figures.orders.to_string() />
                <Figure key="units" label=txt("report.units") value=t.figures.units.to_string() />
                <Figure key="sales" label=txt("report.sales") value=yuan(t.figures.sales) />
                <Figure key="buyers" label=txt("report.buyers") value=t.figures.buyers.to_string() />
                <Figure key="cancelled" label=txt("report.cancelled_orders") value=t.figures.cancelled.to_string() />
                <Figure key="peak_viewers" label=txt("report.peak_viewers") value=t.peak_viewers.to_string() />
                <Figure key="peak_per_minute" label=txt("report.peak_per_minute") value=t.peak_orders_per_minute.to_string() />
            </dl>
        </section>
        <section class="card" aria-labelledby="chart-title">
            <h2 id="chart-title">{txt("report.per_minute")}</h2>
            <Chart minutes=report.minutes.clone() />
        </section>
        <section class="card" aria-labelledby="deals-title">
            <h2 id="deals-title">{txt("report.deals")}</h2>
            <div class="table-wrap"><table class="orders" id="report-deals">
                <thead><tr>
                    <th>{txt("report.product")}</th><th class="num">{txt("report.price")}</th>
                    <th class="num">{txt("report.stock")}</th><Heads />
                </tr></thead>
                <tbody>{report.deals.iter().map(|d| view! {
                    <tr data-deal=d.deal>
                        <td>{d.name.clone()}</td><td class="num">{yuan(d.price)}</td>
                        <td class="num">{d.stock}</td><Cells f=d.figures.clone() />
                    </tr>
                }).collect_view()}</tbody>
            </table></div>
        </section>
        <Lines id="report-products" title=txt("report.products") lines=report.products.clone() />
        <Lines id="report-pickups" title=txt("report.pickups") lines=report.pickups.clone() />
        {has_bags.then(|| view! {
            <section class="card" aria-labelledby="bags-title">
                <h2 id="bags-title">{txt("report.bags")}</h2>
                <ul class="audit-list" id="report-bags">{report.bags.into_iter().map(|b| {
                    let entrants = b.entrants;
                    let winners = b.winners.join("、");
                    view! {
                        <li data-bag=b.bag>
                            <strong>{b.prize}</strong>" · "{move || tr!("report.entrants", n = entrants)}
                            <div>{move || if winners.is_empty() { tr!("report.no_winners") } else { winners.clone() }}</div>
                        </li>
                    }
                }).collect_view()}</ul>
            </section>
        })}
    }
}

#[component]
fn Figure(
    key: &'static str,
    label: impl Fn() -> String + Send + Sync + 'static,
    value: String,
) -> impl IntoView {
    view! { <div class="figure" data-figure=key><dt>{label}</dt><dd>{value}</dd></div> }
}

/// The figure columns' heads.
#[component]
fn Heads() -> impl IntoView {
    view! {
        <th class="num">{txt("report.orders")}</th><th class="num">{txt("report.units")}</th>
        <th class="num">{txt("report.sales")}</th><th class="num">{txt("report.buyers")}</th>
        <th class="num">{txt("report.cancelled_orders")}</th>
    }
}

/// A line's figure cells.
#[component]
fn Cells(f: Figures) -> impl IntoView {
    view! {
        <td class="num">{f.orders}</td><td class="num">{f.units}</td><td class="num">{yuan(f.sales)}</td>
        <td class="num">{f.buyers}</td><td class="num">{f.cancelled}</td>
    }
}

/// A table of products or pickup points.
#[component]
fn Lines(
    id: &'static str,
    title: impl Fn() -> String + Copy + Send + Sync + 'static,
    lines: Vec<Line>,
) -> impl IntoView {
    if lines.is_empty() {
        return view! {
            <section class="card">
                <h2>{title}</h2>
                <p class="muted" id=id>{txt("report.no_orders")}</p>
            </section>
        }
        .into_any();
    }
    view! {
        <section class="card">
            <h2>{title}</h2>
            <div class="table-wrap"><table class="orders" id=id>
                <thead><tr><th>{txt("report.name")}</th><Heads /></tr></thead>
                <tbody>{lines.into_iter().map(|l| view! {
                    <tr data-line=l.id><td>{l.name}</td><Cells f=l.figures /></tr>
                }).collect_view()}</tbody>
            </table></div>
        </section>
    }
    .into_any()
}

/// Orders per minute as bars, in plain SVG: the console stays small, and the chart is as sharp on
/// a phone as on a projector.
#[component]
fn Chart(minutes: Vec<Minute>) -> impl IntoView {
    const W: f64 = 600.0;
    const H: f64 = 160.0;
    if minutes.is_empty() {
        return view! { <p class="muted" id="report-chart-empty">{txt("report.no_orders")}</p> }
            .into_any();
    }
    let most = minutes.iter().map(|m| m.orders).max().unwrap_or(1).max(1);
    // At least half an hour wide: the first minutes of a show are thin bars, not one block.
    let step = W / minutes.len().max(30) as f64;
    let bar = (step * 0.8).max(1.0);
    let first = minutes.first().map(|m| m.at).unwrap_or_default();
    let last = minutes.last().map(|m| m.at).unwrap_or_default();
    let summary = tr!(
        "report.chart_label",
        n = minutes.len(),
        most = most,
        from = local_hm(first),
        to = local_hm(last)
    );
    let label = summary.clone();
    view! {
        <figure class="chart">
            <svg id="report-chart" viewBox=format!("0 0 {W} {}", H + 4.0) preserveAspectRatio="none"
                role="img" aria-label=label>
                <title>{summary}</title>
                {minutes.iter().enumerate().map(|(i, m)| {
                    let h = (m.orders as f64 / most as f64) * H;
                    view! {
                        <rect x=format!("{:.2}", i as f64 * step) y=format!("{:.2}", H - h)
                            width=format!("{bar:.2}") height=format!("{h:.2}") data-orders=m.orders>
                            <title>{format!("{} · {}", local_hm(m.at), m.orders)}</title>
                        </rect>
                    }
                }).collect_view()}
                <line x1="0" y1=H x2=W y2=H class="axis" />
            </svg>
            <figcaption class="chart-axis muted">
                <span>{local_hm(first)}</span>
                <span>{move || tr!("report.most_per_minute", n = most)}</span>
                <span>{local_hm(last)}</span>
            </figcaption>
        </figure>
    }
    .into_any()
}

/// Fetches the CSV with the token and hands it to the browser as a download.
async fn download_csv(path: &str, token: &str, show: ShowId) -> Result<(), String> {
    use wasm_bindgen_futures::JsFuture;
    let failed = || tr!("report.csv_failed");
    let headers = web_sys::Headers::new().map_err(|_| failed())?;
    let _ = headers.set("Authorization", &format!("Bearer {token}"));
    let init = web_sys::RequestInit::new();
    init.set_headers(&headers);
    let response: web_sys::Response = JsFuture::from(window().fetch_with_str_and_init(path, &init))
        .await
        .map_err(|_| failed())?
        .dyn_into()
        .map_err(|_| failed())?;
    if !response.ok() {
        return Err(failed());
    }
    let text = JsFuture::from(response.text().map_err(|_| failed())?)
        .await
        .map_err(|_| failed())?
        .as_string()
        .unwrap_or_default();
    let href = format!(
        "data:text/csv;charset=utf-8,{}",
        js_sys::encode_uri_component(&text)
    );
    let a = document().create_element("a").map_err(|_| failed())?;
    let _ = a.set_attribute("href", &href);
    let _ = a.set_attribute("download", &format!("show-{show}-report.csv"));
    let a: web_sys::HtmlElement = a.dyn_into().map_err(|_| failed())?;
    a.click();
    Ok(())
}
