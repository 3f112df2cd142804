//! Mulin Live's browser side: the resident widget, the host console and the moderator desk.
//!
//! One page per person (`pages/`), built from small parts (`components/`), all fed by one live
//! connection (`socket`).

pub mod api;
pub mod components;
pub mod i18n;
pub mod pages;
pub mod socket;

use std::time::Duration;

use leptos::prelude::*;
use mulin_shared::{ShowId, UtcMillis};

use crate::i18n::txt;
use crate::pages::{
    CounterPage, HostPage, InvitePage, ManagerPage, ModeratorPage, NeighboursPage, PickingPage,
    ReportPage, ResidentPage,
};
use crate::socket::Conn;

/// The show a bare visit to `/` opens.
const DEMO_SHOW: ShowId = 1;

/// Which page a URL asks for. Pages never navigate to each other inside the app, so a full router
/// would only add weight to the widget residents download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page {
    /// `/show/{id}` (and `/`, the demo show): the resident widget.
    Resident(ShowId),
    /// `/show/{id}/host?token=…`: the host console.
    Host(ShowId, String),
    /// `/show/{id}/moderator?token=…`: the moderator desk.
    Moderator(ShowId, String),
    /// `/show/{id}/report`: the show's report.
    Report(ShowId, String),
    /// `/show/{id}/neighbours`: ordering for neighbours (grid workers, moderators).
    Neighbours(ShowId, String),
    /// `/invite/{code}`: a staff invite link.
    Invite(String),
    /// `/c/{community}/manage`: the manager's console.
    Manage(mulin_shared::CommunityId),
    /// `/c/{community}/counter?token=…`: the pickup counter (clerks, moderators).
    Counter(mulin_shared::CommunityId, String),
    /// `/c/{community}/picking?token=…`: picking lists.
    Picking(mulin_shared::CommunityId, String),
    /// Anything else.
    NotFound,
}

impl Page {
    /// The page for a path and the `token` query parameter (empty when absent).
    pub fn from_url(path: &str, token: String) -> Page {
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        match parts.as_slice() {
            [] => Page::Resident(DEMO_SHOW),
            ["show", id, rest @ ..] => match (id.parse::<ShowId>(), rest) {
                (Ok(show), []) => Page::Resident(show),
                (Ok(show), ["host"]) => Page::Host(show, token),
                (Ok(show), ["moderator"]) => Page::Moderator(show, token),
                (Ok(show), ["report"]) => Page::Report(show, token),
                (Ok(show), ["neighbours"]) => Page::Neighbours(show, token),
                _ => Page::NotFound,
            },
            ["invite", code] => Page::Invite((*code).to_owned()),
            ["c", id, "manage"] => id.parse().map_or(Page::NotFound, Page::Manage),
            ["c", id, "counter"] => id
                .parse()
                .map_or(Page::NotFound, |c| Page::Counter(c, token)),
            ["c", id, "picking"] => id
                .parse()
                .map_or(Page::NotFound, |c| Page::Picking(c, token)),
            _ => Page::NotFound,
        }
    }
}

impl Page {
    /// The page this browser's URL asks for.
    pub fn current() -> Page {
        let location = window().location();
        let path = location.pathname().unwrap_or_default();
        let token = location
            .search()
            .ok()
            .and_then(|q| web_sys::UrlSearchParams::new_with_str(&q).ok())
            .and_then(|q| q.get("token"))
            .unwrap_or_default();
        Page::from_url(&path, token)
    }
}

/// The resident widget (`mulin-frontend`, served for `/` and `/show/{id}`). It is built apart from
/// the staff console so residents on slow phones download no staff code.
#[component]
pub fn Widget() -> impl IntoView {
    match Page::current() {
        Page::Resident(show) => view! { <ResidentPage show /> }.into_any(),
        _ => not_found().into_any(),
    }
}

/// The staff console (`mulin-console`, served for `/show/{id}/host`, `/show/{id}/moderator`,
/// `/show/{id}/report`, `/invite/{code}` and `/c/{id}/manage`). A host's or moderator's page without `?token=` uses the
/// staff token an invite link left on this device.
#[component]
pub fn Console() -> impl IntoView {
    let or_kept = |token: String| {
        if token.is_empty() {
            api::staff_token().unwrap_or_default()
        } else {
            token
        }
    };
    match Page::current() {
        Page::Host(show, token) => {
            let token = or_kept(token);
            view! { <HostPage show token /> }.into_any()
        }
        Page::Moderator(show, token) => {
            let token = or_kept(token);
            view! { <ModeratorPage show token /> }.into_any()
        }
        Page::Report(show, token) => view! { <ReportPage show token /> }.into_any(),
        Page::Neighbours(show, token) => {
            let token = or_kept(token);
            view! { <NeighboursPage show token /> }.into_any()
        }
        Page::Invite(code) => view! { <InvitePage code /> }.into_any(),
        Page::Manage(community) => view! { <ManagerPage community /> }.into_any(),
        Page::Counter(community, token) => {
            let token = or_kept(token);
            view! { <CounterPage community token /> }.into_any()
        }
        Page::Picking(community, token) => {
            let token = or_kept(token);
            view! { <PickingPage community token /> }.into_any()
        }
        _ => not_found().into_any(),
    }
}

fn not_found() -> impl IntoView {
    view! {
            <main class="page"><p class="notice">{txt("app.not_found")} " "
                <a href="/">{txt("app.open_show")}</a></p></main>
    }
}

/// Mounts `app` on the page and takes away the skeleton index.html drew (`#boot`) in the same
/// task, so the two never share a frame and the app's first paint moves nothing on screen.
pub fn mount<F, N>(app: F)
where
    F: FnOnce() -> N + 'static,
    N: IntoView,
{
    leptos::mount::mount_to_body(app);
    if let Some(boot) = document().get_element_by_id("boot") {
        boot.remove();
    }
}

/// Draws `view` into the element `place`, `tasks` tasks after the one running now.
///
/// What the resident needs first (the deal) is drawn at once; what can wait a moment (the buttons
/// to buy, the form to sign in, the parts below the card) comes in the tasks after. A slow phone
/// then never runs one long task that holds up a tap (Lighthouse's Total Blocking Time), and the
/// deal's first paint does not wait for the rest. Parts drawn `n` tasks later are drawn after
/// every part asked for fewer tasks later in the same task (zero-delay timers run in order), so
/// a part below others can wait for them and nothing already drawn is pushed down.
///
/// `view` lives as long as the reactive owner that called this: when that part of the page goes,
/// so does what was drawn here.
pub fn draw_later<N: IntoView + 'static>(
    tasks: u32,
    place: NodeRef<leptos::html::Div>,
    view: impl FnOnce() -> N + 'static,
) {
    let owner = Owner::current();
    in_tasks(
        tasks,
        Box::new(move || {
            // Gone if that part of the page went away before its turn came.
            let Some(place) = place.get_untracked() else {
                return;
            };
            let draw = move || {
                let drawn =
                    send_wrapper::SendWrapper::new(leptos::mount::mount_to(place.into(), view));
                on_cleanup(move || drop(drawn));
            };
            match owner {
                Some(owner) => owner.with(draw),
                None => draw(),
            }
        }),
    );
}

/// Runs `f` `tasks` tasks after this one (a zero-delay timer for each).
fn in_tasks(tasks: u32, f: Box<dyn FnOnce()>) {
    if tasks == 0 {
        return f();
    }
    set_timeout(move || in_tasks(tasks - 1, f), Duration::ZERO);
}

/// The server's clock, ticking four times a second, for countdowns.
pub fn server_clock(conn: Conn) -> ReadSignal<UtcMillis> {
    let (now, set_now) = signal(conn.server_now());
    // The interval lives as long as the page; the handle is not needed to stop it.
    let _ = set_interval_with_handle(
        move || set_now.set(conn.server_now()),
        Duration::from_millis(250),
    );
    now
}

/// Text made safe to put in HTML, for parts drawn as one stretch of HTML (the widget's leanest way
/// to draw read-only lists).
pub use mulin_shared::escape_html as escape;

/// `"¥19.90"` from fen.
pub fn yuan(fen: i64) -> String {
    format!("¥{}", mulin_shared::format_yuan(fen))
}

/// `"1:02:03"` or `"02:03"` for a span of milliseconds (never negative).
pub fn clock_span(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    let (h, m, s) = (s / 3600, (s / 60) % 60, s % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m:02}:{s:02}")
    }
}

/// `"10:30"`: a moment on this device's clock face, to the minute (a scheduled start reads as the
/// host entered it).
pub fn local_hm(at: UtcMillis) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at as f64));
    format!("{:02}:{:02}", d.get_hours(), d.get_minutes())
}

/// `"10:30:15"`: a moment on this device's clock face.
pub fn local_time(at: UtcMillis) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at as f64));
    format!(
        "{:02}:{:02}:{:02}",
        d.get_hours(),
        d.get_minutes(),
        d.get_seconds()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_pages() {
        let t = || "h_1".to_string();
        assert_eq!(Page::from_url("/", t()), Page::Resident(DEMO_SHOW));
        assert_eq!(Page::from_url("/show/7", t()), Page::Resident(7));
        assert_eq!(Page::from_url("/show/7/", t()), Page::Resident(7));
        assert_eq!(Page::from_url("/show/7/host", t()), Page::Host(7, t()));
        assert_eq!(
            Page::from_url("/show/7/moderator", t()),
            Page::Moderator(7, t())
        );
        assert_eq!(
            Page::from_url("/show/7/neighbours", t()),
            Page::Neighbours(7, t())
        );
        assert_eq!(Page::from_url("/show/x", t()), Page::NotFound);
        assert_eq!(
            Page::from_url("/invite/0a1b", t()),
            Page::Invite("0a1b".into())
        );
        assert_eq!(Page::from_url("/c/3/manage", t()), Page::Manage(3));
        assert_eq!(Page::from_url("/c/x/manage", t()), Page::NotFound);
        assert_eq!(Page::from_url("/c/3/counter", t()), Page::Counter(3, t()));
        assert_eq!(Page::from_url("/c/3/picking", t()), Page::Picking(3, t()));
        assert_eq!(Page::from_url("/c/x/picking", t()), Page::NotFound);
        assert_eq!(Page::from_url("/show/7/admin", t()), Page::NotFound);
        assert_eq!(Page::from_url("/elsewhere", t()), Page::NotFound);
    }
}
