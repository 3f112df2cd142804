//! Muting at the moderator's desk: the residents stopped from ordering and entering lucky bags in
//! the community (with why, until when and by whom), lifting one, and muting the buyer of an order
//! found at the desk (asked for a reason the resident is shown, and for how long).

use leptos::prelude::*;
use leptos::task::spawn_local;
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
                desk.community.set(me.community);
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

    /// Asks why and for how long, then mutes `resident` (named `name`).
    pub fn mute(self, resident: ResidentId, name: &str) {
        let Some(path) = self.path() else { return };
        let asked = window()
            .prompt_with_message(&tr!("mute.reason_ask", name = name.to_owned()))
            .ok()
            .flatten();
        let Some(reason) = asked.filter(|r| !r.trim().is_empty()) else {
            return;
        };
        // A day by default; the desk's usual case is "until the pickup is sorted out".
        let minutes = window()
            .confirm_with_message(&tr!("mute.for_a_day"))
            .unwrap_or(true)
            .then_some(24 * 60);
        let draft = MuteDraft {
            resident,
            reason,
            minutes,
        };
        let body = serde_json::to_string(&draft).ok();
        self.send(path, body);
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
