//! What a community runs week after week: its shows' schedule, its staff and the audit log of what
//! they changed. These travel over the manager's HTTP API (`/api/communities/…`); the checks here
//! are the ones the server applies, so the console can answer at once in the manager's language.

use serde::{Deserialize, Serialize};

use crate::domain::{PickupId, Role, ShowId, UtcMillis};
use crate::sign_in::clean_text;

/// Identifies a community.
pub type CommunityId = i64;
/// Identifies a staff person of a community.
pub type StaffId = i64;

/// Longest show title, in characters.
pub const MAX_TITLE_CHARS: usize = 40;
/// Longest stream address, in bytes.
pub const MAX_STREAM_URL: usize = 500;
/// Longest staff name, in characters.
pub const MAX_STAFF_NAME_CHARS: usize = 24;
/// How far ahead a show may be scheduled: a year.
pub const MAX_SCHEDULE_AHEAD_MS: i64 = 366 * 24 * 60 * 60 * 1000;
/// How long before now a start may be given and still count as "now" (a form filled in slowly).
pub const SCHEDULE_GRACE_MS: i64 = 10 * 60 * 1000;
/// How long an invite link works.
pub const INVITE_VALID_MS: i64 = 7 * 24 * 60 * 60 * 1000;

wire_enum! {
    /// Where a show is in its life.
    pub enum ShowStatus {
        /// Announced, not started yet.
        Scheduled = "scheduled",
        /// On air.
        Live = "live",
        /// Over.
        Ended = "ended",
        /// Called off before it started.
        Cancelled = "cancelled",
    }
}

impl ShowStatus {
    /// Whether deals and lucky bags may still be run in a show in this state.
    pub fn is_open(self) -> bool {
        matches!(self, ShowStatus::Scheduled | ShowStatus::Live)
    }
}

/// A community, e.g. 公园街道 · 小西湖社区.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Community {
    /// Its id.
    pub id: CommunityId,
    /// The street office (街道) it belongs to; may be empty.
    pub district: String,
    /// Its name.
    pub name: String,
}

impl Community {
    /// "公园街道·小西湖社区", or the name alone without a district.
    pub fn label(&self) -> String {
        if self.district.is_empty() {
            self.name.clone()
        } else {
            format!("{}·{}", self.district, self.name)
        }
    }
}

/// A show as the manager creates or edits it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShowDraft {
    /// What residents see above the widget (1–40 characters).
    pub title: String,
    /// When it is to start.
    pub starts_at: UtcMillis,
    /// Where the livestream plays (`https://…`); empty if the stream is elsewhere.
    #[serde(default)]
    pub stream_url: String,
}

/// Which field of a show is not acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ShowProblem {
    /// Empty, too long, or holding control characters.
    #[error("a title must be 1–{MAX_TITLE_CHARS} visible characters")]
    Title,
    /// Before now.
    #[error("the start is in the past; choose a time from now on")]
    StartInPast,
    /// More than a year ahead.
    #[error("the start is more than a year ahead")]
    StartTooFar,
    /// Not an `https://` or `http://` address.
    #[error(
        "a stream address must start with https:// or http:// (at most {MAX_STREAM_URL} bytes)"
    )]
    StreamUrl,
}

impl ShowDraft {
    /// The draft cleaned, if every field is acceptable at `now`.
    pub fn check(&self, now: UtcMillis) -> Result<ShowDraft, ShowProblem> {
        let title = clean_text(&self.title, MAX_TITLE_CHARS).ok_or(ShowProblem::Title)?;
        if self.starts_at < now - SCHEDULE_GRACE_MS {
            return Err(ShowProblem::StartInPast);
        }
        if self.starts_at > now + MAX_SCHEDULE_AHEAD_MS {
            return Err(ShowProblem::StartTooFar);
        }
        let stream_url = self.stream_url.trim();
        let web = stream_url.starts_with("https://") || stream_url.starts_with("http://");
        if !stream_url.is_empty()
            && (!web
                || stream_url.len() > MAX_STREAM_URL
                || stream_url
                    .chars()
                    .any(|c| c.is_control() || c.is_whitespace()))
        {
            return Err(ShowProblem::StreamUrl);
        }
        Ok(ShowDraft {
            title,
            starts_at: self.starts_at,
            stream_url: stream_url.to_owned(),
        })
    }
}

/// A show in the manager's list and on the community page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShowSummary {
    /// The show.
    pub id: ShowId,
    /// Its title.
    pub title: String,
    /// Where it is in its life.
    pub status: ShowStatus,
    /// When it is (or was) to start.
    pub starts_at: UtcMillis,
    /// When it went on air, once it has.
    pub started_at: Option<UtcMillis>,
    /// When it ended or was cancelled.
    pub ended_at: Option<UtcMillis>,
    /// Where the livestream plays; may be empty.
    pub stream_url: String,
}

/// A community's shows, latest start first, and its pickup points: the public answer of
/// `GET /api/communities/{c}/shows` (the community page and the consoles read it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommunityShows {
    /// The community.
    pub community: Community,
    /// Its shows.
    pub shows: Vec<ShowSummary>,
    /// Its pickup points.
    pub pickup_points: Vec<crate::domain::PickupPoint>,
}

/// A community's catalogue as its managers keep it: the answer of
/// `GET /api/communities/{c}/catalogue`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommunityCatalogue {
    /// Its products, oldest first.
    pub products: Vec<crate::domain::Product>,
    /// Its pickup points, oldest first.
    pub pickup_points: Vec<crate::domain::PickupPoint>,
}

/// Roles a community's staff can hold (residents are not staff).
pub const STAFF_ROLES: [Role; 5] = [
    Role::Manager,
    Role::Host,
    Role::Moderator,
    Role::GridWorker,
    Role::PickupClerk,
];

/// A person as the manager invites them or changes their roles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffDraft {
    /// Name as colleagues know them (1–24 characters), unique in the community.
    pub name: String,
    /// What they may do: one or more of [`STAFF_ROLES`].
    pub roles: Vec<Role>,
    /// The pickup points a pickup clerk serves (needed with that role, empty without it).
    #[serde(default)]
    pub pickups: Vec<PickupId>,
}

/// Which field of a staff person is not acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StaffProblem {
    /// Empty, too long, or holding control characters.
    #[error("a name must be 1–{MAX_STAFF_NAME_CHARS} visible characters")]
    Name,
    /// No role, or a role that is not a staff role.
    #[error("choose at least one role: manager, host, moderator, grid worker or pickup clerk")]
    Roles,
    /// A pickup clerk without pickup points, or pickup points without that role.
    #[error("a pickup clerk serves at least one pickup point, and only a pickup clerk serves any")]
    Pickups,
}

impl StaffDraft {
    /// The draft cleaned (roles in the order of [`STAFF_ROLES`], no repeats), if acceptable.
    pub fn check(&self) -> Result<StaffDraft, StaffProblem> {
        let name = clean_text(&self.name, MAX_STAFF_NAME_CHARS).ok_or(StaffProblem::Name)?;
        if self.roles.is_empty() || self.roles.iter().any(|r| !STAFF_ROLES.contains(r)) {
            return Err(StaffProblem::Roles);
        }
        let roles: Vec<Role> = STAFF_ROLES
            .into_iter()
            .filter(|r| self.roles.contains(r))
            .collect();
        let mut pickups = self.pickups.clone();
        pickups.sort_unstable();
        pickups.dedup();
        if roles.contains(&Role::PickupClerk) == pickups.is_empty() {
            return Err(StaffProblem::Pickups);
        }
        Ok(StaffDraft {
            name,
            roles,
            pickups,
        })
    }
}

/// A person of a community's staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffMember {
    /// Their id.
    pub id: StaffId,
    /// Their name.
    pub name: String,
    /// What they may do (empty once revoked).
    pub roles: Vec<Role>,
    /// The pickup points they serve as a pickup clerk.
    pub pickups: Vec<PickupId>,
    /// When they were invited.
    pub created_at: UtcMillis,
    /// When they were revoked, if they were.
    pub revoked_at: Option<UtcMillis>,
    /// Whether they have used an invite link (an unused one may still be waiting).
    pub joined: bool,
}

/// A one-time sign-in link for a staff person, shown once to the manager who made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invite {
    /// Who it signs in.
    pub staff: StaffMember,
    /// The link's path on this server, `/invite/{code}`.
    pub path: String,
    /// When it stops working if unused.
    pub expires_at: UtcMillis,
}

/// What accepting an invite gives: a session token for the staff console.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffSession {
    /// The token: keep it, and send it as `Authorization: Bearer …` or in `Resume`.
    pub token: String,
    /// Who it is.
    pub staff: StaffMember,
    /// Their community.
    pub community: Community,
}

wire_enum! {
    /// What an audit-log entry records.
    pub enum AuditAction {
        /// A show was created.
        ShowCreated = "show_created",
        /// A show's title, start or stream changed.
        ShowEdited = "show_edited",
        /// A show went on air.
        ShowStarted = "show_started",
        /// A show ended.
        ShowEnded = "show_ended",
        /// A show was called off before it started.
        ShowCancelled = "show_cancelled",
        /// A person was invited (or given a new link).
        StaffInvited = "staff_invited",
        /// A person's roles or pickup points changed.
        StaffChanged = "staff_changed",
        /// A person was revoked: their sessions ended.
        StaffRevoked = "staff_revoked",
        /// A deal was launched.
        DealLaunched = "deal_launched",
        /// Units were added to a deal.
        DealRestocked = "deal_restocked",
        /// A deal's closing time moved later.
        DealExtended = "deal_extended",
        /// A deal was ended before its time.
        DealEnded = "deal_ended",
        /// The deal residents see first changed.
        DealPinned = "deal_pinned",
        /// A product was added or changed.
        ProductSaved = "product_saved",
        /// A product was removed.
        ProductRemoved = "product_removed",
        /// A pickup point was added or changed.
        PickupSaved = "pickup_saved",
        /// A pickup point was removed.
        PickupRemoved = "pickup_removed",
        /// A lucky bag was opened.
        BagOpened = "bag_opened",
        /// A lucky bag was closed early and drawn.
        BagClosed = "bag_closed",
        /// Staff cancelled a resident's order.
        OrderCancelled = "order_cancelled",
        /// Staff changed an order's quantity or pickup point.
        OrderChanged = "order_changed",
        /// Staff registered a neighbour who had no account.
        ResidentRegistered = "resident_registered",
        /// A moderator had a resident's whole phone number shown (to call them).
        PhoneRevealed = "phone_revealed",
        /// Staff stopped a resident from ordering and entering lucky bags.
        ResidentMuted = "resident_muted",
        /// A resident's mute was lifted.
        MuteLifted = "mute_lifted",
        /// A pickup point marked a product's goods of a show received: its orders there are ready.
        GoodsReceived = "goods_received",
        /// An order was handed over at its pickup point (all of it, or some units).
        OrderHandedOver = "order_handed_over",
        /// A hand-over was undone (within the hour after it).
        HandOverUndone = "hand_over_undone",
        /// Orders were not collected within the pickup window.
        NotCollected = "not_collected",
        /// A show's picking-list cut-off was set or cleared.
        CutoffSet = "cutoff_set",
        /// A show's picking list froze at its cut-off.
        PickingFrozen = "picking_frozen",
        /// The community's pickup window changed.
        PickupDaysSet = "pickup_days_set",
    }
}

/// One line of a community's audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Its place in the log (grows).
    pub id: i64,
    /// When.
    pub at: UtcMillis,
    /// The show it concerns, if one.
    pub show: Option<ShowId>,
    /// Who, by id (none for show tokens from before staff accounts and for the command line).
    pub staff: Option<StaffId>,
    /// Who, by name at the time.
    pub actor: String,
    /// What.
    pub action: AuditAction,
    /// To what, e.g. "deal 12" or "staff 3 张敏".
    pub subject: String,
    /// What mattered before (JSON), if anything was there before.
    pub before: Option<String>,
    /// What it is after (JSON), if anything is left.
    pub after: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: UtcMillis = 1_800_000_000_000;

    #[test]
    fn show_drafts_are_checked() {
        let draft = |title: &str, starts_at, url: &str| ShowDraft {
            title: title.into(),
            starts_at,
            stream_url: url.into(),
        };
        let ok = draft(" 周日集市 ", NOW + 1000, " https://live.example/1 ")
            .check(NOW)
            .expect("fine");
        assert_eq!(ok.title, "周日集市");
        assert_eq!(ok.stream_url, "https://live.example/1");
        assert!(draft("t", NOW - SCHEDULE_GRACE_MS, "").check(NOW).is_ok());
        assert_eq!(
            draft("", NOW, "").check(NOW),
            Err(ShowProblem::Title),
            "empty title"
        );
        assert_eq!(
            draft("t", NOW - SCHEDULE_GRACE_MS - 1, "").check(NOW),
            Err(ShowProblem::StartInPast)
        );
        assert_eq!(
            draft("t", NOW + MAX_SCHEDULE_AHEAD_MS + 1, "").check(NOW),
            Err(ShowProblem::StartTooFar)
        );
        for bad in ["javascript:alert(1)", "ftp://x", "https://a b", "/live"] {
            assert_eq!(
                draft("t", NOW, bad).check(NOW),
                Err(ShowProblem::StreamUrl),
                "{bad}"
            );
        }
    }

    #[test]
    fn staff_drafts_are_checked() {
        let draft = |name: &str, roles: &[Role], pickups: &[PickupId]| StaffDraft {
            name: name.into(),
            roles: roles.to_vec(),
            pickups: pickups.to_vec(),
        };
        let ok = draft("张敏", &[Role::Host, Role::Manager, Role::Host], &[])
            .check()
            .expect("fine");
        assert_eq!(ok.roles, vec![Role::Manager, Role::Host]);
        let clerk = draft("李", &[Role::PickupClerk], &[3, 1, 3])
            .check()
            .unwrap();
        assert_eq!(clerk.pickups, vec![1, 3]);
        assert_eq!(
            draft(" ", &[Role::Host], &[]).check(),
            Err(StaffProblem::Name)
        );
        assert_eq!(draft("a", &[], &[]).check(), Err(StaffProblem::Roles));
        assert_eq!(
            draft("a", &[Role::Resident], &[]).check(),
            Err(StaffProblem::Roles)
        );
        assert_eq!(
            draft("a", &[Role::PickupClerk], &[]).check(),
            Err(StaffProblem::Pickups)
        );
        assert_eq!(
            draft("a", &[Role::Host], &[1]).check(),
            Err(StaffProblem::Pickups)
        );
    }
}
