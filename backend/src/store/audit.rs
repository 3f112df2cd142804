//! The audit log: who changed what, when, written in the same transaction as the change so a
//! change and its line are stored together or not at all. Triggers (migration 0014) refuse every
//! update and delete: the log only grows.

use mulin_shared::community::{AuditAction, AuditEntry};
use mulin_shared::{CommunityId, ShowId, StaffId, UtcMillis};
use sqlx::{Row, SqliteConnection};

use super::{Store, StoreError};

/// Who made a change: a staff person, a show token from before staff accounts, or the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The staff person, if it was one.
    pub staff: Option<StaffId>,
    /// Their name as shown in the log.
    pub name: String,
}

impl Actor {
    /// The server's operator at the command line.
    pub fn command_line() -> Actor {
        Actor {
            staff: None,
            name: "command line".into(),
        }
    }
}

/// One change for the log: what, to what, and what mattered before and after (JSON).
#[derive(Debug, Clone)]
pub struct Change {
    /// What.
    pub action: AuditAction,
    /// The show it concerns, if one.
    pub show: Option<ShowId>,
    /// To what, e.g. "deal 12".
    pub subject: String,
    /// What mattered before, if anything was there.
    pub before: Option<serde_json::Value>,
    /// What it is after, if anything is left.
    pub after: Option<serde_json::Value>,
}

impl Change {
    /// A change of `action` to `subject` in `show`, with nothing before or after yet.
    pub fn new(action: AuditAction, show: Option<ShowId>, subject: impl Into<String>) -> Change {
        Change {
            action,
            show,
            subject: subject.into(),
            before: None,
            after: None,
        }
    }

    /// With what mattered before.
    pub fn before(self, value: impl serde::Serialize) -> Change {
        Change {
            before: serde_json::to_value(value).ok(),
            ..self
        }
    }

    /// With what it is after.
    pub fn after(self, value: impl serde::Serialize) -> Change {
        Change {
            after: serde_json::to_value(value).ok(),
            ..self
        }
    }
}

/// Writes `change` by `by` at `now` into `community`'s log, in the caller's transaction.
pub(super) async fn record(
    tx: &mut SqliteConnection,
    community: CommunityId,
    by: &Actor,
    change: &Change,
    now: UtcMillis,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_log (community_id, show_id, at, staff_id, actor, action, subject, \
         before, after) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(community)
    .bind(change.show)
    .bind(now)
    .bind(by.staff)
    .bind(&by.name)
    .bind(change.action.as_str())
    .bind(&change.subject)
    .bind(change.before.as_ref().map(|v| v.to_string()))
    .bind(change.after.as_ref().map(|v| v.to_string()))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// [`record`] for a change in a show: the show's community's log.
pub(super) async fn record_in_show(
    tx: &mut SqliteConnection,
    show: ShowId,
    by: &Actor,
    change: &Change,
    now: UtcMillis,
) -> Result<(), StoreError> {
    let community: Option<CommunityId> =
        sqlx::query_scalar("SELECT community_id FROM shows WHERE id = ?")
            .bind(show)
            .fetch_optional(&mut *tx)
            .await?
            .flatten();
    let community = community.ok_or_else(|| StoreError::Corrupt(format!("show {show}")))?;
    let change = Change {
        show: Some(show),
        ..change.clone()
    };
    record(tx, community, by, &change, now).await
}

/// Which lines of the log to read.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditFilter {
    /// Only lines about this show.
    pub show: Option<ShowId>,
    /// Only changes by this person.
    pub staff: Option<StaffId>,
    /// Only this kind of change.
    pub action: Option<AuditAction>,
    /// Only lines before this one (for the next page).
    pub before: Option<i64>,
    /// At most this many lines (1–500, 100 if not given).
    pub limit: Option<i64>,
}

impl Store {
    /// The newest lines of `community`'s log that pass `filter`, newest first.
    pub async fn audit_log(
        &self,
        community: CommunityId,
        filter: &AuditFilter,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, at, show_id, staff_id, actor, action, subject, before, after \
             FROM audit_log WHERE community_id = ?1 \
             AND (?2 IS NULL OR show_id = ?2) AND (?3 IS NULL OR staff_id = ?3) \
             AND (?4 IS NULL OR action = ?4) AND (?5 IS NULL OR id < ?5) \
             ORDER BY id DESC LIMIT ?6",
        )
        .bind(community)
        .bind(filter.show)
        .bind(filter.staff)
        .bind(filter.action.map(|a| a.as_str()))
        .bind(filter.before)
        .bind(filter.limit.unwrap_or(100).clamp(1, 500))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let action: String = r.get(5);
                let action = AuditAction::ALL
                    .iter()
                    .copied()
                    .find(|a| a.as_str() == action)
                    .ok_or_else(|| StoreError::Corrupt(format!("audit action {action:?}")))?;
                Ok(AuditEntry {
                    id: r.get(0),
                    at: r.get(1),
                    show: r.get(2),
                    staff: r.get(3),
                    actor: r.get(4),
                    action,
                    subject: r.get(6),
                    before: r.get(7),
                    after: r.get(8),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_log_only_grows() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("t.db")).await.expect("store");
        let show = store
            .create_show("集市", "街道·社区", 1)
            .await
            .expect("show");
        let by = Actor {
            staff: None,
            name: "周主任".into(),
        };
        store
            .write(1, async |tx| {
                let change = Change::new(AuditAction::ShowEdited, None, "show 1").after("x");
                record_in_show(tx, show, &by, &change, 5).await
            })
            .await
            .expect("logged");
        let community = store
            .community_of(show)
            .await
            .expect("read")
            .expect("one")
            .id;
        let lines = store
            .audit_log(community, &AuditFilter::default())
            .await
            .expect("read");
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].show, Some(show));
        assert_eq!(lines[0].after.as_deref(), Some("\"x\""));
        for sql in [
            "UPDATE audit_log SET actor = 'someone else'",
            "DELETE FROM audit_log",
        ] {
            let refused = store
                .write(1, async |tx| {
                    sqlx::query(sql).execute(&mut *tx).await?;
                    Ok(())
                })
                .await;
            assert!(
                refused
                    .as_ref()
                    .is_err_and(|e| e.to_string().contains("append-only")),
                "{sql}: {refused:?}"
            );
        }
        assert_eq!(
            store
                .audit_log(community, &AuditFilter::default())
                .await
                .expect("read"),
            lines
        );
        // Filters: another action finds nothing.
        let filter = AuditFilter {
            action: Some(AuditAction::DealEnded),
            ..AuditFilter::default()
        };
        assert!(
            store
                .audit_log(community, &filter)
                .await
                .expect("read")
                .is_empty()
        );
    }
}
