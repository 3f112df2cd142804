//! The store: everything Mulin Live keeps, in SQLite through sqlx. The only module that speaks SQL.
//!
//! Write transactions start with `BEGIN IMMEDIATE`: a deferred transaction that reads and then writes
//! can fail with SQLITE_BUSY_SNAPSHOT, which no busy timeout retries. The database runs in WAL mode with
//! `synchronous = FULL`, so a commit that returned is on disk.

mod bags;
mod catalogue;
mod communities;
mod health;
mod orders;
mod residents;
mod seed;
mod shows;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use mulin_shared::{
    Deal, DealId, DealStatus, ProductId, ResidentId, Role, Show, ShowId, UtcMillis,
};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection, Row, SqliteConnection};
use tokio::sync::Mutex;

pub use bags::{DrawnWinner, StoredBag};
pub use catalogue::{CatalogueChange, StoredCatalogue};
pub use communities::{Community, CommunityId, split_label};
pub use health::{Degraded, SpaceLimits, StoreHealth};
pub use orders::NewOrder;
pub use residents::{KnownResident, StoredCode};
pub use seed::DemoShow;

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened, read or written.
    #[error("database: {0}")]
    Db(sqlx::Error),
    /// The store cannot write just now: its disk is full or failing, the database file is
    /// read-only or gone, or another process holds the lock too long. Nothing was written; the
    /// same request may succeed shortly (`store_unavailable` on the wire).
    #[error("the store cannot write: {0}")]
    Unavailable(String),
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

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> StoreError {
        if health::cannot_write(&e) {
            StoreError::Unavailable(e.to_string())
        } else {
            StoreError::Db(e)
        }
    }
}

/// What a client is told while the store cannot write (`store_unavailable`): the database's own
/// words are for the operator's log and `/api/health`.
pub const UNAVAILABLE_MESSAGE: &str =
    "the server cannot save anything just now; please try again shortly";

impl StoreError {
    /// Whether the request may succeed if tried again shortly, unchanged.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
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
    /// Whether writes succeed, and the room on the disk (`health`).
    health: Arc<health::WriteHealth>,
}

/// Whether the pool may hand out `conn`: not if it is still counted inside a transaction.
///
/// A transaction dropped on an error is rolled back by a ROLLBACK sqlx queues on the connection.
/// When the error was a full disk or an I/O error at COMMIT, SQLite has already rolled the
/// transaction back itself, that ROLLBACK fails ("no transaction is active"), and sqlx goes on
/// counting one open transaction on the connection: every BEGIN after it failed, until a restart.
/// The ping waits for the queued ROLLBACK (a connection runs its commands in order); a connection
/// still counted inside a transaction then, or one that cannot answer, is closed, and the pool
/// opens a fresh one in its place.
async fn not_left_in_a_transaction(conn: &mut SqliteConnection) -> Result<bool, sqlx::Error> {
    conn.ping().await?;
    if conn.is_in_transaction() {
        // Debug, not a warning: on a full disk every failed batch ends this way, and the store's
        // health has said why once.
        tracing::debug!("a database connection was left inside a failed transaction: replaced");
        return Ok(false);
    }
    Ok(true)
}

/// Connections to the database file (one writes at a time; the rest read).
const POOL: u32 = 8;

impl Store {
    /// Opens (creating if needed) the SQLite database at `path` and applies migrations, with the
    /// default free-space thresholds.
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_with(path, SpaceLimits::default()).await
    }

    /// [`Store::open`] with free-space thresholds of its own.
    pub async fn open_with(path: &Path, limits: SpaceLimits) -> Result<Store, StoreError> {
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
            .before_acquire(|conn, _| Box::pin(not_left_in_a_transaction(conn)))
            .connect_with(options.clone())
            .await?;
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .test_before_acquire(false)
            .before_acquire(|conn, _| Box::pin(not_left_in_a_transaction(conn)))
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&writer).await?;
        Ok(Store {
            pool,
            writer,
            write_gate: Arc::new(Mutex::new(())),
            health: Arc::new(health::WriteHealth::new(path, limits)),
        })
    }

    /// Runs `work` in a write transaction once it is this writer's turn, and commits what it did
    /// (an `Err` rolls it all back). `pages` is about how many 4 KiB pages it may write: the write
    /// does not start unless the disk keeps its reserve after them. Every outcome is recorded in
    /// the store's health: a write the store could not carry out degrades it, a commit clears it.
    async fn write<T>(
        &self,
        pages: u64,
        work: impl AsyncFnOnce(&mut SqliteConnection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let _gate = self.write_gate.lock().await;
        self.health
            .check_room(pages)
            .map_err(StoreError::Unavailable)?;
        let done = async {
            let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
            let value = work(&mut tx).await?;
            tx.commit().await?;
            Ok(value)
        }
        .await;
        match &done {
            Ok(_) => self.health.succeeded(),
            Err(StoreError::Unavailable(why)) => self.health.failed(why),
            Err(_) => {}
        }
        done
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
        self.write(1, async |tx| {
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
        })
        .await
    }

    /// Marks a deal ended at `now` (its end time moves to `now` if it was later).
    pub async fn end_deal(&self, deal: DealId, now: UtcMillis) -> Result<(), StoreError> {
        self.write(1, async |tx| {
            sqlx::query(
                "UPDATE deals SET status = 'ended', ends_at = MIN(ends_at, ?) WHERE id = ?",
            )
            .bind(now)
            .bind(deal)
            .execute(&mut *tx)
            .await?;
            Ok(())
        })
        .await
    }

    /// Moves a live deal's closing time; whether the deal was live.
    pub async fn extend_deal(&self, deal: DealId, ends_at: UtcMillis) -> Result<bool, StoreError> {
        self.write(1, async |tx| {
            let done = sqlx::query("UPDATE deals SET ends_at = ? WHERE id = ? AND status = 'live'")
                .bind(ends_at)
                .bind(deal)
                .execute(&mut *tx)
                .await?;
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

    /// Remembers the deal the host pinned (or that they chose none).
    pub async fn set_pinned_deal(
        &self,
        show: ShowId,
        deal: Option<DealId>,
    ) -> Result<(), StoreError> {
        self.write(1, async |tx| {
            sqlx::query("UPDATE shows SET pinned_deal = ? WHERE id = ?")
                .bind(deal.unwrap_or(0))
                .bind(show)
                .execute(&mut *tx)
                .await?;
            Ok(())
        })
        .await
    }

    /// Adds units to a live deal's stock; whether the deal was live.
    pub async fn restock(&self, deal: DealId, units: i64) -> Result<bool, StoreError> {
        self.write(1, async |tx| {
            let done =
                sqlx::query("UPDATE deals SET stock = stock + ? WHERE id = ? AND status = 'live'")
                    .bind(units)
                    .bind(deal)
                    .execute(&mut *tx)
                    .await?;
            Ok(done.rows_affected() == 1)
        })
        .await
    }

    /// Stores the hash of a host's or moderator's token for one show.
    pub async fn create_staff_token(
        &self,
        role: Role,
        show: ShowId,
        token_hash: &str,
        now: UtcMillis,
    ) -> Result<(), StoreError> {
        self.write(1, async |tx| {
            sqlx::query("INSERT INTO tokens (hash, role, show_id, created_at) VALUES (?, ?, ?, ?)")
                .bind(token_hash)
                .bind(role.as_str())
                .bind(show)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            Ok(())
        })
        .await
    }

    /// The secret called `name`: created from `fresh` by the first caller, the same for every caller
    /// after (also on other nodes sharing the database).
    pub async fn secret(&self, name: &str, fresh: &[u8]) -> Result<Vec<u8>, StoreError> {
        self.write(1, async |tx| {
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
            Ok(value)
        })
        .await
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
                nickname: nickname.unwrap_or_else(|| role.as_str().to_owned()),
            })
        }))
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
