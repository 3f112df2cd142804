//! The lucky bag from the host's side: open one, watch entries come in, close and draw, and see
//! who won in large print.

use leptos::prelude::*;
use mulin_shared::{BagPhase, ClientMsg, Eligibility, ErrorCode, ServerMsg};

use super::{busy, label_or_working, send_or_explain, server_problem};
use crate::components::Countdown;
use crate::i18n::{error_text, txt};
use crate::socket::Conn;
use crate::tr;

/// The lucky bag from the host's side: open one (prize, winners, how long, who may enter, where
/// prizes are collected), watch entries come in, close and draw.
#[component]
pub fn BagPanel(conn: Conn, now: ReadSignal<i64>) -> impl IntoView {
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
    // Opened: the form starts afresh for the next bag.
    Effect::new(move |_| {
        if conn
            .done
            .with(|d| matches!(d, Some(ServerMsg::BagOpened { .. })))
        {
            set_prize.set(String::new());
        }
    });
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
        send_or_explain(conn, "bag-open", set_problem, parsed);
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
                        <button type="button" id="bag-close" class="primary" disabled=busy(conn)
                            on:click=move |_| if super::confirm(&tr!("hostbag.close_confirm")) {
                                conn.request("bag-close", ClientMsg::CloseBag { bag: id })
                            }>
                            {label_or_working(conn, "bag-close", txt("hostbag.close"))}</button>
                    }.into_any()
                }
                None => view! {
                    {move || bag.get().filter(|b| b.phase == BagPhase::Drawn).map(|b| view! {
                        <div id="host-bag-last" class="bag-result">
                            <p><strong>{tr!("hostbag.drawn_title", prize = b.prize.clone())}</strong></p>
                            <ol class="winners">
                                {b.winners.iter().map(|w| view! { <li>{w.nickname.clone()}</li> }).collect_view()}
                            </ol>
                        </div>
                    })}
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
                        <button type="submit" id="bag-open" class="primary" disabled=busy(conn)>
                            {label_or_working(conn, "bag-open", txt("hostbag.open"))}</button>
                    </form>
                }.into_any(),
            }}
            {move || problem.get().or_else(server_problem).map(|p| view! { <p class="note warn" role="alert">{p}</p> })}
        </section>
    }
}
