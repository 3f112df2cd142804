//! Neighbours staff order for (代客下单): finding a resident of the community by their whole phone
//! number (never a list of numbers), registering one who has no account, and the orders a member of
//! staff placed, for their list of the day and the slips they print.

use mulin_shared::community::AuditAction;
use mulin_shared::control::{Held, Neighbour, NeighbourDraft, PlacedOrder, mask_phone};
use mulin_shared::{CommunityId, ResidentId, ShowId, StaffId, UtcMillis};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::orders::{ORDER_COLUMNS, ORDER_FIELDS, ORDER_TABLES, order_from_row};
use super::{Actor, Change, Store, StoreError, audit};

/// Whether resident `r` belongs to community `?2`: they signed up there, or have ordered in one
/// of its shows.
const OF_COMMUNITY: &str = "(r.community_id = ?2 OR EXISTS (SELECT 1 FROM orders o \
     JOIN deals d ON d.id = o.deal_id JOIN shows s ON s.id = d.show_id \
     WHERE o.resident_id = r.id AND s.community_id = ?2))";

/// What came of registering a neighbour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registered {
    /// A new resident.
    New(Neighbour),
    /// The number already has a resident in this community: them (asking twice registers once).
    Existing(Neighbour),
    /// The number belongs to a resident of another community.
    Elsewhere,
}

fn neighbour_from_row(r: &SqliteRow) -> Neighbour {
    Neighbour {
        resident: r.get(0),
        nickname: r.get(1),
        phone: r.get(2),
        building: r.get(3),
    }
}

impl Store {
    /// The resident of `community` with exactly this phone number, if any.
    pub async fn neighbour(
        &self,
        community: CommunityId,
        phone: &str,
    ) -> Result<Option<Neighbour>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT r.id, r.nickname, r.phone, r.building FROM residents r \
             WHERE r.phone = ?1 AND r.phone != '' AND r.merged_into IS NULL AND {OF_COMMUNITY}"
        ))
        .bind(phone)
        .bind(community)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(neighbour_from_row))
    }

    /// Resident `id`, if they belong to `community`.
    pub async fn neighbour_by_id(
        &self,
        community: CommunityId,
        id: ResidentId,
    ) -> Result<Option<Neighbour>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT r.id, r.nickname, r.phone, r.building FROM residents r \
             WHERE r.id = ?1 AND r.merged_into IS NULL AND {OF_COMMUNITY}"
        ))
        .bind(id)
        .bind(community)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(neighbour_from_row))
    }

    /// What `resident` holds of each deal of `show` (units counted against its per-resident
    /// limit), for the grid worker to see before ordering more.
    pub async fn held_in_show(
        &self,
        show: ShowId,
        resident: ResidentId,
    ) -> Result<Vec<Held>, StoreError> {
        let rows = sqlx::query(
            "SELECT h.deal_id, h.units FROM holdings h JOIN deals d ON d.id = h.deal_id \
             WHERE d.show_id = ? AND h.resident_id = ? AND h.units > 0 ORDER BY h.deal_id",
        )
        .bind(show)
        .bind(resident)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| Held {
                deal: r.get(0),
                units: r.get(1),
            })
            .collect())
    }

    /// Registers a neighbour (a checked draft) in `community`, logged as `by`'s, unless the number
    /// has a resident already.
    pub async fn register_neighbour(
        &self,
        community: CommunityId,
        draft: &NeighbourDraft,
        by: &Actor,
        now: UtcMillis,
    ) -> Result<Registered, StoreError> {
        self.write(2, async |tx| {
            let known = sqlx::query(&format!(
                "SELECT r.id, r.nickname, r.phone, r.building, {OF_COMMUNITY} FROM residents r \
                 WHERE r.phone = ?1 AND r.merged_into IS NULL"
            ))
            .bind(&draft.phone)
            .bind(community)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(row) = known {
                let here: bool = row.get(4);
                return Ok(if here {
                    Registered::Existing(neighbour_from_row(&row))
                } else {
                    Registered::Elsewhere
                });
            }
            let id: ResidentId = sqlx::query_scalar(
                "INSERT INTO residents (nickname, phone, community, community_id, building, created_at) \
                 VALUES (?, ?, (SELECT name FROM communities WHERE id = ?), ?, ?, ?) RETURNING id",
            )
            .bind(&draft.nickname)
            .bind(&draft.phone)
            .bind(community)
            .bind(community)
            .bind(&draft.building)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            let change = Change::new(
                AuditAction::ResidentRegistered,
                None,
                format!("resident {id} {}", draft.nickname),
            )
            .after(serde_json::json!({
                "phone": mask_phone(&draft.phone),
                "building": draft.building,
            }));
            audit::record(tx, community, by, &change, now).await?;
            Ok(Registered::New(Neighbour {
                resident: id,
                nickname: draft.nickname.clone(),
                phone: draft.phone.clone(),
                building: draft.building.clone(),
            }))
        })
        .await
    }

    /// The whole phone number of the buyer of `order` (of `show`), logged as `by`'s: `None` if
    /// there is no such order in the show. The number is empty if they never gave one.
    pub async fn reveal_phone(
        &self,
        show: mulin_shared::ShowId,
        order: mulin_shared::OrderId,
        by: &Actor,
        now: UtcMillis,
    ) -> Result<Option<String>, StoreError> {
        self.write(1, async |tx| {
            let row = sqlx::query(
                "SELECT r.id, r.nickname, r.phone FROM orders o JOIN deals d ON d.id = o.deal_id \
                 JOIN residents r ON r.id = o.resident_id WHERE o.id = ? AND d.show_id = ?",
            )
            .bind(order)
            .bind(show)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(row) = row else { return Ok(None) };
            let (resident, nickname, phone): (ResidentId, String, String) =
                (row.get(0), row.get(1), row.get(2));
            let change = Change::new(
                AuditAction::PhoneRevealed,
                None,
                format!("resident {resident} {nickname}"),
            )
            .after(serde_json::json!({ "order": order }));
            audit::record_in_show(tx, show, by, &change, now).await?;
            Ok(Some(phone))
        })
        .await
    }

    /// The orders `staff` placed for neighbours in `community` since `since`, newest first (at
    /// most 200: a grid worker's busy day).
    pub async fn placed_orders(
        &self,
        community: CommunityId,
        staff: StaffId,
        since: UtcMillis,
    ) -> Result<Vec<PlacedOrder>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ORDER_COLUMNS}, r.building FROM {ORDER_TABLES} JOIN shows s ON s.id = d.show_id \
             WHERE o.placed_by = ? AND s.community_id = ? AND o.created_at >= ? \
             ORDER BY o.id DESC LIMIT 200"
        ))
        .bind(staff)
        .bind(community)
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| PlacedOrder {
                order: order_from_row(r),
                building: r.get(ORDER_FIELDS),
            })
            .collect())
    }
}
