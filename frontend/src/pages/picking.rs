//! Picking lists (`/c/{community}/picking?shows=1,2&pickup=3`), for managers, moderators and
//! pickup clerks (their own stores): what each store must receive and who collects what there,
//! then what to order from the suppliers. Live while the shows sell (read again every
//! [`REFRESH_MS`]), frozen at the manager's cut-off with later changes listed apart. Printed on A4
//! (each store on its own pages), downloaded as CSV or Excel.
//!
//! Here the page and its controls; `render` draws the list.

mod render;

use leptos::prelude::*;
use leptos::task::spawn_local;
use mulin_shared::community::{CommunityShows, ShowSummary};
use mulin_shared::pickup::{Cutoff, PickingList};
use mulin_shared::{CommunityId, PickupId, PickupPoint, Role, ShowId};

use crate::api::{Failure, Me, call, download};
use crate::i18n::{LangSwitch, txt};
use crate::pages::manager::local_day_time;
use crate::tr;

/// How often a live list is read again, in milliseconds.
const REFRESH_MS: u32 = 20_000;

/// How many recent shows the page offers.
const OFFERED: usize = 12;

/// A query parameter of this page's address.
fn param(name: &str) -> Option<String> {
    let search = window().location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()?
        .get(name)
        .filter(|v| !v.is_empty())
}

/// Local midnight of `at`'s day, to group shows by day.
fn day_of(at: i64) -> i64 {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at as f64));
    d.set_hours(0);
    d.set_minutes(0);
    d.set_seconds(0);
    d.set_milliseconds(0);
    d.get_time() as i64
}

/// The picking-list page.
#[component]
pub fn PickingPage(community: CommunityId, token: String) -> impl IntoView {
    let token = StoredValue::new(token);
    let shows = RwSignal::new(Vec::<ShowSummary>::new());
    let points = RwSignal::new(Vec::<PickupPoint>::new());
    let me = RwSignal::new(None::<Me>);
    // The shows asked for; the store, if one.
    let chosen = RwSignal::new(
        param("shows")
            .map(|s| {
                s.split(',')
                    .filter_map(|id| id.trim().parse::<ShowId>().ok())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default(),
    );
    let pickup = RwSignal::new(param("pickup").and_then(|p| p.parse::<PickupId>().ok()));
    let list = RwSignal::new(None::<PickingList>);
    let problem = RwSignal::new(None::<String>);
    let note = RwSignal::new(None::<String>);
    // Grows to read the list again.
    let reread = RwSignal::new(0u32);
    spawn_local(async move {
        if let Ok(m) = call::<Me>("GET", "/api/me", Some(&token.get_value()), None).await {
            me.set(Some(m));
        }
        let path = format!("/api/communities/{community}/shows");
        if let Ok(listing) = call::<CommunityShows>("GET", &path, None, None).await {
            let mut all = listing.shows;
            all.retain(|s| s.status != mulin_shared::ShowStatus::Cancelled);
            all.sort_by_key(|s| std::cmp::Reverse(s.starts_at));
            // Nothing asked for: the latest day's shows that have begun.
            if chosen.with_untracked(Vec::is_empty) {
                let now = js_sys::Date::now() as i64;
                if let Some(latest) = all.iter().find(|s| s.starts_at <= now) {
                    let day = day_of(latest.starts_at);
                    chosen.set(
                        all.iter()
                            .filter(|s| day_of(s.starts_at) == day && s.starts_at <= now)
                            .map(|s| s.id)
                            .collect(),
                    );
                }
            }
            all.truncate(OFFERED);
            shows.set(all);
            points.set(listing.pickup_points);
        }
    });
    let query = move || {
        let ids: Vec<String> = chosen.get().iter().map(ToString::to_string).collect();
        let mut q = format!("shows={}", ids.join(","));
        if let Some(p) = pickup.get() {
            q.push_str(&format!("&pickup={p}"));
        }
        q
    };
    // Read whenever the choice changes, and again while live.
    Effect::new(move |_| {
        reread.track();
        if chosen.with(Vec::is_empty) {
            list.set(None);
            return;
        }
        let path = format!("/api/communities/{community}/picking?{}", query());
        spawn_local(async move {
            match call::<PickingList>("GET", &path, Some(&token.get_value()), None).await {
                Ok(l) => {
                    problem.set(None);
                    list.set(Some(l));
                }
                Err(f) => problem.set(Some(list_refusal(&f))),
            }
        });
    });
    spawn_local(async move {
        loop {
            gloo_timers::future::TimeoutFuture::new(REFRESH_MS).await;
            let live = list.with_untracked(|l| l.as_ref().is_some_and(|l| !l.frozen));
            let seen = document().visibility_state() == web_sys::VisibilityState::Visible;
            if live && seen {
                reread.update(|n| *n += 1);
            }
        }
    });
    let html = Memo::new(move |_| {
        let _ = crate::i18n::lang();
        list.with(|l| l.as_ref().map(render::list_html).unwrap_or_default())
    });
    let manager = move || me.with(|m| m.as_ref().is_some_and(|m| m.roles.contains(&Role::Manager)));
    let save = move |kind: &'static str| {
        let path = format!("/api/communities/{community}/picking.{kind}?{}", query());
        let name = format!(
            "picking-{}.{kind}",
            chosen
                .get_untracked()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("-")
        );
        spawn_local(async move {
            if let Err(f) = download(&path, &token.get_value(), &name).await {
                problem.set(Some(list_refusal(&f)));
            }
        });
    };
    view! {
        <main class="page staff picking-page">
            <div class="no-print">
                <header class="bar"><h1>{txt("pick.title")}</h1></header>
                <div class="tools"><LangSwitch /></div>
                <section class="card pick-controls" aria-label=txt("pick.choose")>
                    <fieldset>
                        <legend>{txt("pick.shows")}</legend>
                        {move || shows.get().into_iter().map(|s| {
                            let id = s.id;
                            view! {
                                <label class="check">
                                    <input type="checkbox" data-show=id prop:checked=move || chosen.with(|c| c.contains(&id))
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            chosen.update(|c| {
                                                c.retain(|x| *x != id);
                                                if on { c.push(id); }
                                            });
                                        } />
                                    {format!("{} · {}", s.title, local_day_time(s.starts_at))}
                                </label>
                            }
                        }).collect_view()}
                    </fieldset>
                    <label>{txt("pick.store_filter")}
                        <select id="pick-store" on:change=move |ev| pickup.set(event_target_value(&ev).parse().ok())>
                            <option value="">{txt("pick.all_stores")}</option>
                            {move || points.get().into_iter().map(|p| {
                                let on = pickup.get_untracked() == Some(p.id);
                                view! { <option value=p.id.to_string() selected=on>{p.name}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                    <div class="actions">
                        <button type="button" class="primary" id="pick-print" on:click=move |_| { let _ = window().print(); }>
                            {txt("pick.print")}</button>
                        <button type="button" class="secondary" id="pick-csv" on:click=move |_| save("csv")>{txt("pick.csv")}</button>
                        <button type="button" class="secondary" id="pick-xlsx" on:click=move |_| save("xlsx")>{txt("pick.xlsx")}</button>
                    </div>
                    {move || manager().then(|| view! { <CutoffForm community token list note problem reread /> })}
                    {move || note.get().map(|n| view! { <p class="note ok" role="status">{n}</p> })}
                    {move || problem.get().map(|p| view! { <p class="note warn" role="alert" id="pick-problem">{p}</p> })}
                </section>
            </div>
            {move || chosen.with(Vec::is_empty).then(|| view! { <p class="card muted">{txt("pick.none")}</p> })}
            <article class="pick-list" id="pick-list" inner_html=move || html.get()></article>
        </main>
    }
}

/// The managers' cut-off for each show on the list: when it freezes.
#[component]
fn CutoffForm(
    community: CommunityId,
    token: StoredValue<String>,
    list: RwSignal<Option<PickingList>>,
    note: RwSignal<Option<String>>,
    problem: RwSignal<Option<String>>,
    reread: RwSignal<u32>,
) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let set = move |show: ShowId| {
        let text = typed.get_untracked();
        let at = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(&text)).get_time();
        if text.is_empty() || at.is_nan() {
            problem.set(Some(tr!("pick.need_cutoff")));
            return;
        }
        let body = serde_json::to_string(&Cutoff {
            at: Some(at as i64),
        })
        .ok();
        spawn_local(async move {
            let path = format!("/api/communities/{community}/shows/{show}/cutoff");
            match call::<serde_json::Value>("PUT", &path, Some(&token.get_value()), body).await {
                Ok(_) => {
                    problem.set(None);
                    note.set(Some(tr!("pick.cutoff_set", at = local_day_time(at as i64))));
                    reread.update(|n| *n += 1);
                }
                Err(f) => problem.set(Some(cutoff_refusal(&f))),
            }
        });
    };
    view! {
        <div class="cutoff">
            <label>{txt("pick.cutoff")}
                <input id="pick-cutoff" type="datetime-local" prop:value=move || typed.get()
                    on:input=move |ev| typed.set(event_target_value(&ev)) />
            </label>
            {move || list.get().map(|l| l.shows.into_iter().map(|s| {
                let id = s.id;
                let state = match (s.frozen_at, s.cutoff_at) {
                    (Some(at), _) => tr!("pick.show_frozen", at = local_day_time(at)),
                    (None, Some(at)) => tr!("pick.show_cutoff", at = local_day_time(at)),
                    (None, None) => tr!("pick.show_no_cutoff"),
                };
                view! {
                    <p class="cutoff-show" data-show=id>
                        <span>{format!("{} · {state}", s.title)}</span>
                        {s.frozen_at.is_none().then(|| view! {
                            <button type="button" class="secondary" data-set-cutoff=id on:click=move |_| set(id)>
                                {txt("pick.set_cutoff")}</button>
                        })}
                    </p>
                }
            }).collect_view())}
        </div>
    }
}

/// Why the list cannot be read, for the person at this page: not signed in (a link without a
/// staff token) or not someone who prepares goods are named as such, not as "try again".
fn list_refusal(f: &Failure) -> String {
    match f.code {
        Some(mulin_shared::ErrorCode::NotSignedIn | mulin_shared::ErrorCode::InvalidToken) => {
            tr!("pick.sign_in")
        }
        Some(mulin_shared::ErrorCode::Forbidden) => tr!("pick.forbidden"),
        _ => f.words(),
    }
}

fn cutoff_refusal(f: &Failure) -> String {
    match f.code {
        Some(mulin_shared::ErrorCode::InvalidCutoff) if f.message.contains("froze") => {
            tr!("pick.already_frozen")
        }
        Some(mulin_shared::ErrorCode::InvalidCutoff) => tr!("pick.cutoff_past"),
        _ => f.words(),
    }
}
