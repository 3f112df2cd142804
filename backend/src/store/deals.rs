//! Deals as stored: launched, restocked, extended, ended and pinned. Every change a person makes is
//! written with its audit-log line in one transaction.

use mulin_shared::community::AuditAction;
use mulin_shared::{Deal, DealId, DealStatus, ProductId, ShowId, UtcMillis};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::audit::{self, Actor, Change};
use super::{Store, StoreError};

/// A new deal, before it has an id.
#[derive(Debug, Clone)]
pub struct NewDeal {
    /// The show.
    pub show: ShowId,
    /// The product.
    pub product: ProductId,
    /// Deal price in fen.
    pub price: i64,
    /// Units on sale.
    pub stock: i64,
    /// Most units per resident.
    pub per_resident_limit: i64,
    /// Opening time.
    pub starts_at: UtcMillis,
    /// Closing time.
    pub ends_at: UtcMillis,
}

impl Store {
    /// Every deal of the show, newest first.
    pub async fn deals(&self, show: ShowId) -> Result<Vec<Deal>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, show_id, product_id, price, stock, sold, per_resident_limit, starts_at, \
             ends_at, status FROM deals WHERE show_id = ? ORDER BY id DESC",
        )
        .bind(show)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(deal_from_row).collect())
    }

    /// Stores a new live deal and returns it; logged as `by`'s, if someone's.
    pub async fn insert_deal(&self, new: &NewDeal, by: Option<&Actor>) -> Result<Deal, StoreError> {
        self.write(2, async |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO deals (show_id, product_id, price, stock, per_resident_limit, starts_at, \
                 ends_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(new.show)
            .bind(new.product)
            .bind(new.price)
            .bind(new.stock)
            .bind(new.per_resident_limit)
            .bind(new.starts_at)
            .bind(new.ends_at)
            .fetch_one(&mut *tx)
            .await?;
            let deal = Deal {
                id,
                show: new.show,
                product: new.product,
                price: new.price,
                stock: new.stock,
                sold: 0,
                per_resident_limit: new.per_resident_limit,
                starts_at: new.starts_at,
                ends_at: new.ends_at,
                status: DealStatus::Live,
            };
            if let Some(by) = by {
                let change = Change::new(AuditAction::DealLaunched, None, format!("deal {id}"))
                    .after(&deal);
                audit::record_in_show(tx, new.show, by, &change, new.starts_at.min(crate::now_ms()))
                    .await?;
            }
            Ok(deal)
        })
        .await
    }

    /// Marks a deal ended at `now` (its end time moves to `now` if it was later); logged as `by`'s.
    pub async fn end_deal(
        &self,
        deal: DealId,
        now: UtcMillis,
        by: &Actor,
    ) -> Result<(), StoreError> {
        self.write(2, async |tx| {
            sqlx::query(
                "UPDATE deals SET status = 'ended', ends_at = MIN(ends_at, ?) WHERE id = ?",
            )
            .bind(now)
            .bind(deal)
            .execute(&mut *tx)
            .await?;
            let change = Change::new(AuditAction::DealEnded, None, format!("deal {deal}"));
            let show = show_of(tx, deal).await?;
            audit::record_in_show(tx, show, by, &change, now).await?;
            Ok(())
        })
        .await
    }

    /// Moves a live deal's closing time from `before`; whether the deal was live. Logged as `by`'s.
    pub async fn extend_deal(
        &self,
        deal: DealId,
        before: UtcMillis,
        ends_at: UtcMillis,
        by: &Actor,
    ) -> Result<bool, StoreError> {
        self.write(2, async |tx| {
            let done = sqlx::query("UPDATE deals SET ends_at = ? WHERE id = ? AND status = 'live'")
                .bind(ends_at)
                .bind(deal)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 1 {
                let change = Change::new(AuditAction::DealExtended, None, format!("deal {deal}"))
                    .before(serde_json::json!({ "ends_at": before }))
                    .after(serde_json::json!({ "ends_at": ends_at }));
                let show = show_of(tx, deal).await?;
                audit::record_in_show(tx, show, by, &change, crate::now_ms()).await?;
            }
            Ok(done.rows_affected() == 1)
        })
        .await
    }

    /// The deal the host pinned: `None` if never chosen, `Some(None)` if the host chose none.
    pub async fn pinned_deal(&self, show: ShowId) -> Result<Option<Option<DealId>>, StoreError> {
        let pinned: Option<i64> = sqlx::query_scalar("SELECT pinned_deal FROM shows WHERE id = ?")
            .bind(show)
            .fetch_optional(&self.pool)
            .await?
            .flatten();
        Ok(pinned.map(|id| (id != 0).then_some(id)))
    }

    /// Remembers the deal the host pinned (or that they chose none); logged as `by`'s, if
    /// someone chose it (a scheduled deal pins itself when it opens).
    pub async fn set_pinned_deal(
        &self,
        show: ShowId,
        deal: Option<DealId>,
        by: Option<&Actor>,
    ) -> Result<(), StoreError> {
        self.write(2, async |tx| {
            sqlx::query("UPDATE shows SET pinned_deal = ? WHERE id = ?")
                .bind(deal.unwrap_or(0))
                .bind(show)
                .execute(&mut *tx)
                .await?;
            if let Some(by) = by {
                let subject = deal.map_or("no deal".to_owned(), |d| format!("deal {d}"));
                let change = Change::new(AuditAction::DealPinned, None, subject);
                audit::record_in_show(tx, show, by, &change, crate::now_ms()).await?;
            }
            Ok(())
        })
        .await
    }

    /// Adds units to a live deal's stock; whether the deal was live. Logged as `by`'s.
    pub async fn restock(&self, deal: DealId, units: i64, by: &Actor) -> Result<bool, StoreError> {
        self.write(2, async |tx| {
            let done =
                sqlx::query("UPDATE deals SET stock = stock + ? WHERE id = ? AND status = 'live'")
                    .bind(units)
                    .bind(deal)
                    .execute(&mut *tx)
                    .await?;
            if done.rows_affected() == 1 {
                let change = Change::new(AuditAction::DealRestocked, None, format!("deal {deal}"))
                    .after(serde_json::json!({ "units_added": units }));
                let show = show_of(tx, deal).await?;
                audit::record_in_show(tx, show, by, &change, crate::now_ms()).await?;
            }
            Ok(done.rows_affected() == 1)
        })
        .await
    }
}

fn deal_from_row(r: &SqliteRow) -> Deal {
    let status: String = r.get(9);
    Deal {
        id: r.get(0),
        show: r.get(1),
        product: r.get(2),
        price: r.get(3),
        stock: r.get(4),
        sold: r.get(5),
        per_resident_limit: r.get(6),
        starts_at: r.get(7),
        ends_at: r.get(8),
        status: if status == "live" {
            DealStatus::Live
        } else {
            DealStatus::Ended
        },
    }
}

/// The show a deal belongs to.
async fn show_of(tx: &mut sqlx::SqliteConnection, deal: DealId) -> Result<ShowId, StoreError> {
    Ok(sqlx::query_scalar("SELECT show_id FROM deals WHERE id = ?")
        .bind(deal)
        .fetch_one(&mut *tx)
        .await?)
}
