//! The pickup counter (`/c/{community}/counter`), for a pickup clerk on a phone at their store (and
//! a moderator helping out): scan the resident's QR code with the camera, or from a photo, or type
//! its six digits; see whose it is and what; hand it over with one tap (or fewer units, if one is
//! short). A second scan says when and by whom it was handed over; a code of another store names
//! that store. Below, the store's goods of recent shows, each marked received in one tap, which
//! tells the residents their orders are ready.
//!
//! Here the page and the found orders; `scan` reads QR codes, `goods` is the store's goods.

mod goods;
mod scan;

use leptos::prelude::*;
use leptos::task::spawn_local;
use mulin_shared::community::CommunityShows;
use mulin_shared::pickup::{CounterOrder, HandOver, UNDO_WINDOW_MS};
use mulin_shared::{CommunityId, ErrorCode, OrderStatus, PickupId, PickupPoint, Role};

use crate::api::{Failure, call};
use crate::components::orders::status_word;
use crate::i18n::{LangSwitch, txt};
use crate::{local_hm, tr};

/// Who is at the counter, from `/api/me`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
struct Clerk {
    name: String,
    roles: Vec<Role>,
    community: Option<CommunityId>,
    #[serde(default)]
    pickups: Vec<PickupId>,
}

/// What the page shares between its parts.
#[derive(Clone, Copy)]
struct Counter {
    community: CommunityId,
    token: StoredValue<String>,
    /// The store this counter is (the clerk's first, or the one chosen).
    pickup: RwSignal<Option<PickupId>>,
    /// Whether the person may undo hand-overs (a moderator).
    may_undo: RwSignal<bool>,
    /// Grows with each change, so the store's goods read again.
    changed: RwSignal<u32>,
    /// What the counter last said: good news or a warning.
    said: RwSignal<Option<(bool, String)>>,
}

impl Counter {
    fn path(&self, tail: &str) -> String {
        format!("/api/communities/{}/{tail}", self.community)
    }

    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        method: &str,
        tail: &str,
        body: Option<String>,
    ) -> Result<T, Failure> {
        call(
            method,
            &self.path(tail),
            Some(&self.token.get_value()),
            body,
        )
        .await
    }
}

/// The pickup counter.
#[component]
pub fn CounterPage(community: CommunityId, token: String) -> impl IntoView {
    let counter = Counter {
        community,
        token: StoredValue::new(token),
        pickup: RwSignal::new(None),
        may_undo: RwSignal::new(false),
        changed: RwSignal::new(0),
        said: RwSignal::new(None),
    };
    let said = counter.said;
    let clerk = RwSignal::new(None::<Clerk>);
    let points = RwSignal::new(Vec::<PickupPoint>::new());
    let refused = RwSignal::new(false);
    spawn_local(async move {
        match call::<Clerk>("GET", "/api/me", Some(&counter.token.get_value()), None).await {
            Ok(me) if me.community == Some(community) => {
                let here = me
                    .roles
                    .iter()
                    .any(|r| matches!(r, Role::PickupClerk | Role::Moderator));
                refused.set(!here);
                counter.may_undo.set(me.roles.contains(&Role::Moderator));
                clerk.set(Some(me));
            }
            _ => refused.set(true),
        }
        let path = format!("/api/communities/{community}/shows");
        if let Ok(listing) = call::<CommunityShows>("GET", &path, None, None).await {
            points.set(listing.pickup_points);
        }
    });
    // The stores this counter may be: a clerk's own, or (a moderator) every one.
    let stores = move || {
        let mine = clerk.with(|c| c.as_ref().map(|c| c.pickups.clone()).unwrap_or_default());
        points.with(|all| {
            all.iter()
                .filter(|p| mine.is_empty() || mine.contains(&p.id))
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    // The first store, once known (set only then: setting `None` again would wake this again).
    Effect::new(move |_| {
        if counter.pickup.get().is_none()
            && let Some(first) = stores().first()
        {
            counter.pickup.set(Some(first.id));
        }
    });
    let found = RwSignal::new(Vec::<CounterOrder>::new());
    let busy = RwSignal::new(false);
    // Looks up a scanned value or typed code.
    let look = move |code: String| {
        // Spaces and full-width digits (a Chinese keyboard's) are forgiven; a short code is named.
        let code = mulin_shared::pickup::typed_code(&code);
        if code.is_empty() || mulin_shared::pickup::short_code(&code) {
            said.set(Some((false, tr!("counter.need_code"))));
            return;
        }
        busy.set(true);
        said.set(None);
        spawn_local(async move {
            let tail = format!("counter?code={}", js_sys::encode_uri_component(&code));
            match counter.call::<Vec<CounterOrder>>("GET", &tail, None).await {
                Ok(list) => {
                    if list.len() > 1 {
                        said.set(Some((true, tr!("counter.several", n = list.len()))));
                    }
                    found.set(list);
                }
                Err(f) => {
                    found.set(Vec::new());
                    said.set(Some((false, refusal(&f))));
                }
            }
            busy.set(false);
        });
    };
    view! {
        <main class="page staff counter-page">
            <header class="bar">
                <h1>{txt("counter.title")}</h1>
                <p class="muted">{move || clerk.with(|c| c.as_ref().map(|c| c.name.clone()))}</p>
            </header>
            <div class="tools"><LangSwitch /></div>
            {move || refused.get().then(|| view! {
                <p class="note warn" role="alert" id="counter-refused">{txt("counter.refused")}</p>
            })}
            {move || match stores().as_slice() {
                [] => None,
                [one] => Some(view! {
                    <p class="store-name" id="counter-store-name">{one.name.clone()}</p>
                }.into_any()),
                several => Some(view! {
                    <label class="card">{txt("counter.which_store")}
                        <select id="counter-store" on:change=move |ev| {
                            counter.pickup.set(event_target_value(&ev).parse().ok());
                        }>
                            {several.iter().map(|p| {
                                let chosen = counter.pickup.get_untracked() == Some(p.id);
                                view! { <option value=p.id.to_string() selected=chosen>{p.name.clone()}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                }.into_any()),
            }}
            <scan::Scan look busy />
            {move || said.get().map(|(ok, text)| view! {
                <p class=if ok { "note ok big" } else { "note warn big" } role="alert" id="counter-said">{text}</p>
            })}
            <section class="found" aria-live="polite">
                {move || found.get().into_iter().map(|o| view! { <Found counter order=o found /> }).collect_view()}
            </section>
            <goods::Goods counter />
            {move || counter.pickup.get().map(|p| view! {
                <p class="card"><a class="button secondary" id="counter-list"
                    href=format!("/c/{community}/picking?pickup={p}&token={}", counter.token.get_value())>{txt("counter.print_list")}</a></p>
            })}
        </main>
    }
}

/// What a refusal means at the counter.
fn refusal(f: &Failure) -> String {
    #[derive(serde::Deserialize, Default)]
    struct More {
        store: Option<String>,
        by: Option<String>,
        at: Option<i64>,
    }
    let more: More = serde_json::from_str(&f.body).unwrap_or_default();
    match f.code {
        Some(ErrorCode::WrongStore) => tr!(
            "counter.wrong_store",
            store = more.store.unwrap_or_default()
        ),
        Some(ErrorCode::AlreadyHandedOver) => match (more.by, more.at) {
            (Some(by), Some(at)) => tr!("counter.already", by = by, at = local_hm(at)),
            _ => tr!("counter.changed"),
        },
        Some(ErrorCode::ForgedCode) => tr!("counter.forged"),
        Some(ErrorCode::UnknownOrder) => tr!("counter.unknown"),
        Some(ErrorCode::OrderClosed) => tr!("counter.closed"),
        Some(ErrorCode::UndoWindowPassed) => tr!("counter.too_late"),
        Some(ErrorCode::InvalidQuantity) => tr!("counter.bad_units"),
        _ => f.words(),
    }
}

/// One found order: whose, what, where it stands, and the hand-over.
#[component]
fn Found(
    counter: Counter,
    order: CounterOrder,
    found: RwSignal<Vec<CounterOrder>>,
) -> impl IntoView {
    let o = order.order.clone();
    let left = o.qty - o.handed;
    let units = RwSignal::new(left.to_string());
    let said = counter.said;
    let busy = RwSignal::new(false);
    let id = o.id;
    // The order as the server now has it replaces the one shown.
    let replace = move |now: CounterOrder| {
        found.update(|list| {
            if let Some(kept) = list.iter_mut().find(|f| f.order.id == id) {
                *kept = now;
            }
        });
        counter.changed.update(|n| *n += 1);
    };
    let hand = move |_| {
        let Ok(n) = units.get_untracked().trim().parse::<i64>() else {
            said.set(Some((false, tr!("counter.bad_units"))));
            return;
        };
        let body = HandOver {
            units: n,
            was_handed: o.handed,
        };
        busy.set(true);
        spawn_local(async move {
            let tail = format!("orders/{id}/hand-over");
            let body = serde_json::to_string(&body).ok();
            match counter.call::<CounterOrder>("POST", &tail, body).await {
                Ok(now) => {
                    let done = now.order.status == OrderStatus::PickedUp;
                    said.set(Some((
                        true,
                        if done {
                            tr!("counter.done", n = n)
                        } else {
                            tr!(
                                "counter.partly",
                                n = n,
                                left = now.order.qty - now.order.handed
                            )
                        },
                    )));
                    replace(now);
                }
                Err(f) => {
                    said.set(Some((false, refusal(&f))));
                    // What the server has now, so the screen is not stale.
                    #[derive(serde::Deserialize)]
                    struct With {
                        order: CounterOrder,
                    }
                    if let Ok(w) = serde_json::from_str::<With>(&f.body) {
                        replace(w.order);
                    }
                }
            }
            busy.set(false);
        });
    };
    let undo = move |_| {
        if !crate::pages::confirm(&tr!("counter.undo_ask")) {
            return;
        }
        busy.set(true);
        spawn_local(async move {
            let tail = format!("orders/{id}/undo-hand-over");
            match counter.call::<CounterOrder>("POST", &tail, None).await {
                Ok(now) => {
                    said.set(Some((true, tr!("counter.undone"))));
                    replace(now);
                }
                Err(f) => said.set(Some((false, refusal(&f)))),
            }
            busy.set(false);
        });
    };
    let last = order
        .handovers
        .iter()
        .rev()
        .find(|h| h.undone_at.is_none())
        .cloned();
    let undoable = last
        .as_ref()
        .is_some_and(|h| js_sys::Date::now() as i64 - h.at < UNDO_WINDOW_MS);
    let open = o.to_collect();
    view! {
        <article class="card found-order" data-order=id data-status=o.status.as_str()>
            <h2>{order.order.nickname.clone()} <span class="muted">{tr!("counter.tail", tail = order.phone_tail.clone())}</span></h2>
            <p class="what big">{format!("{} × {}", order.product_name, o.qty)}</p>
            <p class="muted">{format!("{} · {} · {}", order.show_title, order.pickup_name, o.pickup_code)}</p>
            {(o.status == OrderStatus::Accepted).then(|| view! {
                <p class="note warn small">{txt("counter.not_received")}</p>
            })}
            <p class="state" data-state=o.status.as_str()>{status_word(o.status)}
                {(o.handed > 0 && open).then(|| tr!("counter.handed_so_far", handed = o.handed, qty = o.qty))}
            </p>
            {order.handovers.iter().map(|h| {
                let text = tr!("counter.handed_line", units = h.units, by = h.by.clone(), at = local_hm(h.at));
                let undone = h.undone_by.clone().map(|by| tr!("counter.undone_by", by = by));
                view! { <p class="muted small handover">{text}{undone.map(|u| format!(" · {u}"))}</p> }
            }).collect_view()}
            {open.then(|| view! {
                <div class="hand-over">
                    <label>{txt("counter.units")}
                        <input type="number" class="units" min="1" max=left.to_string() inputmode="numeric"
                            prop:value=move || units.get()
                            on:input=move |ev| units.set(event_target_value(&ev)) />
                    </label>
                    <button type="button" class="primary big" data-hand-over=id
                        disabled=move || busy.get() || !(1..=left).contains(&units.get().trim().parse::<i64>().unwrap_or(0))
                        on:click=hand>
                        {move || match units.get().trim().parse::<i64>() {
                            Ok(n) if n == left => tr!("counter.hand_all", n = left),
                            Ok(n) if (1..left).contains(&n) => tr!("counter.hand_some", n = n, qty = left),
                            _ => tr!("counter.units_range", qty = left),
                        }}
                    </button>
                </div>
            })}
            {(undoable && counter.may_undo.get_untracked()).then(|| view! {
                <button type="button" class="secondary" data-undo=id disabled=move || busy.get() on:click=undo>
                    {txt("counter.undo")}</button>
            })}
        </article>
    }
}
