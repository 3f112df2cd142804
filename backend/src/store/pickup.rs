//! An order's life after it is accepted (migration 0018): goods received make a store's orders
//! ready, a clerk hands an order over (every unit, or some), a moderator undoes a hand-over within
//! the hour, and a ready order not collected by the end of its window is `not_collected`.
//!
//! [`Step`] is the one table of that life: which states each change may start from. Cancelling and
//! changing an order stay with the deal's desk (their units go back on sale) but ask the same
//! table. Every change here is one transaction with its audit line.

use mulin_shared::community::AuditAction;
use mulin_shared::pickup::{CounterOrder, HandOverRecord, UNDO_WINDOW_MS, phone_tail};
use mulin_shared::{
    CommunityId, Order, OrderId, OrderStatus, PickupId, ProductId, ShowId, UtcMillis,
};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use super::orders::{ORDER_COLUMNS, ORDER_FIELDS, ORDER_TABLES, order_from_row};
use super::{Actor, Change, Store, StoreError};

/// A day, in milliseconds.
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// How far back a typed code looks for an order still to collect: a show's orders are collected
/// within days (the pickup window is 30 days at most).
const RECENT_SHOWS_MS: i64 = 60 * DAY_MS;

/// How far back a typed code finds an order already handed over (to say when and by whom).
const RECENT_HANDOVERS_MS: i64 = 14 * DAY_MS;

/// A change in an order's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Its store received the goods: accepted → ready.
    Receive,
    /// A clerk hands units over: accepted or ready → picked up (the last unit) or ready (some).
    HandOver,
    /// A moderator undoes the last hand-over: picked up or ready → ready.
    Undo,
    /// Its pickup window ran out: ready → not collected.
    Lapse,
    /// Staff or the resident cancel it, before anything was handed over: accepted or ready →
    /// cancelled (through the deal's desk).
    Cancel,
    /// Staff change its units or pickup point, before the goods reached the store (through the
    /// deal's desk).
    Change,
}

impl Step {
    /// The states an order may be in for this step.
    pub const fn from(self) -> &'static [OrderStatus] {
        use OrderStatus::*;
        match self {
            Step::Receive | Step::Change => &[Accepted],
            Step::HandOver | Step::Cancel => &[Accepted, Ready],
            Step::Undo => &[Ready, PickedUp],
            Step::Lapse => &[Ready],
        }
    }

    /// Whether nothing may have been handed over yet.
    const fn untouched(self) -> bool {
        matches!(self, Step::Cancel | Step::Change)
    }

    /// Whether `order` may take this step.
    pub fn allows(self, order: &Order) -> bool {
        self.from().contains(&order.status) && (!self.untouched() || order.handed == 0)
    }

    /// The same test in SQL, on the `orders` table's own columns (no alias), for guarded updates.
    pub(super) fn guard(self) -> String {
        let states: Vec<String> = self
            .from()
            .iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        let mut guard = format!("status IN ({})", states.join(", "));
        if self.untouched() {
            guard.push_str(" AND handed = 0");
        }
        guard
    }
}

/// What came of a hand-over ([`Store::hand_over`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[expect(
    clippy::large_enum_variant,
    reason = "a value returned once per request and matched at once; boxing would only add an allocation"
)]
pub enum HandOverOutcome {
    /// Handed over: the order as it was and as it is.
    Done {
        /// Before.
        before: Order,
        /// After.
        after: CounterOrder,
    },
    /// No such order in the community.
    Missing,
    /// Cancelled or not collected: nothing handed over.
    Closed(CounterOrder),
    /// Handed over already, or not as the clerk's screen showed it: its hand-overs say when and by
    /// whom.
    Already(CounterOrder),
    /// Collected at another pickup point (named in the order).
    WrongStore(CounterOrder),
    /// More units than are left to hand over, or none.
    InvalidUnits(CounterOrder),
}

/// What came of undoing a hand-over ([`Store::undo_hand_over`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[expect(
    clippy::large_enum_variant,
    reason = "a value returned once per request and matched at once; boxing would only add an allocation"
)]
pub enum UndoOutcome {
    /// Undone: the order as it was and as it is.
    Done {
        /// Before.
        before: Order,
        /// After.
        after: CounterOrder,
    },
    /// No such order in the community.
    Missing,
    /// Nothing handed over to undo (or the order left the states an undo starts from).
    Nothing(CounterOrder),
    /// The last hand-over is more than an hour old.
    TooLate(CounterOrder),
}

/// What the counter selects: an order, its buyer's phone, product, store and show.
const COUNTER_COLUMNS: &str = "r.phone, p.name, k.name, s.title";
/// What it selects from.
const COUNTER_TABLES: &str = "JOIN products p ON p.id = d.product_id \
     JOIN pickup_points k ON k.id = o.pickup_id JOIN shows s ON s.id = d.show_id";

impl Store {
    /// An order of `community` as the counter sees it.
    pub async fn counter_order(
        &self,
        community: CommunityId,
        id: OrderId,
    ) -> Result<Option<CounterOrder>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        counter_order(&mut conn, community, id).await
    }

    /// The orders of `community` whose six-digit code is `code`, at one of `pickups` (every store
    /// of the community if `None`): those still to collect, then those handed over in the last two
    /// weeks (so a second try says when and by whom).
    pub async fn counter_orders_by_code(
        &self,
        community: CommunityId,
        code: &str,
        pickups: Option<&[PickupId]>,
        now: UtcMillis,
    ) -> Result<Vec<CounterOrder>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        // The community's shows of the last [`RECENT_SHOWS_MS`], through their deals (indexed):
        // a few weeks of orders, not the whole table.
        let open = "SELECT o.id FROM shows s JOIN deals d ON d.show_id = s.id \
             JOIN orders o ON o.deal_id = d.id WHERE s.community_id = ? \
             AND COALESCE(s.starts_at, s.created_at) > ? AND o.pickup_code = ? \
             AND o.status IN ('accepted', 'ready')";
        let mut ids: Vec<OrderId> = sqlx::query_scalar(open)
            .bind(community)
            .bind(now - RECENT_SHOWS_MS)
            .bind(code)
            .fetch_all(&mut *conn)
            .await?;
        let handed: Vec<OrderId> = sqlx::query_scalar(
            "SELECT DISTINCT o.id FROM handovers h JOIN orders o ON o.id = h.order_id \
             JOIN deals d ON d.id = o.deal_id JOIN shows s ON s.id = d.show_id \
             WHERE h.at > ? AND o.pickup_code = ? AND s.community_id = ?",
        )
        .bind(now - RECENT_HANDOVERS_MS)
        .bind(code)
        .bind(community)
        .fetch_all(&mut *conn)
        .await?;
        for id in handed {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        let mut found = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(order) = counter_order(&mut conn, community, id).await?
                && pickups.is_none_or(|p| p.contains(&order.order.pickup))
            {
                found.push(order);
            }
        }
        Ok(found)
    }

    /// Hands `units` of order `id` over at one of `pickups` (any store of the community if
    /// `None`), as `by`, if `was_handed` units were handed before: so of two clerks who scanned
    /// the same code at once, exactly one hands it over. The last unit makes it picked up.
    pub async fn hand_over(
        &self,
        community: CommunityId,
        id: OrderId,
        (units, was_handed): (i64, i64),
        pickups: Option<&[PickupId]>,
        by: &Actor,
        now: UtcMillis,
    ) -> Result<HandOverOutcome, StoreError> {
        self.write(2, async |tx| {
            let Some(before) = counter_order(tx, community, id).await? else {
                return Ok(HandOverOutcome::Missing);
            };
            let order = &before.order;
            if pickups.is_some_and(|p| !p.contains(&order.pickup)) {
                return Ok(HandOverOutcome::WrongStore(before));
            }
            if matches!(
                order.status,
                OrderStatus::Cancelled | OrderStatus::NotCollected
            ) {
                return Ok(HandOverOutcome::Closed(before));
            }
            if !Step::HandOver.allows(order) || order.handed != was_handed {
                return Ok(HandOverOutcome::Already(before));
            }
            let left = order.qty - order.handed;
            if !(1..=left).contains(&units) {
                return Ok(HandOverOutcome::InvalidUnits(before));
            }
            let days = pickup_days(tx, community).await?;
            let done = sqlx::query(&format!(
                "UPDATE orders SET handed = handed + ?1, \
                 status = CASE WHEN handed + ?1 = qty THEN 'picked_up' ELSE 'ready' END, \
                 picked_up_at = CASE WHEN handed + ?1 = qty THEN ?2 END, \
                 ready_at = COALESCE(ready_at, ?2), collect_by = COALESCE(collect_by, ?3) \
                 WHERE id = ?4 AND handed = ?5 AND {}",
                Step::HandOver.guard()
            ))
            .bind(units)
            .bind(now)
            .bind(now + days * DAY_MS)
            .bind(id)
            .bind(was_handed)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() != 1 {
                return Ok(HandOverOutcome::Already(before));
            }
            sqlx::query(
                "INSERT INTO handovers (order_id, pickup_id, units, at, staff_id, actor) \
                 VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(id)
            .bind(order.pickup)
            .bind(units)
            .bind(now)
            .bind(by.staff)
            .bind(&by.name)
            .execute(&mut *tx)
            .await?;
            let change = Change::new(
                AuditAction::OrderHandedOver,
                Some(order.show),
                format!("order {id}"),
            )
            .before(serde_json::json!({ "status": order.status.as_str(), "handed": order.handed }))
            .after(serde_json::json!({
                "handed": order.handed + units, "qty": order.qty, "pickup": order.pickup,
            }));
            super::audit::record_in_show(tx, order.show, by, &change, now).await?;
            let after = counter_order(tx, community, id)
                .await?
                .ok_or_else(|| StoreError::Corrupt(format!("order {id} vanished")))?;
            Ok(HandOverOutcome::Done {
                before: before.order,
                after,
            })
        })
        .await
    }

    /// Undoes order `id`'s last hand-over, as `by`, if it is within the hour before `now`.
    pub async fn undo_hand_over(
        &self,
        community: CommunityId,
        id: OrderId,
        by: &Actor,
        now: UtcMillis,
    ) -> Result<UndoOutcome, StoreError> {
        self.write(2, async |tx| {
            let Some(before) = counter_order(tx, community, id).await? else {
                return Ok(UndoOutcome::Missing);
            };
            let last = before
                .handovers
                .iter()
                .rev()
                .find(|h| h.undone_at.is_none())
                .cloned();
            let Some(last) = last.filter(|_| Step::Undo.allows(&before.order)) else {
                return Ok(UndoOutcome::Nothing(before));
            };
            if now - last.at > UNDO_WINDOW_MS {
                return Ok(UndoOutcome::TooLate(before));
            }
            sqlx::query(&format!(
                "UPDATE orders SET handed = handed - ?, status = 'ready', picked_up_at = NULL \
                 WHERE id = ? AND {}",
                Step::Undo.guard()
            ))
            .bind(last.units)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE handovers SET undone_at = ?, undone_by = ? WHERE id = ?")
                .bind(now)
                .bind(&by.name)
                .bind(last.id)
                .execute(&mut *tx)
                .await?;
            let order = &before.order;
            let change = Change::new(
                AuditAction::HandOverUndone,
                Some(order.show),
                format!("order {id}"),
            )
            .before(serde_json::json!({
                "status": order.status.as_str(), "handed": order.handed,
                "handed_by": last.by, "handed_at": last.at,
            }))
            .after(serde_json::json!({ "status": "ready", "handed": order.handed - last.units }));
            super::audit::record_in_show(tx, order.show, by, &change, now).await?;
            let after = counter_order(tx, community, id)
                .await?
                .ok_or_else(|| StoreError::Corrupt(format!("order {id} vanished")))?;
            Ok(UndoOutcome::Done {
                before: before.order,
                after,
            })
        })
        .await
    }

    /// Marks `pickup`'s goods of `product` for `show` received, as `by`: the orders there still
    /// waiting for them become ready, to collect within the community's pickup window. Returns
    /// them and when the goods were first marked received.
    pub async fn mark_received(
        &self,
        (show, pickup, product): (ShowId, PickupId, ProductId),
        by: &Actor,
        now: UtcMillis,
    ) -> Result<(Vec<Order>, UtcMillis), StoreError> {
        self.write(4, async |tx| {
            let community: CommunityId =
                sqlx::query_scalar("SELECT community_id FROM shows WHERE id = ?")
                    .bind(show)
                    .fetch_one(&mut *tx)
                    .await?;
            let days = pickup_days(tx, community).await?;
            sqlx::query(
                "INSERT OR IGNORE INTO goods_received (show_id, pickup_id, product_id, at, actor) \
                 VALUES (?, ?, ?, ?, ?)",
            )
            .bind(show)
            .bind(pickup)
            .bind(product)
            .bind(now)
            .bind(&by.name)
            .execute(&mut *tx)
            .await?;
            let at: UtcMillis = sqlx::query_scalar(
                "SELECT at FROM goods_received WHERE show_id = ? AND pickup_id = ? AND product_id = ?",
            )
            .bind(show)
            .bind(pickup)
            .bind(product)
            .fetch_one(&mut *tx)
            .await?;
            let ids: Vec<OrderId> = sqlx::query_scalar(&format!(
                "UPDATE orders SET status = 'ready', ready_at = ?, collect_by = ? \
                 WHERE pickup_id = ? AND {} AND deal_id IN \
                 (SELECT id FROM deals WHERE show_id = ? AND product_id = ?) RETURNING id",
                Step::Receive.guard()
            ))
            .bind(now)
            .bind(now + days * DAY_MS)
            .bind(pickup)
            .bind(show)
            .bind(product)
            .fetch_all(&mut *tx)
            .await?;
            let orders = orders_by_id(tx, &ids).await?;
            let change = Change::new(
                AuditAction::GoodsReceived,
                Some(show),
                format!("pickup {pickup}"),
            )
            .after(serde_json::json!({ "product": product, "orders_ready": ids.len() }));
            super::audit::record_in_show(tx, show, by, &change, now).await?;
            Ok((orders, at))
        })
        .await
    }

    /// Marks every ready order whose pickup window ended by `now` not collected, with one audit
    /// line per show. Returns them, each with its community.
    pub async fn lapse_uncollected(
        &self,
        now: UtcMillis,
    ) -> Result<Vec<(CommunityId, Order)>, StoreError> {
        self.write(2, async |tx| {
            let ids: Vec<OrderId> = sqlx::query_scalar(&format!(
                "UPDATE orders SET status = 'not_collected' \
                 WHERE collect_by <= ? AND {} RETURNING id",
                Step::Lapse.guard()
            ))
            .bind(now)
            .fetch_all(&mut *tx)
            .await?;
            let orders = orders_by_id(tx, &ids).await?;
            let mut shows: Vec<ShowId> = orders.iter().map(|o| o.show).collect();
            shows.sort_unstable();
            shows.dedup();
            let mut communities = std::collections::HashMap::new();
            for show in shows {
                let community: CommunityId =
                    sqlx::query_scalar("SELECT community_id FROM shows WHERE id = ?")
                        .bind(show)
                        .fetch_one(&mut *tx)
                        .await?;
                communities.insert(show, community);
                let of_show: Vec<OrderId> = orders
                    .iter()
                    .filter(|o| o.show == show)
                    .map(|o| o.id)
                    .collect();
                let change = Change::new(AuditAction::NotCollected, Some(show), "pickup window")
                    .after(serde_json::json!({ "orders": of_show }));
                let by = Actor {
                    staff: None,
                    name: "pickup window".into(),
                };
                super::audit::record_in_show(tx, show, &by, &change, now).await?;
            }
            Ok(orders
                .into_iter()
                .map(|o| (communities.get(&o.show).copied().unwrap_or_default(), o))
                .collect())
        })
        .await
    }

    /// The community's pickup window, in days.
    pub async fn pickup_days(&self, community: CommunityId) -> Result<i64, StoreError> {
        let mut conn = self.pool.acquire().await?;
        pickup_days(&mut conn, community).await
    }

    /// Sets the community's pickup window (for orders that become ready from now on), as `by`.
    pub async fn set_pickup_days(
        &self,
        community: CommunityId,
        days: i64,
        by: &Actor,
        now: UtcMillis,
    ) -> Result<(), StoreError> {
        self.write(1, async |tx| {
            let was = pickup_days(tx, community).await?;
            sqlx::query("UPDATE communities SET pickup_days = ? WHERE id = ?")
                .bind(days)
                .bind(community)
                .execute(&mut *tx)
                .await?;
            let change = Change::new(AuditAction::PickupDaysSet, None, "pickup window")
                .before(serde_json::json!({ "days": was }))
                .after(serde_json::json!({ "days": days }));
            super::audit::record(tx, community, by, &change, now).await
        })
        .await
    }
}

/// The community's pickup window in days.
async fn pickup_days(
    conn: &mut SqliteConnection,
    community: CommunityId,
) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT pickup_days FROM communities WHERE id = ?")
            .bind(community)
            .fetch_optional(&mut *conn)
            .await?
            .unwrap_or(3),
    )
}

/// Orders by id, in the order given.
async fn orders_by_id(
    conn: &mut SqliteConnection,
    ids: &[OrderId],
) -> Result<Vec<Order>, StoreError> {
    let mut orders = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(", ");
        let sql = format!("SELECT {ORDER_COLUMNS} FROM {ORDER_TABLES} WHERE o.id IN ({marks})");
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(id);
        }
        orders.extend(
            query
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(order_from_row),
        );
    }
    Ok(orders)
}

/// One order of `community` as the counter sees it, with its hand-overs.
async fn counter_order(
    conn: &mut SqliteConnection,
    community: CommunityId,
    id: OrderId,
) -> Result<Option<CounterOrder>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {ORDER_COLUMNS}, {COUNTER_COLUMNS} FROM {ORDER_TABLES} {COUNTER_TABLES} \
         WHERE o.id = ? AND s.community_id = ?"
    ))
    .bind(id)
    .bind(community)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let handovers = sqlx::query(
        "SELECT id, units, at, actor, undone_at, undone_by FROM handovers WHERE order_id = ? \
         ORDER BY id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|h| HandOverRecord {
        id: h.get(0),
        units: h.get(1),
        at: h.get(2),
        by: h.get(3),
        undone_at: h.get(4),
        undone_by: h.get(5),
    })
    .collect();
    Ok(Some(counter_from_row(&row, handovers)))
}

fn counter_from_row(row: &SqliteRow, handovers: Vec<HandOverRecord>) -> CounterOrder {
    let phone: String = row.get(ORDER_FIELDS);
    CounterOrder {
        order: order_from_row(row),
        phone_tail: phone_tail(&phone),
        product_name: row.get(ORDER_FIELDS + 1),
        pickup_name: row.get(ORDER_FIELDS + 2),
        show_title: row.get(ORDER_FIELDS + 3),
        handovers,
    }
}
