//! Pickup day, for the manager: how many days a ready order waits at its store for the resident
//! (after that it is "not collected"), and the ways to the picking lists and the counter.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::{Desk, refusal};
use crate::i18n::txt;
use crate::tr;

/// The pickup window and the pickup-day links.
#[component]
pub(super) fn PickupPanel(desk: Desk) -> impl IntoView {
    let days = RwSignal::new(String::new());
    let said = RwSignal::new(None::<(bool, String)>);
    spawn_local(async move {
        let path = format!("{}/pickup-days", desk.base());
        if let Ok(v) = desk.call::<serde_json::Value>("GET", &path, None).await {
            days.set(v["days"].as_i64().unwrap_or(3).to_string());
        }
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(n) = days.get_untracked().trim().parse::<i64>() else {
            said.set(Some((false, tr!("pickup.days_range"))));
            return;
        };
        spawn_local(async move {
            let path = format!("{}/pickup-days", desk.base());
            let body = serde_json::json!({ "days": n }).to_string();
            match desk
                .call::<serde_json::Value>("PUT", &path, Some(body))
                .await
            {
                Ok(_) => {
                    said.set(Some((true, tr!("pickup.days_saved", n = n))));
                    desk.changed();
                }
                Err(f) if f.code == Some(mulin_shared::ErrorCode::InvalidPickupDays) => {
                    said.set(Some((false, tr!("pickup.days_range"))));
                }
                Err(f) => said.set(Some((false, refusal(&f)))),
            }
        });
    };
    let c = desk.community;
    view! {
        <section class="card" aria-labelledby="pickup-title">
            <h2 id="pickup-title">{txt("pickup.title")}</h2>
            <p class="actions">
                <a class="button secondary" id="go-picking" href=format!("/c/{c}/picking")>{txt("pickup.lists")}</a>
                <a class="button secondary" id="go-counter" href=format!("/c/{c}/counter")>{txt("pickup.counter")}</a>
            </p>
            <form id="pickup-days-form" on:submit=save>
                <label>{txt("pickup.days")}
                    <input id="pickup-days" type="number" min="1" max="30" inputmode="numeric"
                        prop:value=move || days.get() on:input=move |ev| days.set(event_target_value(&ev)) />
                </label>
                <p class="muted small">{txt("pickup.days_note")}</p>
                <button type="submit" class="primary">{txt("pickup.days_save")}</button>
            </form>
            {move || said.get().map(|(ok, t)| view! {
                <p class=if ok { "note ok" } else { "note warn" } role="status">{t}</p>
            })}
        </section>
    }
}
