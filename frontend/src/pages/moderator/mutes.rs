//! Muting at the moderator's desk: the residents stopped from ordering and entering lucky bags in
//! the community (with why, until when and by whom), lifting one, and muting the buyer of an order
//! found at the desk (asked for a reason the resident is shown, and for how long).

use leptos::prelude::*;
use leptos::task::spawn_local;
use mulin_shared::control::MAX_MUTE_REASON_CHARS;
use mulin_shared::control::{Mute, MuteDraft};
use mulin_shared::{CommunityId, ResidentId};

use crate::api::{Me, call};
use crate::i18n::txt;
use crate::tr;

/// Where muting happens: the community (as `/api/me` tells; none for a show's own link, which may
/// not mute), the token, the list in force, and the last problem.
#[derive(Clone, Copy)]
pub struct MuteDesk {
    community: RwSignal<Option<CommunityId>>,
    token: StoredValue<String>,
    list: RwSignal<Vec<Mute>>,
    problem: RwSignal<Option<String>>,
}

impl MuteDesk {
    /// Finds the community of the person holding `token`, then reads the mutes in force.
    pub fn open(token: String) -> MuteDesk {
        let desk = MuteDesk {
            community: RwSignal::new(None),
            token: StoredValue::new(token),
            list: RwSignal::new(Vec::new()),
            problem: RwSignal::new(None),
        };
        spawn_local(async move {
            let token = desk.token.get_value();
            if let Ok(me) = call::<Me>("GET", "/api/me", Some(&token), None).await {
                desk.community.set(me.community_wide());
                desk.reload();
            }
        });
        desk
    }

    fn path(self) -> Option<String> {
        Some(format!(
            "/api/communities/{}/mutes",
            self.community.get_untracked()?
        ))
    }

    fn reload(self) {
        let Some(path) = self.path() else { return };
        spawn_local(async move {
            let token = self.token.get_value();
            match call::<Vec<Mute>>("GET", &path, Some(&token), None).await {
                Ok(list) => self.list.set(list),
                Err(f) => self.problem.set(Some(f.words())),
            }
        });
    }

    /// Whether this person may mute here (their link belongs to a community).
    pub fn usable(self) -> bool {
        self.community.with(Option::is_some)
    }

    /// Whether `resident` is paused now (as last read).
    pub fn paused(self, resident: ResidentId) -> bool {
        self.list.with(|l| l.iter().any(|m| m.resident == resident))
    }

    /// Pauses as `draft` says; `said` takes the refusal in words, `done` is called on success.
    fn pause(self, draft: MuteDraft, said: RwSignal<Option<String>>, done: impl Fn() + 'static) {
        let Some(path) = self.path() else { return };
        let body = serde_json::to_string(&draft).ok();
        spawn_local(async move {
            let token = self.token.get_value();
            match call::<Mute>("POST", &path, Some(&token), body).await {
                Ok(_) => {
                    said.set(None);
                    done();
                    self.reload();
                }
                Err(f) => said.set(Some(f.words())),
            }
        });
    }

    fn lift(self, id: i64) {
        let Some(path) = self.path() else { return };
        self.send(format!("{path}/{id}/lift"), None);
    }

    fn send(self, path: String, body: Option<String>) {
        spawn_local(async move {
            let token = self.token.get_value();
            match call::<Mute>("POST", &path, Some(&token), body).await {
                Ok(_) => {
                    self.problem.set(None);
                    self.reload();
                }
                Err(f) => self.problem.set(Some(f.words())),
            }
        });
    }
}

/// The residents muted in the community, each with a button to lift it.
#[component]
pub fn MuteList(desk: MuteDesk) -> impl IntoView {
    view! {
        <Show when=move || desk.usable()>
            <section class="card" aria-labelledby="mutes-title">
                <h2 id="mutes-title">{txt("mute.title")}</h2>
                {move || desk.problem.get().map(|p| view! { <p class="note warn" role="alert">{p}</p> })}
                {move || if desk.list.with(Vec::is_empty) {
                    view! { <p class="muted" id="mutes-none">{txt("mute.none")}</p> }.into_any()
                } else {
                    view! {
                        <ul class="found-list" id="mute-list">
                            {desk.list.get().into_iter().map(|m| {
                                let id = m.id;
                                let until = m.until.map_or_else(|| tr!("mute.until_lifted"), |u| tr!("mute.until", at = crate::pages::manager::local_day_time(u)));
                                view! {
                                    <li class="found" data-mute=id data-resident=m.resident>
                                        <div class="grow">
                                            <strong>{m.nickname.clone()}</strong>" · "{m.reason.clone()}
                                            <div class="muted">{until}" · "{m.by.clone()}</div>
                                        </div>
                                        <button type="button" class="secondary small" data-lift=id
                                            on:click=move |_| desk.lift(id)>{txt("mute.lift")}</button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </section>
        </Show>
    }
}

/// "Pause orders" for a found order's buyer, opening a form that asks why (the resident is shown
/// it) and for how long; or, when she is paused already, saying so (she is lifted in the list).
#[component]
pub fn PauseBuyer(desk: MuteDesk, resident: ResidentId, name: String) -> impl IntoView {
    let open = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    let days = RwSignal::new(Some(1_i64));
    let said = RwSignal::new(None::<String>);
    // No reason given: said at the field, which is marked.
    let missing = RwSignal::new(false);
    let name = StoredValue::new(name);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let why = reason.get_untracked().trim().to_owned();
        if why.is_empty() {
            missing.set(true);
            return;
        }
        let draft = MuteDraft {
            resident,
            reason: why,
            minutes: days.get_untracked().map(|d| d * 24 * 60),
        };
        desk.pause(draft, said, move || {
            open.set(false);
            reason.set(String::new());
        });
    };
    move || {
        if !desk.usable() {
            return ().into_any();
        }
        if desk.paused(resident) {
            return view! { <span class="chip paused" data-paused=resident>{txt("mute.paused")}</span> }
                .into_any();
        }
        view! {
            <button type="button" class="secondary small" data-mute-resident=resident hidden=move || open.get()
                on:click=move |_| { said.set(None); open.set(true) }>{txt("mute.do")}</button>
            <Show when=move || open.get()>
                <form class="fix-form pause-form" data-pause-form=resident on:submit=save>
                    <p class="grow">{move || tr!("mute.reason_ask", name = name.get_value())}</p>
                    <label>{txt("mute.reason")}
                        <input class="pause-reason" type="text" maxlength=MAX_MUTE_REASON_CHARS.to_string()
                            placeholder=txt("mute.reason_example") prop:value=move || reason.get()
                            aria-invalid=move || missing.get().then_some("true")
                            on:input=move |ev| { missing.set(false); reason.set(event_target_value(&ev)) } />
                        {move || missing.get().then(|| view! {
                            <span class="field-error" role="alert">{txt("mute.reason_missing")}</span>
                        })}
                    </label>
                    <label>{txt("mute.how_long")}
                        <select class="pause-days" on:change=move |ev| {
                            days.set(event_target_value(&ev).parse().ok())
                        }>
                            {[1_i64, 3, 7].into_iter().map(|d| view! {
                                <option value=d.to_string() selected=d == 1>{move || tr!("mute.days", n = d)}</option>
                            }).collect_view()}
                            <option value="">{txt("mute.until_lifted")}</option>
                        </select>
                    </label>
                    <div class="actions">
                        <button type="submit" class="danger small">{txt("mute.confirm")}</button>
                        <button type="button" class="secondary small" on:click=move |_| open.set(false)>{txt("mute.back")}</button>
                    </div>
                </form>
            </Show>
            {move || said.get().map(|w| view! { <p class="note warn said" role="alert">{w}</p> })}
        }
        .into_any()
    }
}
