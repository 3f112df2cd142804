//! The lucky bag (福袋) as a resident sees it: enter while it is open; once drawn, the winners, how
//! to claim if they won, and whether the draw verifies — re-run here, in the browser, with the same
//! code the server drew with (`mulin_shared::lucky_bag`).
//!
//! Built for size: the card is one view whose parts are shown or hidden, redrawn whole when the bag,
//! the language or the resident's standing changes (rare), with the entrant count and the countdown
//! as the only fine-grained parts. Every branch as its own reactive view cost the widget 22 KB.

use leptos::prelude::*;
use leptos::task::spawn_local;
use mulin_shared::lucky_bag::Unverified;
use mulin_shared::{BagId, BagPhase, ClientMsg, Eligibility, ErrorCode, LuckyBag, ResidentId};
use wasm_bindgen::JsCast;

use super::Countdown;
use crate::i18n::{error_text, lang, text};
use crate::socket::Conn;
use crate::{escape, tr};

/// What re-running the draw said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    /// Waiting for the entry list.
    Checking,
    /// The draw reproduces from the published data.
    Verified,
    /// It does not.
    Failed(Option<Unverified>),
}

/// The show's lucky bag; hidden while there is none.
#[component]
pub fn LuckyBagCard(conn: Conn, now: ReadSignal<i64>) -> impl IntoView {
    let bag = Memo::new(move |_| conn.room.with(|r| r.as_ref().and_then(|r| r.bag.clone())));
    // Everything but the entrant count, which moves often and is drawn on its own.
    let shape = Memo::new(move |_| {
        bag.get().map(|mut b| {
            b.entrants = 0;
            b
        })
    });
    let entrants = move || bag.with(|b| b.as_ref().map(|b| b.entrants).unwrap_or(0));
    let closes_at =
        Signal::derive(move || bag.with(|b| b.as_ref().map(|b| b.closes_at).unwrap_or(0)));
    let check = RwSignal::new(Check::Checking);
    // Re-run the draw once the entry list is here: from the draw's event, or else (joined later)
    // from the public record.
    Effect::new(move |_| {
        let Some(b) = shape.get().filter(|b| b.phase == BagPhase::Drawn) else {
            return;
        };
        let entries = conn.bag_entries.with(|e| {
            e.as_ref()
                .filter(|(id, _)| *id == b.id)
                .map(|(_, list)| list.clone())
        });
        match entries {
            Some(list) => check.set(verdict(&b, &list)),
            None => spawn_local(async move {
                check.set(match fetch_entries(b.id).await {
                    Some(list) => verdict(&b, &list),
                    None => Check::Failed(None),
                });
            }),
        }
    });

    // The card is three stretches of HTML built from text (each redrawn only when its words change)
    // around the two parts that live: the countdown and the Enter button.
    let head = Memo::new(move |_| {
        let _ = lang();
        shape
            .with(|b| {
                b.as_ref().map(|b| {
                let facts = if b.phase == BagPhase::Open {
                    tr!("bag.facts", winners = b.winners_wanted, entrants = entrants())
                } else {
                    tr!("bag.drawn_facts", entrants = entrants())
                };
                format!(
                    "<h2 id=\"bag-title\">{} · {}</h2><p class=\"muted\" id=\"bag-facts\">{}</p>",
                    text("bag.title", &[]),
                    escape(&b.prize),
                    escape(&facts)
                )
            })
            })
            .unwrap_or_default()
    });
    let body = Memo::new(move |_| {
        let _ = lang();
        let Some(b) = shape.get() else {
            return String::new();
        };
        body_html(conn, &b, check.get())
    });
    let fairness = Memo::new(move |_| {
        let _ = lang();
        shape
            .with(|b| b.as_ref().map(fairness_html))
            .unwrap_or_default()
    });
    let open = move || shape.with(|b| b.as_ref().is_some_and(|b| b.phase == BagPhase::Open));
    let can_enter = move || {
        let id = shape.with(|b| b.as_ref().map(|b| b.id));
        open()
            && conn.me.with(Option::is_some)
            && !id.is_some_and(|id| conn.entered_bags.with(|e| e.contains(&id)))
    };
    let enter = move |_| {
        if let Some(id) = shape.with_untracked(|b| b.as_ref().map(|b| b.id)) {
            conn.error.set(None);
            conn.send(ClientMsg::EnterBag { bag: id });
        }
    };
    view! {
        <section class="card bag" aria-labelledby="bag-title" hidden=move || shape.with(Option::is_none)
            data-phase=move || if open() { "open" } else { "drawn" }>
            <div class="bag-head" inner_html=move || head.get()></div>
            <p class="muted" hidden=move || !open()><Countdown ends_at=closes_at now /></p>
            <div class="bag-body" inner_html=move || body.get()></div>
            <button type="button" id="bag-enter" class="primary" hidden=move || !can_enter() on:click=enter>
                {move || text("bag.enter", &[])}
            </button>
            <details class="fairness" inner_html=move || fairness.get()></details>
        </section>
    }
}

/// Who may enter, where the resident stands, a refusal, their prize, the winners and the check.
fn body_html(conn: Conn, b: &LuckyBag, check: Check) -> String {
    let open = b.phase == BagPhase::Open;
    let me = conn.me.with(|m| m.as_ref().map(|m| m.resident));
    let mut html = String::new();
    let para = |html: &mut String, class: &str, id: &str, extra: &str, words: &str| {
        html.push_str(&format!(
            "<p class=\"{class}\" id=\"{id}\"{extra}>{}</p>",
            escape(words)
        ));
    };
    if open {
        let who = match b.eligibility {
            Eligibility::Everyone => text("bag.everyone", &[]),
            Eligibility::Buyers => text("bag.buyers", &[]),
        };
        para(&mut html, "muted", "bag-who", "", &who);
        if conn.entered_bags.with(|e| e.contains(&b.id)) {
            para(
                &mut html,
                "note ok",
                "bag-state",
                " data-state=\"entered\" role=\"status\"",
                &text("bag.entered", &[]),
            );
        } else if me.is_none() {
            para(
                &mut html,
                "muted",
                "bag-state",
                " data-state=\"sign_in\"",
                &text("bag.sign_in_first", &[]),
            );
        }
        let refused = conn.error.with(|e| match e {
            Some((code @ (ErrorCode::NotEligible | ErrorCode::BagClosed), _)) => Some(*code),
            _ => None,
        });
        if let Some(code) = refused {
            para(
                &mut html,
                "note warn",
                "bag-refused",
                " role=\"alert\"",
                &error_text(code),
            );
        }
        return html;
    }
    if let Some(p) = conn
        .prizes
        .with(|p| p.iter().find(|p| p.bag == b.id).cloned())
    {
        let pickup = conn
            .catalogue
            .with(|c| {
                c.as_ref()
                    .and_then(|c| c.pickup(p.pickup).map(|p| p.name.clone()))
            })
            .unwrap_or_default();
        html.push_str(&format!(
            "<p class=\"note ok\" id=\"bag-won\" role=\"status\">{} {} <strong class=\"code\">{}</strong></p>",
            escape(&text("bag.you_won", &[])),
            escape(&tr!("bag.claim", pickup = pickup)),
            escape(&p.claim_code)
        ));
    }
    if b.winners.is_empty() {
        para(
            &mut html,
            "muted",
            "bag-nobody",
            "",
            &text("bag.nobody", &[]),
        );
    } else {
        html.push_str(&format!(
            "<ol class=\"winners\" id=\"bag-winners\" aria-label=\"{}\">",
            escape(&text("bag.winners", &[]))
        ));
        for w in &b.winners {
            let mine = if me.flatten() == Some(w.resident) {
                " class=\"mine\""
            } else {
                ""
            };
            html.push_str(&format!("<li{mine}>{}</li>", escape(&w.nickname)));
        }
        html.push_str("</ol>");
    }
    let (state, words) = match check {
        Check::Checking => ("checking", text("bag.checking", &[])),
        Check::Verified => ("yes", text("bag.verified", &[])),
        Check::Failed(why) => {
            let why = match why {
                Some(Unverified::BadSeed | Unverified::Commitment) => text("bag.bad_seed", &[]),
                Some(Unverified::Entries) => text("bag.bad_entries", &[]),
                Some(Unverified::Winners) => text("bag.bad_winners", &[]),
                None => text("bag.no_record", &[]),
            };
            ("no", tr!("bag.not_verified", why = why))
        }
    };
    para(
        &mut html,
        &format!("verify {state}"),
        "bag-verify",
        &format!(" data-verified=\"{state}\" role=\"status\""),
        &words,
    );
    html
}

/// How the draw is fair, and the published values to check it with.
fn fairness_html(b: &LuckyBag) -> String {
    let open = b.phase == BagPhase::Open;
    let hash = |label: String, value: &str| {
        format!(
            "<p class=\"hash\"><span class=\"muted\">{}</span> <code>{}</code></p>",
            escape(&label),
            escape(value)
        )
    };
    let mut html = format!(
        "<summary>{}</summary><p class=\"muted\">{}</p>{}",
        escape(&text("bag.fair_title", &[])),
        escape(&if open {
            text("bag.fair_open", &[])
        } else {
            text("bag.fair_drawn", &[])
        }),
        hash(text("bag.commitment", &[]), &b.commitment),
    );
    if let Some(h) = &b.entries_hash {
        html.push_str(&hash(text("bag.entries_hash", &[]), h));
    }
    if let Some(s) = &b.seed {
        html.push_str(&hash(text("bag.seed", &[]), s));
    }
    if !open {
        html.push_str(&format!(
            "<p><a href=\"/api/bags/{}\" target=\"_blank\" rel=\"noopener\">{}</a></p>",
            b.id,
            escape(&text("bag.record", &[]))
        ));
    }
    html
}

/// The verdict of re-running `bag`'s draw over `entries`.
fn verdict(bag: &LuckyBag, entries: &[ResidentId]) -> Check {
    match bag.verify(entries) {
        Ok(()) => Check::Verified,
        Err(why) => Check::Failed(Some(why)),
    }
}

/// The frozen entry list from the public record (`GET /api/bags/{id}`).
async fn fetch_entries(bag: BagId) -> Option<Vec<ResidentId>> {
    #[derive(serde::Deserialize)]
    struct Record {
        entries: Option<Vec<ResidentId>>,
    }
    let promise = window().fetch_with_str(&format!("/api/bags/{bag}"));
    let response: web_sys::Response = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .ok()?
        .dyn_into()
        .ok()?;
    if !response.ok() {
        return None;
    }
    let body = wasm_bindgen_futures::JsFuture::from(response.text().ok()?)
        .await
        .ok()?
        .as_string()?;
    serde_json::from_str::<Record>(&body).ok()?.entries
}
