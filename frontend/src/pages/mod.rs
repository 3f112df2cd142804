//! One page per person: residents, hosts, moderators, managers, and staff invite links.

mod catalogue;
mod host;
mod invite;
pub mod manager;
mod moderator;
mod report;
mod resident;

pub use host::HostPage;
pub use invite::InvitePage;
pub use manager::ManagerPage;
pub use moderator::ModeratorPage;
pub use report::ReportPage;
pub use resident::ResidentPage;

/// Asks the person at a staff screen to confirm a step that cannot be undone.
pub(crate) fn confirm(question: &str) -> bool {
    leptos::prelude::window()
        .confirm_with_message(question)
        .unwrap_or(false)
}
