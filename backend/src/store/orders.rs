//! Orders: committing the deal desk's batches, reading them back (by key, by show, by resident)
//! and cancelling one.

use std::collections::HashMap;

use mulin_shared::{
    CommunityId, DealId, Order, OrderId, OrderStatus, PickupId, ProductId, ResidentId, ShowId,
    UtcMillis,
};
use sqlx::query_builder::Separated;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};

use super::{Store, StoreError};

pub(super) const ORDER_COLUMNS: &str = "o.id, o.deal_id, o.resident_id, r.nickname, o.qty, o.unit_price, \
     o.pickup_id, o.pickup_code, o.status, o.created_at, o.cancel_reason, d.product_id, d.show_id, o.placed_by, \
     o.collect_by, o.handed";

/// How many columns [`ORDER_COLUMNS`] has: a query's own column after them is at this index.
pub(super) const ORDER_FIELDS: usize = 16;

/// What every query with [`ORDER_COLUMNS`] selects from: an order, its buyer and its deal.
pub(super) const ORDER_TABLES: &str =
    "orders o JOIN residents r ON r.id = o.resident_id JOIN deals d ON d.id = o.deal_id";

/// What came of asking to change an order ([`Store::change_order`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[expect(
    clippy::large_enum_variant,
    reason = "a value returned once per request and matched at once; boxing would only add an allocation"
)]
pub enum OrderChangeOutcome {
    /// Changed, from `before` to `after`.
    Changed {
        /// The order as it was.
        before: Order,
        /// The order as it is now.
        after: Order,
    },
    /// No such order.
    Missing,
    /// Cancelled or picked up: nothing changed.
    Closed(Order),
    /// Not as the page showed it (or more units asked for than it has): nothing changed.
    Stale(Order),
}

/// Statement sizes for multi-row inserts, largest first: a batch of any size takes a few statements
/// of these shapes, each compiled once and then cached (512 rows × 9 parameters stays far below
/// SQLite's limit of 32,766).
const INSERT_SIZES: [usize; 5] = [512, 128, 32, 8, 1];

/// Inserts `rows` as `head VALUES (…), (…) tail` in [`INSERT_SIZES`] chunks; `bind` pushes one
/// row's values. Returns the rows affected and the last rowid inserted.
async fn insert_values<'a, T>(
    conn: &mut SqliteConnection,
    head: &str,
    tail: &str,
    rows: &'a [T],
    bind: impl Fn(&mut Separated<'_, 'a, Sqlite, &'static str>, &'a T),
) -> Result<(u64, i64), sqlx::Error> {
    let (mut affected, mut last) = (0, 0);
    let mut rest = rows;
    while !rest.is_empty() {
        let size = INSERT_SIZES
            .into_iter()
            .find(|&s| s <= rest.len())
            .unwrap_or(1);
        let (chunk, later) = rest.split_at(size);
        rest = later;
        let mut insert = QueryBuilder::<'a, Sqlite>::new(head);
        insert.push_values(chunk, |mut row, item| bind(&mut row, item));
        insert.push(tail);
        let done = insert.build().execute(&mut *conn).await?;
        affected += done.rows_affected();
        last = done.last_insert_rowid();
    }
    Ok((affected, last))
}

/// An order the deal desk has accepted in memory and wants stored.
#[derive(Debug, Clone)]
pub struct NewOrder {
    /// The buyer.
    pub resident: ResidentId,
    /// The buyer's nickname (echoed into the stored order).
    pub nickname: String,
    /// Units.
    pub qty: i64,
    /// Unit price in fen.
    pub unit_price: i64,
    /// Pickup point.
    pub pickup: PickupId,
    /// Code shown at pickup.
    pub pickup_code: String,
    /// Purchase-intent key.
    pub key: String,
    /// Acceptance time.
    pub created_at: UtcMillis,
    /// The member of staff who placed it for the resident, if any.
    pub placed_by: Option<mulin_shared::StaffId>,
}

impl Store {
    /// Units each resident holds in a deal (accepted or picked up), to rebuild a deal desk.
    pub async fn units_by_resident(
        &self,
        deal: DealId,
    ) -> Result<Vec<(ResidentId, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT resident_id, SUM(qty) FROM orders WHERE deal_id = ? AND status != 'cancelled' \
             GROUP BY resident_id",
        )
        .bind(deal)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// Orders of a deal by key, to answer retries of purchase intents already accepted.
    pub async fn orders_by_key(&self, deal: DealId) -> Result<Vec<(String, Order)>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ORDER_COLUMNS}, o.key FROM {ORDER_TABLES} WHERE o.deal_id = ?"
        ))
        .bind(deal)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get(ORDER_FIELDS), order_from_row(r)))
            .collect())
    }

    /// Stores a batch of accepted orders of one deal in **one** transaction, re-checking in SQL that
    /// the deal is live and has the stock and that no resident passes the limit. All or nothing.
    ///
    /// Rows go in as multi-row INSERTs of a few fixed sizes (cached statements, a handful of round
    /// trips per batch), and no row comes back: the ids are the range the inserts took, checked
    /// before commit.
    pub async fn commit_orders(
        &self,
        deal: DealId,
        orders: &[NewOrder],
    ) -> Result<Vec<Order>, StoreError> {
        let total: i64 = orders.iter().map(|o| o.qty).sum();
        // Each row's index entries may land on a page of their own: a page per order, plus the
        // deal's and the tables' own.
        let pages = 4 + orders.len() as u64;
        self.write(pages, async |tx| {
            let limit: Option<(i64, ProductId, ShowId)> = sqlx::query_as(
                "UPDATE deals SET sold = sold + ? WHERE id = ? AND status = 'live' AND sold + ? <= stock \
                 RETURNING per_resident_limit, product_id, show_id",
            )
            .bind(total)
            .bind(deal)
            .bind(total)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((limit, product, show)) = limit else {
                return Err(StoreError::Conflict(format!(
                    "deal {deal} is not live or has fewer than {total} units left"
                )));
            };
            // The per-resident limit: `holdings` refuses (CHECK units <= max_units) any buyer pushed
            // past it, failing the whole transaction.
            let mut per_buyer: HashMap<ResidentId, i64> = HashMap::new();
            for o in orders {
                *per_buyer.entry(o.resident).or_insert(0) += o.qty;
            }
            let per_buyer: Vec<(ResidentId, i64)> = per_buyer.into_iter().collect();
            insert_values(
                &mut *tx,
                "INSERT INTO holdings (deal_id, resident_id, units, max_units) ",
                " ON CONFLICT (deal_id, resident_id) DO UPDATE SET units = units + excluded.units",
                &per_buyer,
                |row, (resident, units)| {
                    row.push_bind(deal)
                        .push_bind(*resident)
                        .push_bind(*units)
                        .push_bind(limit);
                },
            )
            .await
            .map_err(|e| {
                if e.as_database_error()
                    .is_some_and(|d| d.is_check_violation())
                {
                    StoreError::Conflict(format!("a buyer would pass the limit of deal {deal}"))
                } else {
                    StoreError::Db(e)
                }
            })?;
            let (stored_rows, last) = insert_values(
                &mut *tx,
                "INSERT INTO orders (deal_id, resident_id, qty, unit_price, pickup_id, pickup_code, \
                 key, created_at, placed_by) ",
                "",
                orders,
                |row, o| {
                    row.push_bind(deal)
                        .push_bind(o.resident)
                        .push_bind(o.qty)
                        .push_bind(o.unit_price)
                        .push_bind(o.pickup)
                        .push_bind(&o.pickup_code)
                        .push_bind(&o.key)
                        .push_bind(o.created_at)
                        .push_bind(o.placed_by);
                },
            )
            .await?;
            let n = orders.len() as i64;
            if stored_rows != n as u64 {
                return Err(StoreError::Conflict(format!(
                    "{stored_rows} of {n} orders of deal {deal} were stored"
                )));
            }
            // Inserts under the write lock, into a table whose new rowids are max(rowid) + 1: the batch
            // holds the ids `last - n + 1 ..= last`, in the order given. Checked at both ends, not assumed.
            let first = last - n + 1;
            type End = (Option<ResidentId>, Option<String>);
            let (r1, k1, r2, k2): (Option<i64>, Option<String>, Option<i64>, Option<String>) =
                sqlx::query_as(
                    "SELECT (SELECT resident_id FROM orders WHERE id = ?1 AND deal_id = ?3), \
                     (SELECT key FROM orders WHERE id = ?1 AND deal_id = ?3), \
                     (SELECT resident_id FROM orders WHERE id = ?2 AND deal_id = ?3), \
                     (SELECT key FROM orders WHERE id = ?2 AND deal_id = ?3)",
                )
                .bind(first)
                .bind(last)
                .bind(deal)
                .fetch_one(&mut *tx)
                .await?;
            let end =
                |o: Option<&NewOrder>| -> End { (o.map(|o| o.resident), o.map(|o| o.key.clone())) };
            if ((r1, k1), (r2, k2)) != (end(orders.first()), end(orders.last())) {
                return Err(StoreError::Conflict(format!(
                    "order ids of deal {deal} are not the range {first}..={last}"
                )));
            }
            let stored = orders
                .iter()
                .zip(first..)
                .map(|(o, id)| Order {
                    id,
                    deal,
                    resident: o.resident,
                    nickname: o.nickname.clone(),
                    qty: o.qty,
                    unit_price: o.unit_price,
                    pickup: o.pickup,
                    pickup_code: o.pickup_code.clone(),
                    status: OrderStatus::Accepted,
                    created_at: o.created_at,
                    cancel_reason: None,
                    product,
                    show,
                    placed_by: o.placed_by,
                    collect_by: None,
                    handed: 0,
                    pickup_qr: None,
                })
                .collect();
            Ok(stored)
        })
        .await
    }

    /// One order and the show it was bought in.
    pub async fn order(&self, id: OrderId) -> Result<Option<(Order, ShowId)>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {ORDER_COLUMNS} FROM {ORDER_TABLES} WHERE o.id = ?"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| {
            let order = order_from_row(&r);
            let show = order.show;
            (order, show)
        }))
    }

    /// Cancels an order nothing of which was handed over yet (accepted or ready) and gives its
    /// units back to the deal, in one transaction. `None` when it cannot be cancelled (any more). Staff's cancellations (`by`) are
    /// logged.
    pub async fn cancel_order(
        &self,
        id: OrderId,
        reason: Option<&str>,
        by: Option<&super::Actor>,
    ) -> Result<Option<Order>, StoreError> {
        self.write(2, async |tx| {
            let row = sqlx::query(&format!(
                "UPDATE orders SET status = 'cancelled', cancel_reason = ? \
                 WHERE id = ? AND {} RETURNING deal_id, qty, ready_at IS NOT NULL",
                super::pickup::Step::Cancel.guard()
            ))
            .bind(reason)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(row) = row else { return Ok(None) };
            let (deal, qty): (i64, i64) = (row.get(0), row.get(1));
            let was = if row.get(2) { "ready" } else { "accepted" };
            sqlx::query("UPDATE deals SET sold = sold - ? WHERE id = ?")
                .bind(qty)
                .bind(deal)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE holdings SET units = units - ? WHERE deal_id = ? \
                 AND resident_id = (SELECT resident_id FROM orders WHERE id = ?)",
            )
            .bind(qty)
            .bind(deal)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            let order = sqlx::query(&format!(
                "SELECT {ORDER_COLUMNS} FROM {ORDER_TABLES} WHERE o.id = ?"
            ))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            let order = order_from_row(&order);
            if let Some(by) = by {
                let show = order.show;
                let change = super::Change::new(
                    mulin_shared::community::AuditAction::OrderCancelled,
                    None,
                    format!("order {id}"),
                )
                .before(serde_json::json!({
                    "status": was, "deal": deal, "qty": qty, "resident": order.resident
                }))
                .after(serde_json::json!({ "status": "cancelled", "reason": reason }));
                super::audit::record_in_show(tx, show, by, &change, crate::now_ms()).await?;
            }
            Ok(Some(order))
        })
        .await
    }

    /// Changes an accepted order's quantity (fewer units only) and pickup point, gives the units
    /// it no longer holds back to the deal, and logs it as `by`'s, in one transaction. Nothing
    /// changes unless the order is still accepted with `was` (units, pickup point): what the
    /// page that asked showed.
    pub async fn change_order(
        &self,
        id: OrderId,
        (qty, pickup): (i64, PickupId),
        was: (i64, PickupId),
        reason: Option<&str>,
        by: &super::Actor,
    ) -> Result<OrderChangeOutcome, StoreError> {
        self.write(2, async |tx| {
            let read = format!("SELECT {ORDER_COLUMNS} FROM {ORDER_TABLES} WHERE o.id = ?");
            let Some(row) = sqlx::query(&read).bind(id).fetch_optional(&mut *tx).await? else {
                return Ok(OrderChangeOutcome::Missing);
            };
            let before = order_from_row(&row);
            if !super::pickup::Step::Change.allows(&before) {
                return Ok(OrderChangeOutcome::Closed(before));
            }
            if (before.qty, before.pickup) != was || qty > before.qty {
                return Ok(OrderChangeOutcome::Stale(before));
            }
            let returned = before.qty - qty;
            sqlx::query("UPDATE orders SET qty = ?, pickup_id = ? WHERE id = ?")
                .bind(qty)
                .bind(pickup)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE deals SET sold = sold - ? WHERE id = ?")
                .bind(returned)
                .bind(before.deal)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE holdings SET units = units - ? WHERE deal_id = ? AND resident_id = ?",
            )
            .bind(returned)
            .bind(before.deal)
            .bind(before.resident)
            .execute(&mut *tx)
            .await?;
            let after = order_from_row(&sqlx::query(&read).bind(id).fetch_one(&mut *tx).await?);
            let change = super::Change::new(
                mulin_shared::community::AuditAction::OrderChanged,
                None,
                format!("order {id}"),
            )
            .before(serde_json::json!({ "qty": before.qty, "pickup": before.pickup }))
            .after(serde_json::json!({ "qty": qty, "pickup": pickup, "reason": reason }));
            super::audit::record_in_show(tx, before.show, by, &change, crate::now_ms()).await?;
            Ok(OrderChangeOutcome::Changed { before, after })
        })
        .await
    }

    /// The show's orders, newest first, at most `limit`.
    pub async fn show_orders(&self, show: ShowId, limit: i64) -> Result<Vec<Order>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ORDER_COLUMNS} FROM {ORDER_TABLES} WHERE d.show_id = ? ORDER BY o.id DESC LIMIT ?"
        ))
        .bind(show)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(order_from_row).collect())
    }

    /// One resident's orders in every show of a community, newest first: the latest
    /// [`RESIDENT_ORDERS`] (a resident buys a few things a week; this is months of them).
    pub async fn resident_orders(
        &self,
        community: CommunityId,
        resident: ResidentId,
    ) -> Result<Vec<Order>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ORDER_COLUMNS} FROM {ORDER_TABLES} JOIN shows s ON s.id = d.show_id \
             WHERE s.community_id = ? AND o.resident_id = ? ORDER BY o.id DESC LIMIT ?"
        ))
        .bind(community)
        .bind(resident)
        .bind(RESIDENT_ORDERS)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(order_from_row).collect())
    }
}

/// Which of a show's orders staff look for: any of them by `q` (a pickup code, the last four
/// digits of the buyer's phone, or part of their name), and only those of a deal, a pickup point
/// or a status.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderSearch {
    /// A pickup code, the last four digits of a phone, or part of a name.
    pub q: Option<String>,
    /// Only this deal's orders.
    pub deal: Option<DealId>,
    /// Only orders to collect here.
    pub pickup: Option<PickupId>,
    /// Only orders in this state.
    pub status: Option<OrderStatus>,
    /// Only orders placed by staff for a neighbour (`staff`), or only residents' own (`resident`).
    pub placed: Option<PlacedBy>,
    /// At most this many (1–500, 100 if not given).
    pub limit: Option<i64>,
}

/// Who placed an order, for [`OrderSearch::placed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlacedBy {
    /// A member of staff, for a neighbour (代客下单).
    Staff,
    /// The resident themselves.
    Resident,
}

impl Store {
    /// A show's orders that `search` finds, exact matches of a code or a whole name first, then
    /// newest first; each with its buyer's phone as stored (the caller masks it before it leaves
    /// the server) and, for an order staff placed, that person's name.
    pub async fn find_orders(
        &self,
        show: ShowId,
        search: &OrderSearch,
    ) -> Result<Vec<Found>, StoreError> {
        let q = search.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
        let status = search.status.map(OrderStatus::as_str);
        let rows = sqlx::query(&format!(
            "SELECT {ORDER_COLUMNS}, r.phone, s.name FROM {ORDER_TABLES} \
             LEFT JOIN staff s ON s.id = o.placed_by WHERE d.show_id = ?1 \
             AND (?2 IS NULL OR o.pickup_code = ?2 \
                  OR (length(?2) = 4 AND substr(r.phone, -4) = ?2) \
                  OR (length(?2) = 11 AND r.phone = ?2) \
                  OR instr(r.nickname, ?2) > 0) \
             AND (?3 IS NULL OR o.deal_id = ?3) AND (?4 IS NULL OR o.pickup_id = ?4) \
             AND (?5 IS NULL OR o.status = ?5) \
             AND (?7 IS NULL OR (o.placed_by IS NOT NULL) = ?7) \
             ORDER BY (o.pickup_code = ?2 OR r.nickname = ?2) DESC, o.id DESC LIMIT ?6"
        ))
        .bind(show)
        .bind(q)
        .bind(search.deal)
        .bind(search.pickup)
        .bind(status)
        .bind(search.limit.unwrap_or(100).clamp(1, 500))
        .bind(search.placed.map(|p| p == PlacedBy::Staff))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| Found {
                order: order_from_row(r),
                phone: r.get(ORDER_FIELDS),
                placed_by_name: r.get(ORDER_FIELDS + 1),
            })
            .collect())
    }
}

/// An order as [`Store::find_orders`] finds it.
#[derive(Debug, Clone)]
pub struct Found {
    /// The order.
    pub order: Order,
    /// Its buyer's phone as stored (whole: masked by the caller).
    pub phone: String,
    /// Who of staff placed it, if staff did.
    pub placed_by_name: Option<String>,
}

/// How many of a resident's latest orders "my orders" lists.
pub const RESIDENT_ORDERS: i64 = 100;

/// The status a stored name is (the table's CHECK allows only these names).
pub(super) fn status_named(name: &str) -> OrderStatus {
    OrderStatus::ALL
        .iter()
        .copied()
        .find(|s| s.as_str() == name)
        .unwrap_or(OrderStatus::Accepted)
}

pub(super) fn order_from_row(r: &SqliteRow) -> Order {
    let status: String = r.get(8);
    Order {
        id: r.get(0),
        deal: r.get(1),
        resident: r.get(2),
        nickname: r.get(3),
        qty: r.get(4),
        unit_price: r.get(5),
        pickup: r.get(6),
        pickup_code: r.get(7),
        status: status_named(&status),
        created_at: r.get(9),
        cancel_reason: r.get(10),
        product: r.get(11),
        show: r.get(12),
        placed_by: r.get(13),
        collect_by: r.get(14),
        handed: r.get(15),
        pickup_qr: None,
    }
}
