//! One page per person: residents, hosts, moderators, managers, and staff invite links.

mod catalogue;
#[cfg(feature = "console")]
mod control_room;
mod counter;
/// The widget's build carries no control room: its figures (`Conn::pulse`) exist only in the
/// console's build, and the staff pages that show it are never drawn by the widget.
#[cfg(not(feature = "console"))]
mod control_room {
    /// Draws nothing.
    #[leptos::component]
    pub fn ControlRoom(conn: crate::socket::Conn) -> impl leptos::IntoView {
        let _ = conn;
    }
}
mod host;
mod invite;
pub mod manager;
mod moderator;
mod neighbours;
mod picking;
mod report;
mod resident;

pub use counter::CounterPage;
pub use host::HostPage;
pub use invite::InvitePage;
pub use manager::ManagerPage;
pub use moderator::ModeratorPage;
pub use neighbours::NeighboursPage;
pub use picking::PickingPage;
pub use report::ReportPage;
pub use resident::ResidentPage;

/// Asks the person at a staff screen to confirm a step that cannot be undone.
pub(crate) fn confirm(question: &str) -> bool {
    leptos::prelude::window()
        .confirm_with_message(question)
        .unwrap_or(false)
}
