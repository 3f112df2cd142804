//! The manager's console (`/c/{community}/manage`): the community's shows (create, schedule, edit,
//! start, end, cancel), its staff (invite, roles, revoke), its catalogue (products and pickup
//! points) and the audit log of every change. It
//! talks to the manager's HTTP API with the token the manager's invite link left on this device.
//!
//! On a phone the sections stack (shows first: what is on today); on a laptop they sit side by side.

mod audit;
mod catalogue;
mod pickup;
mod shows;
mod staff;

use leptos::prelude::*;
use leptos::task::spawn_local;
use mulin_shared::community::{Community, CommunityShows, ShowSummary};
use mulin_shared::{CommunityId, PickupPoint, Role, UtcMillis};

use crate::api::{Failure, Me, call, staff_token};
use crate::i18n::{LangSwitch, txt};
use crate::tr;

/// A role's name in the current language.
pub fn role_name(role: Role) -> impl Fn() -> String + Copy + Send + Sync + 'static {
    match role {
        Role::Manager => txt("role.manager"),
        Role::Host => txt("role.host"),
        Role::Moderator => txt("role.moderator"),
        Role::GridWorker => txt("role.grid_worker"),
        Role::PickupClerk => txt("role.pickup_clerk"),
        Role::Resident => txt("role.resident"),
    }
}

/// What every section of the console shares: the manager's token, the community, its shows and
/// pickup points as last read, and a way to read them again.
#[derive(Clone, Copy)]
struct Desk {
    token: StoredValue<String>,
    community: CommunityId,
    shows: RwSignal<Vec<ShowSummary>>,
    pickups: RwSignal<Vec<PickupPoint>>,
    /// Grows whenever something changed: the audit log reads itself again.
    changes: RwSignal<u32>,
}

impl Desk {
    /// `method path` with the manager's token and `body` as JSON.
    async fn call<T: serde::de::DeserializeOwned>(
        self,
        method: &str,
        path: &str,
        body: Option<String>,
    ) -> Result<T, Failure> {
        let token = self.token.get_value();
        call(method, path, Some(&token), body).await
    }

    fn base(self) -> String {
        format!("/api/communities/{}", self.community)
    }

    /// Reads the shows and pickup points again.
    fn reload(self) {
        spawn_local(async move {
            let path = format!("{}/shows", self.base());
            if let Ok(listing) = call::<CommunityShows>("GET", &path, None, None).await {
                self.shows.set(listing.shows);
                self.pickups.set(listing.pickup_points);
            }
        });
    }

    /// After a change: read again, and let the log know.
    fn changed(self) {
        self.reload();
        self.changes.update(|n| *n += 1);
    }
}

/// Whether the page may be shown: checking, refused (with why), or the manager and community.
#[derive(Debug, Clone, PartialEq)]
enum Gate {
    Checking,
    Refused(String),
    Open(String, Community),
}

/// The manager's console of one community.
#[component]
pub fn ManagerPage(community: CommunityId) -> impl IntoView {
    let gate = RwSignal::new(Gate::Checking);
    let token = staff_token();
    let desk = Desk {
        token: StoredValue::new(token.clone().unwrap_or_default()),
        community,
        shows: RwSignal::new(Vec::new()),
        pickups: RwSignal::new(Vec::new()),
        changes: RwSignal::new(0),
    };
    spawn_local(async move {
        let Some(token) = token else {
            gate.set(Gate::Refused(tr!("mgr.no_token")));
            return;
        };
        let me = match call::<Me>("GET", "/api/me", Some(&token), None).await {
            Ok(me) => me,
            Err(failure) => return gate.set(Gate::Refused(failure.words())),
        };
        if me.community != Some(community) || !me.roles.contains(&Role::Manager) {
            return gate.set(Gate::Refused(tr!("mgr.not_manager")));
        }
        let path = format!("/api/communities/{community}/shows");
        match call::<CommunityShows>("GET", &path, None, None).await {
            Ok(listing) => {
                desk.shows.set(listing.shows);
                desk.pickups.set(listing.pickup_points);
                gate.set(Gate::Open(me.name, listing.community));
            }
            Err(failure) => gate.set(Gate::Refused(failure.words())),
        }
    });
    view! {
        <main class="page staff manager">
            {move || match gate.get() {
                Gate::Checking => view! {
                    <header class="bar"><strong>{txt("mgr.title")}</strong></header>
                    <p class="note muted">{txt("staff.checking")}</p>
                }.into_any(),
                Gate::Refused(why) => view! {
                    <header class="bar"><strong>{txt("mgr.title")}</strong></header>
                    <div class="tools"><LangSwitch /></div>
                    <p class="note warn" role="alert" id="manager-refused">{why}</p>
                }.into_any(),
                Gate::Open(name, community) => view! {
                    <header class="bar">
                        <strong>{community.label()}</strong>
                        <span class="muted">{move || tr!("mgr.signed_in_as", name = name.clone())}</span>
                    </header>
                    <div class="tools">
                        <nav class="jump" aria-label=txt("mgr.sections")>
                            <a href="#shows-title">{txt("mgr.shows")}</a>
                            <a href="#staff-title">{txt("mgr.staff")}</a>
                            <a href="#catalogue-title">{txt("mgr.catalogue")}</a>
                            <a href="#pickup-title">{txt("pickup.title")}</a>
                            <a href="#audit-title">{txt("mgr.audit")}</a>
                        </nav>
                        <LangSwitch />
                    </div>
                    <div class="manager-grid">
                        <shows::ShowsPanel desk />
                        <staff::StaffPanel desk />
                        <catalogue::CataloguePanel desk />
                        <pickup::PickupPanel desk />
                        <audit::AuditPanel desk />
                    </div>
                }.into_any(),
            }}
        </main>
    }
}

/// Scrolls the element `id` into view once it is drawn (a form filled from a row far above it, a
/// link made just now).
fn bring_into_view(id: &'static str) {
    set_timeout(
        move || {
            if let Some(place) = document().get_element_by_id(id) {
                place.scroll_into_view();
            }
        },
        std::time::Duration::ZERO,
    );
}

/// Scrolls the note `id` up from below the screen's edge once it is drawn (to the bottom of the
/// screen, so what the manager tapped stays as near as it can): an answer to a tap far from its
/// form's notes.
fn bring_note_into_view(id: &'static str) {
    set_timeout(
        move || {
            if let Some(note) = document().get_element_by_id(id) {
                note.scroll_into_view_with_bool(false);
            }
        },
        std::time::Duration::ZERO,
    );
}

/// `"12月5日 周六 10:00"` / `"Sat 5 Dec 10:00"`: a moment on this device's clock, for schedules.
pub(crate) fn local_day_time(at: UtcMillis) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at as f64));
    let weekday = d.get_day() as usize;
    let (month, day) = (d.get_month() + 1, d.get_date());
    let hm = crate::local_hm(at);
    match crate::i18n::lang() {
        crate::i18n::Lang::Zh => {
            const DAYS: [&str; 7] = ["日", "一", "二", "三", "四", "五", "六"];
            format!("{month}月{day}日 周{} {hm}", DAYS[weekday % 7])
        }
        crate::i18n::Lang::En => {
            const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
            const MONTHS: [&str; 12] = [
                "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
            ];
            let m = MONTHS[(month as usize).saturating_sub(1) % 12];
            format!("{} {day} {m} {hm}", DAYS[weekday % 7])
        }
    }
}

/// The value of an `<input type="datetime-local">` for a moment: `"2026-12-05T10:00"`.
fn datetime_local(at: UtcMillis) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at as f64));
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date(),
        d.get_hours(),
        d.get_minutes()
    )
}

/// The moment an `<input type="datetime-local">` holds, on this device's clock.
fn from_datetime_local(text: &str) -> Option<UtcMillis> {
    if text.trim().is_empty() {
        return None;
    }
    let ms = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(text)).get_time();
    ms.is_finite().then_some(ms as UtcMillis)
}

/// A refusal of the manager's API, in words: the codes only managers meet, then the shared ones.
fn refusal(f: &Failure) -> String {
    use mulin_shared::ErrorCode as E;
    match f.code {
        Some(E::InvalidShow) => tr!("mgr.invalid_show"),
        Some(E::ShowClosed) => tr!("mgr.show_closed"),
        Some(E::InvalidStatusChange) => tr!("mgr.invalid_status_change"),
        Some(E::InvalidStaff) => tr!("mgr.invalid_staff"),
        Some(E::DuplicateName) => tr!("mgr.duplicate_name"),
        Some(E::LastManager) => tr!("mgr.last_manager"),
        Some(E::UnknownStaff) => tr!("mgr.unknown_staff"),
        Some(E::UnknownShow) => tr!("mgr.unknown_show"),
        Some(E::UnknownPickup) => tr!("mgr.unknown_pickup"),
        Some(
            code @ (E::InUse
            | E::InvalidProduct
            | E::InvalidPickup
            | E::InvalidPicture
            | E::PictureTooLarge),
        ) => crate::pages::catalogue::refusal(code),
        Some(E::InvalidToken | E::NotSignedIn) => tr!("mgr.no_token"),
        _ => f.words(),
    }
}
