//! What a show's control room is rebuilt from when its room loads: every order that counts, and
//! when its lucky bags opened and were drawn. From then on the room keeps the figures itself.

use mulin_shared::{BagId, DealId, PickupId, ResidentId, ShowId, UtcMillis};
use sqlx::Row;

use super::{Store, StoreError};

/// An order as the control room counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TalliedOrder {
    /// Its deal.
    pub deal: DealId,
    /// Whose it is.
    pub resident: ResidentId,
    /// Units.
    pub qty: i64,
    /// Price of one unit, in fen.
    pub unit_price: i64,
    /// Where it is collected.
    pub pickup: PickupId,
    /// When it was accepted.
    pub created_at: UtcMillis,
}

/// When a lucky bag opened and, if it was, when it was drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BagTimes {
    /// The bag.
    pub bag: BagId,
    /// Opened at.
    pub opened_at: UtcMillis,
    /// Drawn at.
    pub drawn_at: Option<UtcMillis>,
}

impl Store {
    /// The show's orders that are not cancelled, oldest first.
    pub async fn tallied_orders(&self, show: ShowId) -> Result<Vec<TalliedOrder>, StoreError> {
        let rows = sqlx::query(
            "SELECT o.deal_id, o.resident_id, o.qty, o.unit_price, o.pickup_id, o.created_at \
             FROM orders o JOIN deals d ON d.id = o.deal_id \
             WHERE d.show_id = ? AND o.status != 'cancelled' ORDER BY o.id",
        )
        .bind(show)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| TalliedOrder {
                deal: r.get(0),
                resident: r.get(1),
                qty: r.get(2),
                unit_price: r.get(3),
                pickup: r.get(4),
                created_at: r.get(5),
            })
            .collect())
    }

    /// When each of the show's lucky bags opened and was drawn, oldest first.
    pub async fn bag_times(&self, show: ShowId) -> Result<Vec<BagTimes>, StoreError> {
        let rows =
            sqlx::query("SELECT id, opened_at, drawn_at FROM bags WHERE show_id = ? ORDER BY id")
                .bind(show)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .iter()
            .map(|r| BagTimes {
                bag: r.get(0),
                opened_at: r.get(1),
                drawn_at: r.get(2),
            })
            .collect())
    }
}
