//! The store: everything Mulin Live keeps, in SQLite through sqlx. The only module that speaks SQL.
//!
//! Write transactions start with `BEGIN IMMEDIATE`: a deferred transaction that reads and then writes
//! can fail with SQLITE_BUSY_SNAPSHOT, which no busy timeout retries. The database runs in WAL mode with
//! `synchronous = FULL`, so a commit that returned is on disk.

mod audit;
mod bags;
mod catalogue;
mod communities;
mod deals;
mod health;
mod mutes;
mod neighbours;
mod orders;
mod picking;
mod pickup;
mod pulse;
mod report;
mod residents;
mod seed;
mod shows;
mod staff;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use mulin_shared::{ResidentId, Role, ShowId, UtcMillis};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection, Row, SqliteConnection};
use tokio::sync::Mutex;

pub use audit::{Actor, AuditFilter, Change};
pub use bags::{DrawnWinner, StoredBag};
pub use catalogue::{CatalogueChange, CatalogueOf, StoredCatalogue};
pub use communities::{Community, CommunityId, Duplicate, split_label};
pub use deals::NewDeal;
pub use health::{Degraded, SpaceLimits, StoreHealth};
pub use neighbours::Registered;
pub use orders::{Found, NewOrder, OrderChangeOutcome, OrderSearch};
pub use picking::CutoffOutcome;
pub use pickup::{HandOverOutcome, Step, UndoOutcome};
pub use pulse::{BagTimes, TalliedOrder};
pub use residents::{KnownResident, StoredCode};
pub use seed::DemoShow;
pub use shows::ShowChangeProblem;
pub use staff::{InviteProblem, StaffChangeProblem, StaffSeat};

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
    /// What the token may do (`None`: a staff person's token, whose roles are the person's).
    pub role: Option<Role>,
    /// The show a host's or moderator's show token is for.
    pub show: Option<ShowId>,
    /// That show's community.
    pub show_community: Option<CommunityId>,
    /// The staff person a staff token belongs to.
    pub staff: Option<mulin_shared::StaffId>,
    /// The resident a resident token belongs to.
    pub resident: Option<ResidentId>,
    /// The resident's nickname, or the role's name for staff.
    pub nickname: String,
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
        migrate(&writer).await?;
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
            "SELECT t.role, t.show_id, t.resident_id, r.nickname, t.staff_id, s.community_id \
             FROM tokens t LEFT JOIN residents r ON r.id = t.resident_id \
             LEFT JOIN shows s ON s.id = t.show_id WHERE t.hash = ?",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.and_then(|r| {
            let role = match r.get::<String, _>(0).as_str() {
                "resident" => Some(Role::Resident),
                "host" => Some(Role::Host),
                "moderator" => Some(Role::Moderator),
                "staff" => None,
                _ => return None,
            };
            let nickname: Option<String> = r.get(3);
            Some(TokenOwner {
                role,
                show: r.get(1),
                show_community: r.get(5),
                staff: r.get(4),
                resident: r.get(2),
                nickname: nickname
                    .unwrap_or_else(|| role.map(Role::as_str).unwrap_or("staff").to_owned()),
            })
        }))
    }
}

/// Brings the schema up to date. A migration that rebuilds a table other tables refer to (SQLite's
/// only way to change a column) runs with foreign keys off, as SQLite prescribes for that; every
/// reference is checked once all are done, and a broken one stops the store from opening.
async fn migrate(writer: &SqlitePool) -> Result<(), StoreError> {
    let mut conn = writer.acquire().await?;
    sqlx::query("PRAGMA foreign_keys = OFF")
        .execute(&mut *conn)
        .await?;
    let migrated = sqlx::migrate!("./migrations").run(&mut *conn).await;
    let broken = sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(&mut *conn)
        .await?;
    sqlx::query("PRAGMA foreign_keys = ON")
        .execute(&mut *conn)
        .await?;
    migrated?;
    if let Some(row) = broken.first() {
        let table: String = row.try_get(0).unwrap_or_default();
        return Err(StoreError::Corrupt(format!(
            "{} rows name rows that are not there (first in {table})",
            broken.len()
        )));
    }
    Ok(())
}
