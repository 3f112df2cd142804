//! Residents stopped from ordering and entering lucky bags in a community (muted), for a time or
//! until lifted. Each mute and each lifting is written with its audit-log line in one transaction.

use mulin_shared::community::AuditAction;
use mulin_shared::control::{Mute, MuteDraft};
use mulin_shared::{CommunityId, UtcMillis};
use sqlx::Row;

use super::audit::{self, Actor, Change};
use super::{Store, StoreError};

/// The columns of a [`Mute`], from `mutes m JOIN residents r`.
const MUTE_COLUMNS: &str =
    "m.id, m.resident_id, r.nickname, m.reason, m.until, m.by_name, m.created_at";

fn mute_from_row(r: &sqlx::sqlite::SqliteRow) -> Mute {
    Mute {
        id: r.get(0),
        resident: r.get(1),
        nickname: r.get(2),
        reason: r.get(3),
        until: r.get(4),
        by: r.get(5),
        created_at: r.get(6),
    }
}

impl Store {
    /// Mutes a resident of `community` (one who belongs to it or has ordered in it) as `draft`
    /// says (checked already); `None` if there is no such resident there.
    pub async fn mute(
        &self,
        community: CommunityId,
        draft: &MuteDraft,
        by: &Actor,
        now: UtcMillis,
    ) -> Result<Option<Mute>, StoreError> {
        self.write(2, async |tx| {
            let known: Option<String> = sqlx::query_scalar(
                "SELECT r.nickname FROM residents r WHERE r.id = ?1 AND (r.community_id = ?2 \
                 OR EXISTS (SELECT 1 FROM orders o JOIN deals d ON d.id = o.deal_id \
                 JOIN shows s ON s.id = d.show_id WHERE o.resident_id = r.id AND s.community_id = ?2))",
            )
            .bind(draft.resident)
            .bind(community)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(nickname) = known else {
                return Ok(None);
            };
            let until = draft.minutes.map(|m| now + m * 60_000);
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO mutes (community_id, resident_id, reason, until, staff_id, by_name, \
                 created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(community)
            .bind(draft.resident)
            .bind(&draft.reason)
            .bind(until)
            .bind(by.staff)
            .bind(&by.name)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            let mute = Mute {
                id,
                resident: draft.resident,
                nickname: nickname.clone(),
                reason: draft.reason.clone(),
                until,
                by: by.name.clone(),
                created_at: now,
            };
            let change = Change::new(
                AuditAction::ResidentMuted,
                None,
                format!("resident {} {nickname}", draft.resident),
            )
            .after(serde_json::json!({ "reason": mute.reason, "ends_at": until }));
            audit::record(tx, community, by, &change, now).await?;
            Ok(Some(mute))
        })
        .await
    }

    /// Lifts mute `id` of `community`; `None` if there is no such mute in force there.
    pub async fn lift_mute(
        &self,
        community: CommunityId,
        id: i64,
        by: &Actor,
        now: UtcMillis,
    ) -> Result<Option<Mute>, StoreError> {
        self.write(2, async |tx| {
            let row = sqlx::query(&format!(
                "SELECT {MUTE_COLUMNS} FROM mutes m JOIN residents r ON r.id = m.resident_id \
                 WHERE m.id = ? AND m.community_id = ? AND m.lifted_at IS NULL \
                 AND (m.until IS NULL OR m.until > ?)"
            ))
            .bind(id)
            .bind(community)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(mute) = row.as_ref().map(mute_from_row) else {
                return Ok(None);
            };
            sqlx::query("UPDATE mutes SET lifted_at = ?, lifted_by = ? WHERE id = ?")
                .bind(now)
                .bind(&by.name)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let change = Change::new(
                AuditAction::MuteLifted,
                None,
                format!("resident {} {}", mute.resident, mute.nickname),
            )
            .before(serde_json::json!({ "reason": mute.reason, "ends_at": mute.until }));
            audit::record(tx, community, by, &change, now).await?;
            Ok(Some(mute))
        })
        .await
    }

    /// The mutes in force in `community` at `now`, newest first.
    pub async fn mutes_in_force(
        &self,
        community: CommunityId,
        now: UtcMillis,
    ) -> Result<Vec<Mute>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {MUTE_COLUMNS} FROM mutes m JOIN residents r ON r.id = m.resident_id \
             WHERE m.community_id = ? AND m.lifted_at IS NULL AND (m.until IS NULL OR m.until > ?) \
             ORDER BY m.id DESC"
        ))
        .bind(community)
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(mute_from_row).collect())
    }
}
