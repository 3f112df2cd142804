//! Ordering for a neighbour (代客下单), for grid workers and moderators, on a phone in large type:
//! find the neighbour by typing their whole number (or register them), choose a deal on sale, and
//! order it for them; then print them a slip. The same desk, limit and idempotency as their own
//! Buy: an order's key is made once per intent and sent again if the tap is retried.
//!
//! Here the page and finding the neighbour; `order` is choosing and ordering, `today` the list of
//! the day and the slips.

mod order;
mod today;

use leptos::prelude::*;
use leptos::task::spawn_local;
use mulin_shared::control::{Neighbour, NeighbourDraft};
use mulin_shared::{CommunityId, ErrorCode, ShowId};

use crate::api::{Failure, Me, call};
use crate::components::ShowBar;
use crate::i18n::{LangSwitch, txt};
use crate::socket::Conn;
use crate::tr;

/// What the page shares between its parts.
#[derive(Clone, Copy)]
struct Desk {
    conn: Conn,
    show: ShowId,
    token: StoredValue<String>,
    /// The community (from `/api/me`).
    community: RwSignal<Option<CommunityId>>,
    /// The neighbour being ordered for.
    neighbour: RwSignal<Option<Neighbour>>,
    /// Grows with each order placed: the list of the day reads again.
    placed: RwSignal<u32>,
}

/// The grid worker's ordering desk.
#[component]
pub fn NeighboursPage(show: ShowId, token: String) -> impl IntoView {
    let desk = Desk {
        conn: Conn::open_staff(show, token.clone()),
        show,
        token: StoredValue::new(token),
        community: RwSignal::new(None),
        neighbour: RwSignal::new(None),
        placed: RwSignal::new(0),
    };
    let refused = RwSignal::new(false);
    spawn_local(async move {
        match call::<Me>("GET", "/api/me", Some(&desk.token.get_value()), None).await {
            Ok(me) if me.community_wide().is_some() => desk.community.set(me.community_wide()),
            _ => refused.set(true),
        }
    });
    view! {
        <main class="page staff neighbours">
            <ShowBar conn=desk.conn role=|| tr!("bar.neighbours") />
            <div class="tools"><LangSwitch /></div>
            {move || refused.get().then(|| view! {
                <p class="note warn" role="alert">{txt("nb.refused")}</p>
            })}
            <FindNeighbour desk />
            {move || desk.neighbour.get().map(|n| view! { <order::OrderFor desk neighbour=n /> })}
            <today::Today desk />
        </main>
    }
}

/// Step 1: the neighbour, by their whole number; registered here if they have no account.
#[component]
fn FindNeighbour(desk: Desk) -> impl IntoView {
    let phone = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let building = RwSignal::new(String::new());
    // The number asked for that has no resident: the form to register them shows.
    let unknown = RwSignal::new(None::<String>);
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let path = move |tail: &str| {
        desk.community
            .get_untracked()
            .map(|c| format!("/api/communities/{c}/neighbours{tail}"))
    };
    // Found or registered: the neighbour being ordered for.
    let chosen = move |n: Neighbour| {
        problem.set(None);
        unknown.set(None);
        desk.neighbour.set(Some(n));
    };
    let find = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(path) = path("/find") else { return };
        let typed = phone.get_untracked();
        busy.set(true);
        spawn_local(async move {
            let body = serde_json::json!({ "phone": typed }).to_string();
            let token = desk.token.get_value();
            let answer = call::<Neighbour>("POST", &path, Some(&token), Some(body)).await;
            busy.set(false);
            match answer {
                Ok(n) => chosen(n),
                Err(f) if f.code == Some(ErrorCode::UnknownResident) => {
                    problem.set(None);
                    desk.neighbour.set(None);
                    unknown.set(Some(typed));
                }
                Err(f) => problem.set(Some(words(&f))),
            }
        });
    };
    let register = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (Some(path), Some(number)) = (path(""), unknown.get_untracked()) else {
            return;
        };
        let draft = NeighbourDraft {
            nickname: name.get_untracked(),
            phone: number,
            building: building.get_untracked(),
        };
        busy.set(true);
        spawn_local(async move {
            let body = serde_json::to_string(&draft).unwrap_or_default();
            let token = desk.token.get_value();
            let answer = call::<Neighbour>("POST", &path, Some(&token), Some(body)).await;
            busy.set(false);
            match answer {
                Ok(n) => chosen(n),
                Err(f) => problem.set(Some(words(&f))),
            }
        });
    };
    let other = move |_| {
        desk.neighbour.set(None);
        unknown.set(None);
        phone.set(String::new());
    };
    view! {
        <section class="card" aria-labelledby="nb-find-title">
            <h2 id="nb-find-title">{txt("nb.find_title")}</h2>
            {move || match desk.neighbour.get() {
                Some(n) => view! {
                    <div class="neighbour" id="nb-chosen">
                        <p class="who"><strong>{n.nickname.clone()}</strong></p>
                        <p>{n.phone.clone()}{(!n.building.is_empty()).then(|| format!(" · {}", n.building))}</p>
                        <button type="button" class="secondary" id="nb-other" on:click=other>{txt("nb.other")}</button>
                    </div>
                }.into_any(),
                None => view! {
                    <form class="stack" on:submit=find>
                        <label>{txt("nb.phone")}
                            <input id="nb-phone" type="tel" inputmode="numeric" autocomplete="off" maxlength="20"
                                placeholder=txt("nb.phone_example")
                                prop:value=move || phone.get()
                                on:input=move |ev| phone.set(event_target_value(&ev)) />
                        </label>
                        <button type="submit" class="primary" id="nb-find"
                            disabled=move || busy.get() || desk.community.with(Option::is_none)>{txt("nb.find")}</button>
                    </form>
                }.into_any(),
            }}
            {move || problem.get().map(|p| view! { <p class="note warn" role="alert" id="nb-problem">{p}</p> })}
            {move || unknown.get().map(|number| view! {
                <form class="stack register" id="nb-register-form" on:submit=register>
                    <p class="note" role="status">{tr!("nb.not_found", phone = number)}</p>
                    <label>{txt("nb.name")}
                        <input id="nb-name" type="text" maxlength="24" placeholder=txt("nb.name_example")
                            on:input=move |ev| name.set(event_target_value(&ev)) />
                    </label>
                    <label>{txt("nb.building")}
                        <input id="nb-building" type="text" maxlength="30" placeholder=txt("nb.building_example")
                            on:input=move |ev| building.set(event_target_value(&ev)) />
                    </label>
                    <button type="submit" class="primary" id="nb-register" disabled=move || busy.get()>{txt("nb.register")}</button>
                </form>
            })}
        </section>
    }
}

/// Why a call was refused, in the grid worker's words.
fn words(f: &Failure) -> String {
    match f.code {
        Some(ErrorCode::InvalidPhone) => tr!("nb.bad_phone"),
        Some(ErrorCode::InvalidNickname) => tr!("nb.bad_name"),
        Some(ErrorCode::ResidentElsewhere) => tr!("nb.elsewhere"),
        Some(ErrorCode::Forbidden) | Some(ErrorCode::NotSignedIn) => tr!("nb.refused"),
        // The server gives the staff's reason after a colon.
        Some(ErrorCode::Muted) => tr!(
            "nb.muted",
            why = f.message.rsplit_once(": ").map_or("", |(_, why)| why)
        ),
        _ => f.words(),
    }
}
