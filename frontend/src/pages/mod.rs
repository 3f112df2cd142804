//! One page per person: residents, hosts, moderators, managers, and staff invite links.

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
