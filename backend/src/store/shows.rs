//! Shows: one livestream of a community, scheduled → live → ended (or cancelled before it
//! starts), and the answers to host requests kept so a retried request is done once.

use mulin_shared::community::{AuditAction, ShowDraft, ShowSummary};
use mulin_shared::{CommunityId, Show, ShowId, ShowStatus, UtcMillis};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::audit::{self, Actor, Change};
use super::{Store, StoreError};

/// Why a show could not be changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShowChangeProblem {
    /// No such show in the community.
    Unknown,
    /// It has ended or was cancelled.
    Closed,
    /// It cannot go to the asked status from the one it has.
    CannotGo {
        /// Where it is.
        from: ShowStatus,
    },
    /// A live show's start is history: it cannot move.
    StartedAlready,
}

const SHOW_COLUMNS: &str = "s.id, s.title, s.status, s.starts_at, s.started_at, s.ended_at, \
    s.stream_url, s.community";

fn status_of(text: &str) -> ShowStatus {
    ShowStatus::ALL
        .iter()
        .copied()
        .find(|s| s.as_str() == text)
        .unwrap_or(ShowStatus::Live)
}

fn summary_from_row(r: &SqliteRow) -> ShowSummary {
    let status: String = r.get(2);
    let starts_at: Option<UtcMillis> = r.get(3);
    ShowSummary {
        id: r.get(0),
        title: r.get(1),
        status: status_of(&status),
        starts_at: starts_at.unwrap_or_default(),
        started_at: r.get(4),
        ended_at: r.get(5),
        stream_url: r.get(6),
    }
}

/// The show `id`, read on `conn` (in the caller's transaction, if it is one).
pub(super) async fn show_in_conn(
    conn: &mut sqlx::SqliteConnection,
    id: ShowId,
) -> Result<Option<Show>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {SHOW_COLUMNS} FROM shows s WHERE s.id = ?"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| {
        let s = summary_from_row(&r);
        Show {
            id: s.id,
            title: s.title,
            community: r.get(7),
            status: s.status,
            starts_at: s.starts_at,
            stream_url: s.stream_url,
        }
    }))
}

/// The show `id` as the manager's list shows it, if it is `community`'s, read on `conn`.
async fn summary_in(
    conn: &mut sqlx::SqliteConnection,
    community: CommunityId,
    id: ShowId,
) -> Result<Option<ShowSummary>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {SHOW_COLUMNS} FROM shows s WHERE s.id = ? AND s.community_id = ?"
    ))
    .bind(id)
    .bind(community)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.as_ref().map(summary_from_row))
}

impl Store {
    /// The show, if it exists.
    pub async fn show(&self, id: ShowId) -> Result<Option<Show>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        show_in_conn(&mut conn, id).await
    }

    /// The most viewers the show had at once, as kept so far.
    pub async fn peak_viewers(&self, show: ShowId) -> Result<u64, StoreError> {
        let peak: Option<i64> = sqlx::query_scalar("SELECT peak_viewers FROM shows WHERE id = ?")
            .bind(show)
            .fetch_optional(&self.pool)
            .await?;
        Ok(peak.unwrap_or(0).max(0) as u64)
    }

    /// Remembers that `show` had `viewers` watching at once, if that is more than it had before.
    pub async fn raise_peak_viewers(&self, show: ShowId, viewers: i64) -> Result<(), StoreError> {
        self.write(1, async |tx| {
            sqlx::query("UPDATE shows SET peak_viewers = ? WHERE id = ? AND peak_viewers < ?")
                .bind(viewers)
                .bind(show)
                .bind(viewers)
                .execute(&mut *tx)
                .await?;
            Ok(())
        })
        .await
    }

    /// The show as the manager's list shows it, if it is `community`'s.
    pub async fn show_summary(
        &self,
        community: CommunityId,
        id: ShowId,
    ) -> Result<Option<ShowSummary>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        summary_in(&mut conn, community, id).await
    }

    /// Every show of `community`, the latest start first.
    pub async fn shows_of(&self, community: CommunityId) -> Result<Vec<ShowSummary>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {SHOW_COLUMNS} FROM shows s WHERE s.community_id = ? \
             ORDER BY s.starts_at DESC, s.id DESC"
        ))
        .bind(community)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(summary_from_row).collect())
    }

    /// Creates an empty show, on air now, for the community a label names (made if new); returns
    /// its id. For the command line and tests; managers schedule shows ([`Store::schedule_show`]).
    pub async fn create_show(
        &self,
        title: &str,
        community: &str,
        now: UtcMillis,
    ) -> Result<ShowId, StoreError> {
        self.write(1, async |tx| {
            let community_id = super::communities::community_for_label(tx, community, now).await?;
            let show = sqlx::query_scalar(
                "INSERT INTO shows (title, community, community_id, created_at, status, starts_at, \
                 started_at) VALUES (?, ?, ?, ?, 'live', ?, ?) RETURNING id",
            )
            .bind(title)
            .bind(community)
            .bind(community_id)
            .bind(now)
            .bind(now)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            Ok(show)
        })
        .await
    }

    /// Schedules a show of `community` from a checked draft; logged as `by`'s.
    pub async fn schedule_show(
        &self,
        community: CommunityId,
        draft: &ShowDraft,
        by: &Actor,
        now: UtcMillis,
    ) -> Result<ShowSummary, StoreError> {
        self.write(2, async |tx| {
            let label: String = sqlx::query_scalar(
                "SELECT CASE WHEN district = '' THEN name ELSE district || '·' || name END \
                 FROM communities WHERE id = ?",
            )
            .bind(community)
            .fetch_one(&mut *tx)
            .await?;
            let id: ShowId = sqlx::query_scalar(
                "INSERT INTO shows (title, community, community_id, created_at, status, starts_at, \
                 stream_url) VALUES (?, ?, ?, ?, 'scheduled', ?, ?) RETURNING id",
            )
            .bind(&draft.title)
            .bind(&label)
            .bind(community)
            .bind(now)
            .bind(draft.starts_at)
            .bind(&draft.stream_url)
            .fetch_one(&mut *tx)
            .await?;
            let change =
                Change::new(AuditAction::ShowCreated, Some(id), format!("show {id}")).after(draft);
            audit::record(tx, community, by, &change, now).await?;
            Ok(ShowSummary {
                id,
                title: draft.title.clone(),
                status: ShowStatus::Scheduled,
                starts_at: draft.starts_at,
                started_at: None,
                ended_at: None,
                stream_url: draft.stream_url.clone(),
            })
        })
        .await
    }

    /// Changes a show's title, start and stream (a live show's start stays); logged as `by`'s.
    pub async fn edit_show(
        &self,
        community: CommunityId,
        id: ShowId,
        draft: &ShowDraft,
        by: &Actor,
        now: UtcMillis,
    ) -> Result<Result<ShowSummary, ShowChangeProblem>, StoreError> {
        self.write(2, async |tx| {
            let Some(before) = summary_in(tx, community, id).await? else {
                return Ok(Err(ShowChangeProblem::Unknown));
            };
            if !before.status.is_open() {
                return Ok(Err(ShowChangeProblem::Closed));
            }
            if before.status == ShowStatus::Live && draft.starts_at != before.starts_at {
                return Ok(Err(ShowChangeProblem::StartedAlready));
            }
            sqlx::query(
                "UPDATE shows SET title = ?, starts_at = ?, stream_url = ?, \
                 catalogue_version = catalogue_version + 1 WHERE id = ?",
            )
            .bind(&draft.title)
            .bind(draft.starts_at)
            .bind(&draft.stream_url)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            let after = ShowSummary {
                title: draft.title.clone(),
                starts_at: draft.starts_at,
                stream_url: draft.stream_url.clone(),
                ..before.clone()
            };
            let change = Change::new(AuditAction::ShowEdited, Some(id), format!("show {id}"))
                .before(ShowDraft {
                    title: before.title,
                    starts_at: before.starts_at,
                    stream_url: before.stream_url,
                })
                .after(draft);
            audit::record(tx, community, by, &change, now).await?;
            Ok(Ok(after))
        })
        .await
    }

    /// Moves a show to `to`: a scheduled show starts (live) or is cancelled, a live one ends.
    /// Logged as `by`'s.
    pub async fn set_show_status(
        &self,
        community: CommunityId,
        id: ShowId,
        to: ShowStatus,
        by: &Actor,
        now: UtcMillis,
    ) -> Result<Result<ShowSummary, ShowChangeProblem>, StoreError> {
        self.write(2, async |tx| {
            let Some(before) = summary_in(tx, community, id).await? else {
                return Ok(Err(ShowChangeProblem::Unknown));
            };
            let (action, column) = match (before.status, to) {
                (ShowStatus::Scheduled, ShowStatus::Live) => {
                    (AuditAction::ShowStarted, "started_at")
                }
                (ShowStatus::Scheduled, ShowStatus::Cancelled) => {
                    (AuditAction::ShowCancelled, "ended_at")
                }
                (ShowStatus::Live, ShowStatus::Ended) => (AuditAction::ShowEnded, "ended_at"),
                (from, _) => return Ok(Err(ShowChangeProblem::CannotGo { from })),
            };
            sqlx::query(&format!(
                "UPDATE shows SET status = ?, {column} = ?, \
                 catalogue_version = catalogue_version + 1 WHERE id = ?"
            ))
            .bind(to.as_str())
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            let mut after = before.clone();
            after.status = to;
            if to == ShowStatus::Live {
                after.started_at = Some(now);
            } else {
                after.ended_at = Some(now);
            }
            let change = Change::new(action, Some(id), format!("show {id}"))
                .before(before.status)
                .after(to);
            audit::record(tx, community, by, &change, now).await?;
            Ok(Ok(after))
        })
        .await
    }
}

impl Store {
    /// The answer given to the host request `key` of `show`, if it was done.
    pub async fn host_answer(&self, show: ShowId, key: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT answer FROM host_requests WHERE show_id = ? AND key = ?")
                .bind(show)
                .bind(key)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Keeps the answer to the host request `key` of `show`; forgets those older than a day.
    pub async fn remember_host_answer(
        &self,
        show: ShowId,
        key: &str,
        answer: &str,
        now: UtcMillis,
    ) -> Result<(), StoreError> {
        self.write(1, async |tx| {
            sqlx::query(
                "INSERT INTO host_requests (show_id, key, answer, created_at) VALUES (?, ?, ?, ?) \
                 ON CONFLICT (show_id, key) DO NOTHING",
            )
            .bind(show)
            .bind(key)
            .bind(answer)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM host_requests WHERE created_at < ?")
                .bind(now - 24 * 60 * 60 * 1000)
                .execute(&mut *tx)
                .await?;
            Ok(())
        })
        .await
    }
}
