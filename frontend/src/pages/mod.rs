//! One page per person: residents, hosts, moderators.

mod host;
mod moderator;
mod resident;

pub use host::HostPage;
pub use moderator::ModeratorPage;
pub use resident::ResidentPage;
