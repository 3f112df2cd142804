//! Picking lists: what each pickup point must receive and who collects what there, for a show or
//! several shows of a day; frozen at the show's cut-off, after which later cancellations and
//! changes show as differences. And a store's own day, for its clerk's page.

use std::collections::{BTreeMap, HashMap};

use mulin_shared::community::AuditAction;
use mulin_shared::control::mask_phone;
use mulin_shared::pickup::{
    Difference, PickItem, PickProduct, PickShow, PickingList, PointList, ProductLine, ResidentLine,
    StoreDay, StoreProduct, StoreShow,
};
use mulin_shared::{CommunityId, OrderStatus, PickupId, ProductId, ResidentId, ShowId, UtcMillis};
use sqlx::{Row, SqliteConnection};

use super::{Actor, Change, Store, StoreError};

/// How far back a clerk's page looks for shows, in milliseconds (30 days).
const STORE_DAYS_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// What came of setting a cut-off ([`Store::set_cutoff`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CutoffOutcome {
    /// Set (or cleared).
    Set,
    /// No such show in the community.
    Missing,
    /// The list froze already, at this moment: a cut-off cannot move after it.
    Frozen(UtcMillis),
}

/// One order as a picking list reads it.
struct Line {
    order: i64,
    resident: ResidentId,
    name: String,
    phone: String,
    qty: i64,
    pickup: PickupId,
    code: String,
    status: OrderStatus,
    handed: i64,
    by_staff: bool,
    product: ProductId,
    show: ShowId,
    /// Units and pickup point at the cut-off, if the order was on the frozen list.
    frozen: Option<(i64, PickupId)>,
}

impl Store {
    /// Sets (or clears, with `None`) `show`'s picking-list cut-off, as `by`. The caller has checked
    /// that `at` is in the future.
    pub async fn set_cutoff(
        &self,
        community: CommunityId,
        show: ShowId,
        at: Option<UtcMillis>,
        by: &Actor,
        now: UtcMillis,
    ) -> Result<CutoffOutcome, StoreError> {
        self.write(1, async |tx| {
            let row = sqlx::query(
                "SELECT cutoff_at, frozen_at FROM shows WHERE id = ? AND community_id = ?",
            )
            .bind(show)
            .bind(community)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(row) = row else {
                return Ok(CutoffOutcome::Missing);
            };
            let (was, frozen): (Option<i64>, Option<i64>) = (row.get(0), row.get(1));
            if let Some(frozen) = frozen {
                return Ok(CutoffOutcome::Frozen(frozen));
            }
            sqlx::query("UPDATE shows SET cutoff_at = ? WHERE id = ?")
                .bind(at)
                .bind(show)
                .execute(&mut *tx)
                .await?;
            let change = Change::new(AuditAction::CutoffSet, Some(show), format!("show {show}"))
                .before(serde_json::json!({ "cutoff_at": was }))
                .after(serde_json::json!({ "cutoff_at": at }));
            super::audit::record(tx, community, by, &change, now).await?;
            Ok(CutoffOutcome::Set)
        })
        .await
    }

    /// Freezes the picking list of every show whose cut-off passed by `now`: its orders not
    /// cancelled, as they are, are kept. Returns the shows frozen.
    pub async fn freeze_due(&self, now: UtcMillis) -> Result<Vec<ShowId>, StoreError> {
        let due: Vec<ShowId> =
            sqlx::query_scalar("SELECT id FROM shows WHERE cutoff_at <= ? AND frozen_at IS NULL")
                .bind(now)
                .fetch_all(&self.pool)
                .await?;
        if due.is_empty() {
            return Ok(due);
        }
        self.write(8, async |tx| {
            let mut frozen = Vec::new();
            for &show in &due {
                if freeze(tx, show, now).await? {
                    frozen.push(show);
                }
            }
            Ok(frozen)
        })
        .await
    }

    /// The picking list of `shows` (all of `community`'s, or `None` if one is not), at every store
    /// or only at `pickups`. A show whose cut-off passed is frozen first.
    pub async fn picking_list(
        &self,
        community: CommunityId,
        shows: &[ShowId],
        pickups: Option<&[PickupId]>,
        now: UtcMillis,
    ) -> Result<Option<PickingList>, StoreError> {
        self.freeze_due(now).await?;
        let mut conn = self.pool.acquire().await?;
        let conn = &mut *conn;
        let marks = vec!["?"; shows.len()].join(", ");
        let sql = format!(
            "SELECT id, title, COALESCE(starts_at, created_at), cutoff_at, frozen_at \
             FROM shows WHERE community_id = ? AND id IN ({marks}) ORDER BY starts_at, id"
        );
        let mut query = sqlx::query_as::<_, (ShowId, String, i64, Option<i64>, Option<i64>)>(&sql)
            .bind(community);
        for show in shows {
            query = query.bind(show);
        }
        let found: Vec<PickShow> = query
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .map(|(id, title, starts_at, cutoff_at, frozen_at)| PickShow {
                id,
                title,
                starts_at,
                cutoff_at,
                frozen_at,
            })
            .collect();
        let mut wanted = shows.to_vec();
        wanted.sort_unstable();
        wanted.dedup();
        if found.len() != wanted.len() || wanted.is_empty() {
            return Ok(None);
        }
        let lines = lines_of(conn, &wanted).await?;
        let points = points_of(conn, community).await?;
        let products = products_of(conn, community).await?;
        let received = received_of(conn, &wanted).await?;
        let frozen = found.iter().all(|s| s.frozen_at.is_some());
        let frozen_shows: Vec<ShowId> = found
            .iter()
            .filter(|s| s.frozen_at.is_some())
            .map(|s| s.id)
            .collect();
        Ok(Some(assemble(
            found,
            lines,
            (points, products, received),
            pickups,
            &frozen_shows,
            (frozen, now),
        )))
    }

    /// `pickup`'s shows of the last 30 days with orders there, newest first, each product with
    /// its orders waiting, ready and picked up. `None` if the pickup point is not `community`'s.
    pub async fn store_day(
        &self,
        community: CommunityId,
        pickup: PickupId,
        now: UtcMillis,
    ) -> Result<Option<StoreDay>, StoreError> {
        self.freeze_due(now).await?;
        let mut conn = self.pool.acquire().await?;
        let point = sqlx::query_as::<_, (String, String)>(
            "SELECT name, address FROM pickup_points WHERE id = ? AND community_id = ?",
        )
        .bind(pickup)
        .bind(community)
        .fetch_optional(&mut *conn)
        .await?;
        let Some((name, address)) = point else {
            return Ok(None);
        };
        let rows = sqlx::query(
            "SELECT s.id, s.title, COALESCE(s.starts_at, s.created_at), s.cutoff_at, s.frozen_at, \
             p.id, p.name, p.unit, COUNT(*), SUM(o.qty), SUM(o.status = 'accepted'), \
             SUM(o.status = 'ready'), SUM(o.status = 'picked_up'), g.at \
             FROM shows s JOIN deals d ON d.show_id = s.id JOIN orders o ON o.deal_id = d.id \
             JOIN products p ON p.id = d.product_id \
             LEFT JOIN goods_received g ON g.show_id = s.id AND g.pickup_id = o.pickup_id \
                  AND g.product_id = p.id \
             WHERE s.community_id = ? AND COALESCE(s.starts_at, s.created_at) > ? \
               AND o.pickup_id = ? AND o.status != 'cancelled' \
             GROUP BY s.id, p.id ORDER BY COALESCE(s.starts_at, s.created_at) DESC, s.id, p.id",
        )
        .bind(community)
        .bind(now - STORE_DAYS_MS)
        .bind(pickup)
        .fetch_all(&mut *conn)
        .await?;
        let mut shows: Vec<StoreShow> = Vec::new();
        for r in &rows {
            let id: ShowId = r.get(0);
            if shows.last().is_none_or(|s| s.show.id != id) {
                shows.push(StoreShow {
                    show: PickShow {
                        id,
                        title: r.get(1),
                        starts_at: r.get(2),
                        cutoff_at: r.get(3),
                        frozen_at: r.get(4),
                    },
                    products: Vec::new(),
                });
            }
            if let Some(show) = shows.last_mut() {
                show.products.push(StoreProduct {
                    product: PickProduct {
                        id: r.get(5),
                        name: r.get(6),
                        unit: r.get(7),
                    },
                    orders: r.get(8),
                    units: r.get(9),
                    waiting: r.get(10),
                    ready: r.get(11),
                    picked_up: r.get(12),
                    received_at: r.get(13),
                });
            }
        }
        Ok(Some(StoreDay {
            pickup,
            name,
            address,
            shows,
        }))
    }
}

/// Keeps `show`'s orders not cancelled as its frozen picking list; `false` if it was frozen already.
async fn freeze(
    conn: &mut SqliteConnection,
    show: ShowId,
    now: UtcMillis,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE shows SET frozen_at = ? WHERE id = ? AND frozen_at IS NULL AND cutoff_at <= ?",
    )
    .bind(now)
    .bind(show)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    let kept = sqlx::query(
        "INSERT INTO picking_frozen (show_id, order_id, pickup_id, product_id, qty) \
         SELECT d.show_id, o.id, o.pickup_id, d.product_id, o.qty FROM orders o \
         JOIN deals d ON d.id = o.deal_id WHERE d.show_id = ? AND o.status != 'cancelled'",
    )
    .bind(show)
    .execute(&mut *conn)
    .await?;
    let community: CommunityId = sqlx::query_scalar("SELECT community_id FROM shows WHERE id = ?")
        .bind(show)
        .fetch_one(&mut *conn)
        .await?;
    let by = Actor {
        staff: None,
        name: "cut-off".into(),
    };
    let change = Change::new(
        AuditAction::PickingFrozen,
        Some(show),
        format!("show {show}"),
    )
    .after(serde_json::json!({ "orders": kept.rows_affected() }));
    super::audit::record(conn, community, &by, &change, now).await?;
    Ok(true)
}

/// Every order of `shows` not cancelled, and the cancelled ones a frozen list holds.
async fn lines_of(conn: &mut SqliteConnection, shows: &[ShowId]) -> Result<Vec<Line>, StoreError> {
    let marks = vec!["?"; shows.len()].join(", ");
    let sql = format!(
        "SELECT o.id, o.resident_id, r.nickname, r.phone, o.qty, o.pickup_id, o.pickup_code, \
         o.status, o.handed, o.placed_by IS NOT NULL, d.product_id, d.show_id, f.qty, f.pickup_id \
         FROM deals d JOIN orders o ON o.deal_id = d.id JOIN residents r ON r.id = o.resident_id \
         LEFT JOIN picking_frozen f ON f.show_id = d.show_id AND f.order_id = o.id \
         WHERE d.show_id IN ({marks}) AND (o.status != 'cancelled' OR f.qty IS NOT NULL) \
         ORDER BY o.id"
    );
    let mut query = sqlx::query(&sql);
    for show in shows {
        query = query.bind(show);
    }
    let rows = query.fetch_all(&mut *conn).await?;
    Ok(rows
        .iter()
        .map(|r| {
            let status: String = r.get(7);
            let frozen: Option<i64> = r.get(12);
            Line {
                order: r.get(0),
                resident: r.get(1),
                name: r.get(2),
                phone: r.get(3),
                qty: r.get(4),
                pickup: r.get(5),
                code: r.get(6),
                status: super::orders::status_named(&status),
                handed: r.get(8),
                by_staff: r.get(9),
                product: r.get(10),
                show: r.get(11),
                frozen: frozen.map(|qty| (qty, r.get(13))),
            }
        })
        .collect())
}

/// The community's pickup points: id → (name, address).
async fn points_of(
    conn: &mut SqliteConnection,
    community: CommunityId,
) -> Result<HashMap<PickupId, (String, String)>, StoreError> {
    let rows = sqlx::query_as::<_, (PickupId, String, String)>(
        "SELECT id, name, address FROM pickup_points WHERE community_id = ?",
    )
    .bind(community)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(|(id, n, a)| (id, (n, a))).collect())
}

/// The community's products.
async fn products_of(
    conn: &mut SqliteConnection,
    community: CommunityId,
) -> Result<HashMap<ProductId, PickProduct>, StoreError> {
    let rows = sqlx::query_as::<_, (ProductId, String, String)>(
        "SELECT id, name, unit FROM products WHERE community_id = ?",
    )
    .bind(community)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, unit)| (id, PickProduct { id, name, unit }))
        .collect())
}

/// When each store marked each product received (the latest, over `shows`).
async fn received_of(
    conn: &mut SqliteConnection,
    shows: &[ShowId],
) -> Result<HashMap<(PickupId, ProductId), UtcMillis>, StoreError> {
    let marks = vec!["?"; shows.len()].join(", ");
    let sql = format!(
        "SELECT pickup_id, product_id, MAX(at) FROM goods_received WHERE show_id IN ({marks}) \
         GROUP BY pickup_id, product_id"
    );
    let mut query = sqlx::query_as::<_, (PickupId, ProductId, UtcMillis)>(&sql);
    for show in shows {
        query = query.bind(show);
    }
    Ok(query
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|(k, p, at)| ((k, p), at))
        .collect())
}

/// Units, orders and frozen units of one product somewhere.
#[derive(Default)]
struct Count {
    units: i64,
    orders: i64,
    handed: i64,
    frozen: i64,
}

impl Count {
    fn line(
        &self,
        product: ProductId,
        frozen: bool,
        received_at: Option<UtcMillis>,
    ) -> ProductLine {
        ProductLine {
            product,
            units: self.units,
            orders: self.orders,
            frozen_units: frozen.then_some(self.frozen),
            received_at,
            handed: self.handed,
        }
    }
}

/// What a list names its stores, products and receipts by.
type Names = (
    HashMap<PickupId, (String, String)>,
    HashMap<ProductId, PickProduct>,
    HashMap<(PickupId, ProductId), UtcMillis>,
);

/// Builds the list from its orders: per store (products, then residents), totals, differences.
fn assemble(
    shows: Vec<PickShow>,
    lines: Vec<Line>,
    (points, products, received): Names,
    pickups: Option<&[PickupId]>,
    frozen_shows: &[ShowId],
    (frozen, now): (bool, UtcMillis),
) -> PickingList {
    let here = |p: PickupId| pickups.is_none_or(|only| only.contains(&p));
    let mut per_point: BTreeMap<PickupId, BTreeMap<ProductId, Count>> = BTreeMap::new();
    let mut totals: BTreeMap<ProductId, Count> = BTreeMap::new();
    let mut people: BTreeMap<PickupId, HashMap<ResidentId, ResidentLine>> = BTreeMap::new();
    let mut differences = Vec::new();
    for line in &lines {
        let live = line.status != OrderStatus::Cancelled;
        if let Some((qty, pickup)) = line.frozen
            && here(pickup)
        {
            per_point
                .entry(pickup)
                .or_default()
                .entry(line.product)
                .or_default()
                .frozen += qty;
            totals.entry(line.product).or_default().frozen += qty;
        }
        let now_qty = if live { line.qty } else { 0 };
        let differs = match line.frozen {
            Some((qty, pickup)) => qty != now_qty || (live && pickup != line.pickup),
            None => frozen_shows.contains(&line.show),
        };
        if differs && (here(line.pickup) || line.frozen.is_some_and(|(_, p)| here(p))) {
            differences.push(Difference {
                order: line.order,
                show: line.show,
                pickup: line.frozen.map_or(line.pickup, |(_, p)| p),
                pickup_now: line.pickup,
                product: line.product,
                name: line.name.clone(),
                code: line.code.clone(),
                frozen_qty: line.frozen.map_or(0, |(q, _)| q),
                qty_now: now_qty,
            });
        }
        if !live || !here(line.pickup) {
            continue;
        }
        for count in [
            per_point
                .entry(line.pickup)
                .or_default()
                .entry(line.product)
                .or_default(),
            totals.entry(line.product).or_default(),
        ] {
            count.units += line.qty;
            count.orders += 1;
            count.handed += line.handed;
        }
        people
            .entry(line.pickup)
            .or_default()
            .entry(line.resident)
            .or_insert_with(|| ResidentLine {
                name: line.name.clone(),
                phone: mask_phone(&line.phone),
                items: Vec::new(),
            })
            .items
            .push(PickItem {
                order: line.order,
                code: line.code.clone(),
                product: line.product,
                qty: line.qty,
                handed: line.handed,
                status: line.status,
                by_staff: line.by_staff,
            });
    }
    let mut named: Vec<PickProduct> = totals
        .keys()
        .filter_map(|id| products.get(id).cloned())
        .collect();
    named.sort_by_key(|p| p.id);
    // In the community's own order of its pickup points (by id), as its staff list them.
    let point_lists: Vec<PointList> = per_point
        .into_iter()
        .map(|(pickup, counts)| {
            let (name, address) = points.get(&pickup).cloned().unwrap_or_default();
            let mut residents: Vec<ResidentLine> = people
                .remove(&pickup)
                .unwrap_or_default()
                .into_values()
                .collect();
            residents.sort_by(|a, b| {
                a.name
                    .cmp(&b.name)
                    .then(a.items[0].order.cmp(&b.items[0].order))
            });
            PointList {
                pickup,
                name,
                address,
                products: counts
                    .iter()
                    .map(|(&product, c)| {
                        c.line(product, frozen, received.get(&(pickup, product)).copied())
                    })
                    .collect(),
                residents,
            }
        })
        .collect();
    PickingList {
        shows,
        made_at: now,
        frozen,
        products: named,
        totals: totals
            .iter()
            .map(|(&product, c)| c.line(product, frozen, None))
            .collect(),
        points: point_lists,
        differences,
    }
}
