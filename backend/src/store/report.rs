//! A show's report, read in one transaction so every figure agrees with every other. The SQL here
//! is the definition: an order counts unless cancelled; the minutes count every order placed.

use mulin_shared::report::{BagLine, DealLine, Figures, Line, Minute, ShowReport, Totals};
use mulin_shared::{BagPhase, CommunityId, DealStatus, ShowId, UtcMillis};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::{Store, StoreError};

/// The figure columns, over orders `o` (with NULLs where a LEFT JOIN found none).
const FIGURES: &str = "COALESCE(SUM(o.status != 'cancelled'), 0), \
    COALESCE(SUM(CASE WHEN o.status != 'cancelled' THEN o.qty END), 0), \
    COALESCE(SUM(CASE WHEN o.status != 'cancelled' THEN o.qty * o.unit_price END), 0), \
    COUNT(DISTINCT CASE WHEN o.status != 'cancelled' THEN o.resident_id END), \
    COALESCE(SUM(o.status = 'cancelled'), 0)";

/// The figures in columns `at..at + 5`.
fn figures(r: &SqliteRow, at: usize) -> Figures {
    Figures {
        orders: r.get(at),
        units: r.get(at + 1),
        sales: r.get(at + 2),
        buyers: r.get(at + 3),
        cancelled: r.get(at + 4),
    }
}

/// Longest run of minutes filled in with quiet ones (a day); a show's orders spread wider are
/// listed by the minutes that had any.
const MAX_FILLED_MINUTES: i64 = 24 * 60;

impl Store {
    /// The report of `community`'s show `show` as of `now`; `None` if it is not the community's.
    pub async fn show_report(
        &self,
        community: CommunityId,
        show: ShowId,
        now: UtcMillis,
    ) -> Result<Option<ShowReport>, StoreError> {
        let Some(summary) = self.show_summary(community, show).await? else {
            return Ok(None);
        };
        let mut tx = self.pool.begin().await?;
        let totals = sqlx::query(&format!(
            "SELECT {FIGURES} FROM orders o JOIN deals d ON d.id = o.deal_id WHERE d.show_id = ?"
        ))
        .bind(show)
        .fetch_one(&mut *tx)
        .await?;
        let peak_viewers: i64 = sqlx::query_scalar("SELECT peak_viewers FROM shows WHERE id = ?")
            .bind(show)
            .fetch_one(&mut *tx)
            .await?;
        let placed = sqlx::query(
            "SELECT o.created_at / 60000 * 60000 AS m, COUNT(*), SUM(o.qty) FROM orders o \
             JOIN deals d ON d.id = o.deal_id WHERE d.show_id = ? GROUP BY m ORDER BY m",
        )
        .bind(show)
        .fetch_all(&mut *tx)
        .await?;
        let deals = sqlx::query(&format!(
            "SELECT d.id, d.product_id, p.name, d.price, d.stock, d.status, {FIGURES} \
             FROM deals d JOIN products p ON p.id = d.product_id \
             LEFT JOIN orders o ON o.deal_id = d.id WHERE d.show_id = ? GROUP BY d.id ORDER BY d.id"
        ))
        .bind(show)
        .fetch_all(&mut *tx)
        .await?;
        let products = sqlx::query(&format!(
            "SELECT p.id, p.name, {FIGURES} FROM orders o JOIN deals d ON d.id = o.deal_id \
             JOIN products p ON p.id = d.product_id WHERE d.show_id = ? GROUP BY p.id ORDER BY p.id"
        ))
        .bind(show)
        .fetch_all(&mut *tx)
        .await?;
        let pickups = sqlx::query(&format!(
            "SELECT k.id, k.name, {FIGURES} FROM pickup_points k \
             LEFT JOIN (SELECT o.* FROM orders o JOIN deals d ON d.id = o.deal_id \
                        WHERE d.show_id = ?1) o ON o.pickup_id = k.id \
             WHERE k.community_id = ?2 GROUP BY k.id ORDER BY k.id"
        ))
        .bind(show)
        .bind(community)
        .fetch_all(&mut *tx)
        .await?;
        let bag_ids: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM bags WHERE show_id = ? ORDER BY id")
                .bind(show)
                .fetch_all(&mut *tx)
                .await?;
        let mut entrants = Vec::with_capacity(bag_ids.len());
        for id in &bag_ids {
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM bag_entries WHERE bag_id = ?")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            entrants.push(n);
        }
        tx.commit().await?;

        let mut bags = Vec::with_capacity(bag_ids.len());
        for (id, entrants) in bag_ids.into_iter().zip(entrants) {
            if let Some(stored) = self.bag(id).await? {
                let bag = stored.bag;
                bags.push(BagLine {
                    bag: bag.id,
                    prize: bag.prize,
                    phase: bag.phase,
                    entrants: match bag.phase {
                        BagPhase::Drawn => bag.entrants as i64,
                        BagPhase::Open => entrants,
                    },
                    winners: bag.winners.into_iter().map(|w| w.nickname).collect(),
                    pickup: bag.pickup,
                });
            }
        }
        let minutes = fill_minutes(
            placed
                .iter()
                .map(|r| Minute {
                    at: r.get(0),
                    orders: r.get(1),
                    units: r.get(2),
                })
                .collect(),
        );
        let peak_orders_per_minute = minutes.iter().map(|m| m.orders).max().unwrap_or(0);
        let line = |r: &SqliteRow| Line {
            id: r.get(0),
            name: r.get(1),
            figures: figures(r, 2),
        };
        Ok(Some(ShowReport {
            is_final: !summary.status.is_open(),
            show: summary,
            generated_at: now,
            totals: Totals {
                figures: figures(&totals, 0),
                peak_viewers,
                peak_orders_per_minute,
            },
            minutes,
            deals: deals
                .iter()
                .map(|r| DealLine {
                    deal: r.get(0),
                    product: r.get(1),
                    name: r.get(2),
                    price: r.get(3),
                    stock: r.get(4),
                    status: if r.get::<String, _>(5) == "live" {
                        DealStatus::Live
                    } else {
                        DealStatus::Ended
                    },
                    figures: figures(r, 6),
                })
                .collect(),
            products: products.iter().map(line).collect(),
            pickups: pickups.iter().map(line).collect(),
            bags,
        }))
    }
}

/// The minutes with orders, with the quiet minutes between them as 0 (up to a day's worth).
fn fill_minutes(busy: Vec<Minute>) -> Vec<Minute> {
    let (Some(first), Some(last)) = (busy.first(), busy.last()) else {
        return busy;
    };
    let span = (last.at - first.at) / 60_000 + 1;
    if span > MAX_FILLED_MINUTES {
        return busy;
    }
    let start = first.at;
    let mut filled: Vec<Minute> = (0..span)
        .map(|i| Minute {
            at: start + i * 60_000,
            orders: 0,
            units: 0,
        })
        .collect();
    for m in busy {
        let i = ((m.at - start) / 60_000) as usize;
        filled[i] = m;
    }
    filled
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_minutes_are_filled_in() {
        let m = |at, orders| Minute {
            at,
            orders,
            units: orders,
        };
        let filled = fill_minutes(vec![m(60_000, 2), m(240_000, 5)]);
        let orders: Vec<i64> = filled.iter().map(|m| m.orders).collect();
        assert_eq!(orders, vec![2, 0, 0, 5]);
        assert_eq!(filled[1].at, 120_000);
        assert!(fill_minutes(vec![]).is_empty());
        let wide = fill_minutes(vec![m(0, 1), m(3 * 24 * 3_600_000, 1)]);
        assert_eq!(wide.len(), 2);
    }
}
