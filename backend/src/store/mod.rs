//! The store: everything Mulin Live keeps, in SQLite through sqlx. The only module that speaks SQL.
//!
//! Write transactions start with `BEGIN IMMEDIATE`: a deferred transaction that reads and then writes
//! can fail with SQLITE_BUSY_SNAPSHOT, which no busy timeout retries. The database runs in WAL mode with
//! `synchronous = FULL`, so a commit that returned is on disk.

mod bags;
mod catalogue;
mod residents;
mod seed;
mod shows;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use mulin_shared::{
    Deal, DealId, DealStatus, Order, OrderId, OrderStatus, PickupId, ProductId, ResidentId, Role,
    Show, ShowId, UtcMillis,
};
use sqlx::query_builder::Separated;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection, QueryBuilder, Row, Sqlite, SqliteConnection, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

pub use bags::{DrawnWinner, StoredBag};
pub use catalogue::{CatalogueChange, StoredCatalogue};
pub use residents::{KnownResident, StoredCode};
pub use seed::DemoShow;

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened, read or written.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// The schema could not be brought up to date.
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The database folder could not be created.
    #[error("cannot create {path}: {source}")]
    Dir {
        /// The folder.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A row broke a rule the caller had checked (stock, per-resident limit): the batch was rolled back.
    #[error("store refused the batch: {0}")]
    Conflict(String),
    /// A stored value cannot be what it should be (e.g. a seed of the wrong length).
    #[error("damaged data: {0}")]
    Corrupt(String),
}

/// Who a token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenOwner {
    /// What the token may do.
    pub role: Role,
    /// The show a staff token is for.
    pub show: Option<ShowId>,
    /// The resident a resident token belongs to.
    pub resident: Option<ResidentId>,
    /// The resident's nickname, or the role's name for staff.
    pub nickname: String,
}

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
}

/// Handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    /// Connections for reading.
    pool: SqlitePool,
    /// The one connection that writes. SQLite drops a connection's whole page cache when another
    /// connection has written since its last transaction: writes that rotated over the pool found a
    /// cold cache every time and re-read the order index's pages from the file.
    writer: SqlitePool,
    /// Writers take turns here, first come first served, however long the queue (a sign-in storm
    /// queues thousands): the writer pool's own wait would give up after its acquire timeout.
    write_gate: Arc<Mutex<()>>,
}

/// A write transaction holding the write gate; derefs to the connection for queries.
struct WriteTx {
    tx: Transaction<'static, Sqlite>,
    _gate: OwnedMutexGuard<()>,
}

impl WriteTx {
    async fn commit(self) -> Result<(), StoreError> {
        Ok(self.tx.commit().await?)
    }
}

impl std::ops::Deref for WriteTx {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.tx
    }
}

const ORDER_COLUMNS: &str = "o.id, o.deal_id, o.resident_id, r.nickname, o.qty, o.unit_price, \
     o.pickup_id, o.pickup_code, o.status, o.created_at, o.cancel_reason";

/// Connections to the database file (one writes at a time; the rest read).
const POOL: u32 = 8;

/// Statement sizes for multi-row inserts, largest first: a batch of any size takes a few statements
/// of these shapes, each compiled once and then cached (512 rows × 8 parameters stays far below
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

impl Store {
    /// Opens (creating if needed) the SQLite database at `path` and applies migrations.
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Dir {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5))
            // Each connection may cache 16 MiB of pages: order batches touch index pages all over.
            .pragma("cache_size", "-16384")
            // Statement journals of multi-row inserts stay in memory instead of spilling to a file.
            .pragma("temp_store", "memory")
            // Checkpoint every ~40 MB of WAL instead of ~4 MB: a page rewritten by many commits is
            // copied back to the database once per checkpoint, not once per few commits. The file
            // is trimmed back afterwards. Durability is the same (synchronous=FULL on every commit).
            .pragma("wal_autocheckpoint", "10000")
            .pragma("journal_size_limit", "67108864");
        // WAL is a property of the file, set once here. Asking for it on every new pooled
        // connection needs a lock the busy timeout cannot wait for: under a sign-in storm, opening
        // a connection then failed with "database is locked".
        let first = options
            .clone()
            .journal_mode(SqliteJournalMode::Wal)
            .connect()
            .await?;
        first.close().await?;
        // A local file needs no liveness ping before each use; it would cost a thread hop per query.
        // All connections are opened now, not in the middle of a storm.
        let pool = SqlitePoolOptions::new()
            .max_connections(POOL)
            .min_connections(POOL)
            .test_before_acquire(false)
            .connect_with(options.clone())
            .await?;
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .test_before_acquire(false)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&writer).await?;
        Ok(Store {
            pool,
            writer,
            write_gate: Arc::new(Mutex::new(())),
        })
    }

    async fn begin_write(&self) -> Result<WriteTx, StoreError> {
        let gate = self.write_gate.clone().lock_owned().await;
        Ok(WriteTx {
            tx: self.writer.begin_with("BEGIN IMMEDIATE").await?,
            _gate: gate,
        })
    }

    /// The show, if it exists.
    pub async fn show(&self, id: ShowId) -> Result<Option<Show>, StoreError> {
        let row = sqlx::query("SELECT id, title, community FROM shows WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| Show {
            id: r.get(0),
            title: r.get(1),
            community: r.get(2),
        }))
    }

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

    /// Stores a new live deal and returns it.
    pub async fn insert_deal(&self, new: &NewDeal) -> Result<Deal, StoreError> {
        let mut tx = self.begin_write().await?;
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
        tx.commit().await?;
        Ok(Deal {
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
        })
    }

    /// Marks a deal ended at `now` (its end time moves to `now` if it was later).
    pub async fn end_deal(&self, deal: DealId, now: UtcMillis) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE deals SET status = 'ended', ends_at = MIN(ends_at, ?) WHERE id = ?")
            .bind(now)
            .bind(deal)
            .execute(&mut *tx)
            .await?;
        tx.commit().await
    }

    /// Moves a live deal's closing time; whether the deal was live.
    pub async fn extend_deal(&self, deal: DealId, ends_at: UtcMillis) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE deals SET ends_at = ? WHERE id = ? AND status = 'live'")
            .bind(ends_at)
            .bind(deal)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
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

    /// Remembers the deal the host pinned (or that they chose none).
    pub async fn set_pinned_deal(
        &self,
        show: ShowId,
        deal: Option<DealId>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE shows SET pinned_deal = ? WHERE id = ?")
            .bind(deal.unwrap_or(0))
            .bind(show)
            .execute(&mut *tx)
            .await?;
        tx.commit().await
    }

    /// Adds units to a live deal's stock; whether the deal was live.
    pub async fn restock(&self, deal: DealId, units: i64) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let done =
            sqlx::query("UPDATE deals SET stock = stock + ? WHERE id = ? AND status = 'live'")
                .bind(units)
                .bind(deal)
                .execute(&mut *tx)
                .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

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
            "SELECT {ORDER_COLUMNS}, o.key FROM orders o JOIN residents r ON r.id = o.resident_id \
             WHERE o.deal_id = ?"
        ))
        .bind(deal)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get(11), order_from_row(r)))
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
        let mut tx = self.begin_write().await?;
        let limit: Option<i64> = sqlx::query_scalar(
            "UPDATE deals SET sold = sold + ? WHERE id = ? AND status = 'live' AND sold + ? <= stock \
             RETURNING per_resident_limit",
        )
        .bind(total)
        .bind(deal)
        .bind(total)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(limit) = limit else {
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
            &mut tx,
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
            &mut tx,
            "INSERT INTO orders (deal_id, resident_id, qty, unit_price, pickup_id, pickup_code, \
             key, created_at) ",
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
                    .push_bind(o.created_at);
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
            })
            .collect();
        tx.commit().await?;
        Ok(stored)
    }

    /// One order and the show it was bought in.
    pub async fn order(&self, id: OrderId) -> Result<Option<(Order, ShowId)>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {ORDER_COLUMNS}, d.show_id FROM orders o JOIN residents r ON r.id = o.resident_id \
             JOIN deals d ON d.id = o.deal_id WHERE o.id = ?"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| (order_from_row(&r), r.get(11))))
    }

    /// Cancels an accepted order and gives its units back to the deal, in one transaction.
    /// `None` when the order is not (or no longer) accepted.
    pub async fn cancel_order(
        &self,
        id: OrderId,
        reason: Option<&str>,
    ) -> Result<Option<Order>, StoreError> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "UPDATE orders SET status = 'cancelled', cancel_reason = ? \
             WHERE id = ? AND status = 'accepted' RETURNING deal_id, qty",
        )
        .bind(reason)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let (deal, qty): (i64, i64) = (row.get(0), row.get(1));
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
            "SELECT {ORDER_COLUMNS} FROM orders o JOIN residents r ON r.id = o.resident_id WHERE o.id = ?"
        ))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(order_from_row(&order)))
    }

    /// The show's orders, newest first, at most `limit`.
    pub async fn show_orders(&self, show: ShowId, limit: i64) -> Result<Vec<Order>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ORDER_COLUMNS} FROM orders o JOIN residents r ON r.id = o.resident_id \
             JOIN deals d ON d.id = o.deal_id WHERE d.show_id = ? ORDER BY o.id DESC LIMIT ?"
        ))
        .bind(show)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(order_from_row).collect())
    }

    /// One resident's orders in a show, newest first.
    pub async fn resident_orders(
        &self,
        show: ShowId,
        resident: ResidentId,
    ) -> Result<Vec<Order>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ORDER_COLUMNS} FROM orders o JOIN residents r ON r.id = o.resident_id \
             JOIN deals d ON d.id = o.deal_id WHERE d.show_id = ? AND o.resident_id = ? \
             ORDER BY o.id DESC"
        ))
        .bind(show)
        .bind(resident)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(order_from_row).collect())
    }

    /// Stores the hash of a host's or moderator's token for one show.
    pub async fn create_staff_token(
        &self,
        role: Role,
        show: ShowId,
        token_hash: &str,
        now: UtcMillis,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO tokens (hash, role, show_id, created_at) VALUES (?, ?, ?, ?)")
            .bind(token_hash)
            .bind(role_name(role))
            .bind(show)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await
    }

    /// The secret called `name`: created from `fresh` by the first caller, the same for every caller
    /// after (also on other nodes sharing the database).
    pub async fn secret(&self, name: &str, fresh: &[u8]) -> Result<Vec<u8>, StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(fresh)
        .execute(&mut *tx)
        .await?;
        let value: Vec<u8> = sqlx::query_scalar("SELECT value FROM secrets WHERE name = ?")
            .bind(name)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(value)
    }

    /// Who holds the token with this hash, if anyone.
    pub async fn token_owner(&self, token_hash: &str) -> Result<Option<TokenOwner>, StoreError> {
        let row = sqlx::query(
            "SELECT t.role, t.show_id, t.resident_id, r.nickname FROM tokens t \
             LEFT JOIN residents r ON r.id = t.resident_id WHERE t.hash = ?",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.and_then(|r| {
            let role = match r.get::<String, _>(0).as_str() {
                "resident" => Role::Resident,
                "host" => Role::Host,
                "moderator" => Role::Moderator,
                _ => return None,
            };
            let nickname: Option<String> = r.get(3);
            Some(TokenOwner {
                role,
                show: r.get(1),
                resident: r.get(2),
                nickname: nickname.unwrap_or_else(|| role_name(role).to_owned()),
            })
        }))
    }
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Resident => "resident",
        Role::Host => "host",
        Role::Moderator => "moderator",
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

fn order_from_row(r: &SqliteRow) -> Order {
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
        status: match status.as_str() {
            "cancelled" => OrderStatus::Cancelled,
            "picked_up" => OrderStatus::PickedUp,
            _ => OrderStatus::Accepted,
        },
        created_at: r.get(9),
        cancel_reason: r.get(10),
    }
}
