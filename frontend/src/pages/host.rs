//! The host console: launch or schedule flash deals, pin, extend, restock and
//! end them while watching every deal sell, run lucky bags, and add a product the catalogue lacks.
//!
//! On a phone the live deals come first (what is selling, what is left), the forms after them.
//! Every action goes out with a request key (`Conn::request`): its button says "working…" and the
//! others wait until the answer, and a double click or a retry after a dropped connection is done
//! once by the server.

mod bag;
mod catalogue;
mod deals;

use leptos::prelude::*;
use mulin_shared::{ClientMsg, ErrorCode, Role, ShowId};

use super::confirm;
use super::moderator::StaffGate;
use crate::components::ShowBar;
use crate::i18n::{LangSwitch, error_text};
use crate::socket::Conn;
use crate::{server_clock, tr};

/// The console beside the camera.
#[component]
pub fn HostPage(show: ShowId, token: String) -> impl IntoView {
    let upload_token = StoredValue::new(token.clone());
    let conn = Conn::open_staff(show, token);
    let now = server_clock(conn);
    let allowed = Signal::derive(move || {
        conn.me
            .with(|m| m.as_ref().is_some_and(|m| m.roles.contains(&Role::Host)))
    });
    view! {
        <main class="page staff">
            <ShowBar conn role=|| tr!("bar.host") />
            <div class="tools"><LangSwitch /></div>
            <StaffGate conn allowed />
            // Everything else appears once the token is accepted, where the "checking" note stood:
            // nothing already on screen moves (no layout shift).
            <Show when=move || allowed.get()>
                <deals::DealList conn now can_act=allowed />
                <super::control_room::ControlRoom conn />
                <deals::LaunchForm conn now />
                <deals::RestockForm conn now />
                <bag::BagPanel conn now />
                <catalogue::QuickAdd conn show token=upload_token.get_value() />
            </Show>
        </main>
    }
}

/// Sends a form's message as a host request (see `Conn::request`), or shows in words why it
/// cannot be sent.
fn send_or_explain(
    conn: Conn,
    tag: &'static str,
    set_problem: WriteSignal<Option<String>>,
    parsed: Result<ClientMsg, String>,
) {
    match parsed {
        Ok(msg) => {
            set_problem.set(None);
            conn.request(tag, msg);
        }
        Err(text) => set_problem.set(Some(text)),
    }
}

/// Whether a host action is on its way: every action button waits for its answer.
fn busy(conn: Conn) -> impl Fn() -> bool + Copy + Send + Sync + 'static {
    move || conn.working.with(Option::is_some)
}

/// A button's label: "working…" while its own action is on its way, else `label`.
fn label_or_working(
    conn: Conn,
    tag: &'static str,
    label: impl Fn() -> String + Copy + Send + Sync + 'static,
) -> impl Fn() -> String + Copy + Send + Sync + 'static {
    move || {
        if conn
            .working
            .with(|w| w.as_ref().is_some_and(|w| w.tag == tag))
        {
            tr!("host.working")
        } else {
            label()
        }
    }
}

/// The server's last refusal, in words, if it is one of `codes` (the ones a form can cause).
fn server_problem(conn: Conn, codes: &'static [ErrorCode]) -> impl Fn() -> Option<String> + Copy {
    move || {
        conn.error.with(|e| {
            e.as_ref()
                .filter(|(code, _)| codes.contains(code))
                .map(|(code, _)| error_text(*code))
        })
    }
}
