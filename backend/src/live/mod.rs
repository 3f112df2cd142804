//! Live rooms: what every viewer of a show sees, and the deal desks that decide orders.
//!
//! Knows nothing of HTTP or sockets: it hands out serialized frames ([`Frame`]) and decisions, and the
//! api layer carries them.

mod bag;
mod desk;
mod room;
mod seal;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use mulin_shared::control::Mute;
use mulin_shared::{CatalogueProblem, CommunityId, ErrorCode, ShowId};
use tokio::sync::Mutex;

use crate::store::{Store, StoreError};

pub use desk::{Answer, AnswerTo, Buyer, Canceller, Decision};
pub use room::{BagSpec, DealSpec, Inbox, Room, ViewerGuard};
pub use room::{Screen, Snapshot};
pub use seal::{KEY_NAME as SEAL_KEY_NAME, PickupSeal, SealError};

/// A serialized server message, made once and shared by every connection that sends it.
pub type Frame = bytes::Bytes;

/// What can go wrong in a live room.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// No such show.
    #[error("no show {0}")]
    UnknownShow(ShowId),
    /// The show ended or was cancelled: nothing more is launched or opened in it.
    #[error("show {0} has ended or was cancelled; nothing more can be launched or opened in it")]
    ShowClosed(ShowId),
    /// No such deal in this show.
    #[error("no deal {0} in this show")]
    UnknownDeal(i64),
    /// No such product in this show.
    #[error("no product {0} in this show")]
    UnknownProduct(i64),
    /// No such pickup point in this show.
    #[error("no pickup point {0} in this show")]
    UnknownPickup(i64),
    /// No such order in this show.
    #[error("no order {0} in this show")]
    UnknownOrder(i64),
    /// A cancellation's reason is not acceptable.
    #[error("{0}")]
    InvalidReason(String),
    /// The order is already cancelled or picked up (wholly, or in part), or, for a change, its
    /// goods are at the store already.
    #[error(
        "order {0} is closed to this: it was cancelled or picked up, or (for a change) its goods are at the store already"
    )]
    NotCancellable(i64),
    /// The order is not as the page that asked showed it: nothing was done.
    #[error(
        "order {} changed meanwhile: it is now {} unit(s) for pickup point {}; look at it again",
        .0.id, .0.qty, .0.pickup
    )]
    OrderChanged(Box<mulin_shared::Order>),
    /// Quantity below 1 (or absurdly large).
    #[error("quantity must be between 1 and {max}, got {got}")]
    InvalidQuantity {
        /// What was asked.
        got: i64,
        /// The most that can ever be asked.
        max: i64,
    },
    /// Empty or over-long purchase key.
    #[error("a purchase key must be 1–64 bytes")]
    InvalidKey,
    /// Deal fields out of range.
    #[error("{0}")]
    InvalidDeal(String),
    /// The desk is gone (shutting down).
    #[error("the deal desk is not taking orders; retry shortly")]
    Unavailable,
    /// The store failed; nothing was acknowledged.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A batch could not be committed; this order was not stored and may be retried with its key.
    #[error("the order was not stored; please retry")]
    NotStored,
    /// A batch could not be committed because the store cannot write just now (a full disk, a
    /// failing or read-only file): nothing was stored; the same request may succeed shortly.
    #[error("{}", crate::store::UNAVAILABLE_MESSAGE)]
    StoreUnavailable,
    /// An order's change is not acceptable (more units, nothing to change, a long reason).
    #[error("{0}")]
    InvalidChange(String),
    /// Lucky-bag fields out of range.
    #[error("{0}")]
    InvalidBag(String),
    /// No such lucky bag in this show.
    #[error("no lucky bag {0} in this show")]
    UnknownBag(i64),
    /// A bag is open already.
    #[error("this show already has an open lucky bag")]
    BagAlreadyOpen,
    /// The bag takes no more entries.
    #[error("this lucky bag is closed")]
    BagClosed,
    /// The bag is for residents who ordered in this show.
    #[error("this lucky bag is for residents who ordered in this show")]
    NotEligible,
    /// A product field is not acceptable.
    #[error("{0}")]
    InvalidProduct(CatalogueProblem),
    /// A pickup point field is not acceptable.
    #[error("{0}")]
    InvalidPickup(CatalogueProblem),
    /// A product or pickup point is still named by deals, orders or a bag.
    #[error("{0}")]
    InUse(String),
}

impl LiveError {
    /// What everyone waiting on a batch that `e` failed hears: retry shortly if the store cannot
    /// write, or a plain "not stored" (the why stays in the log).
    pub(crate) fn batch_failed(e: &StoreError) -> LiveError {
        if e.is_unavailable() {
            LiveError::StoreUnavailable
        } else {
            LiveError::NotStored
        }
    }

    /// The wire code for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            LiveError::UnknownShow(_) => ErrorCode::UnknownShow,
            LiveError::ShowClosed(_) => ErrorCode::ShowClosed,
            LiveError::UnknownDeal(_) => ErrorCode::UnknownDeal,
            LiveError::UnknownProduct(_) => ErrorCode::UnknownProduct,
            LiveError::UnknownPickup(_) => ErrorCode::UnknownPickup,
            LiveError::UnknownOrder(_) => ErrorCode::UnknownOrder,
            LiveError::NotCancellable(_) => ErrorCode::NotCancellable,
            LiveError::OrderChanged(_) => ErrorCode::OrderChanged,
            LiveError::InvalidReason(_) => ErrorCode::InvalidReason,
            LiveError::InvalidQuantity { .. } => ErrorCode::InvalidQuantity,
            LiveError::InvalidKey => ErrorCode::InvalidKey,
            LiveError::InvalidDeal(_) => ErrorCode::InvalidDeal,
            LiveError::Unavailable => ErrorCode::Unavailable,
            LiveError::Store(e) if e.is_unavailable() => ErrorCode::StoreUnavailable,
            LiveError::StoreUnavailable => ErrorCode::StoreUnavailable,
            LiveError::Store(_) | LiveError::NotStored => ErrorCode::Internal,
            LiveError::InvalidChange(_) => ErrorCode::InvalidMessage,
            LiveError::InvalidBag(_) => ErrorCode::InvalidBag,
            LiveError::UnknownBag(_) => ErrorCode::UnknownBag,
            LiveError::BagAlreadyOpen => ErrorCode::BagAlreadyOpen,
            LiveError::BagClosed => ErrorCode::BagClosed,
            LiveError::NotEligible => ErrorCode::NotEligible,
            LiveError::InvalidProduct(_) => ErrorCode::InvalidProduct,
            LiveError::InvalidPickup(_) => ErrorCode::InvalidPickup,
            LiveError::InUse(_) => ErrorCode::InUse,
        }
    }
}

/// Counters of the deal desks on this node, for operators and benchmarks.
#[derive(Debug, Default)]
pub struct Metrics {
    decisions: AtomicU64,
    commits: AtomicU64,
    committed_orders: AtomicU64,
}

/// A reading of [`Metrics`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct MetricsSnapshot {
    /// Purchase requests decided (accepted or refused), retries of known keys included.
    pub decisions: u64,
    /// Order transactions committed.
    pub commits: u64,
    /// Orders written by those transactions.
    pub committed_orders: u64,
}

impl Metrics {
    pub(crate) fn decided(&self, n: u64) {
        self.decisions.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn committed(&self, orders: u64) {
        self.commits.fetch_add(1, Ordering::Relaxed);
        self.committed_orders.fetch_add(orders, Ordering::Relaxed);
    }

    /// The counters now.
    pub fn snapshot(&self) -> MetricsSnapshot {
        MetricsSnapshot {
            decisions: self.decisions.load(Ordering::Relaxed),
            commits: self.commits.load(Ordering::Relaxed),
            committed_orders: self.committed_orders.load(Ordering::Relaxed),
        }
    }
}

/// The deal desks' own thread. A desk spends its life waiting on the store; on the shared runtime
/// each of those waits ended at the back of a run queue holding thousands of connection tasks (a
/// batch's answers wake that many at once), so a commit's few round trips took 50–100 ms of queueing
/// under a spike. On their own thread the desks run as soon as the store answers.
#[derive(Debug)]
struct DeskThread {
    handle: tokio::runtime::Handle,
    /// Dropping it ends the thread (and with it any desk still running).
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl DeskThread {
    fn start() -> std::io::Result<DeskThread> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("mulin-desks".into())
            .spawn(move || {
                runtime.block_on(async {
                    let _ = stopped.await;
                });
            })?;
        Ok(DeskThread {
            handle,
            _stop: stop,
        })
    }
}

/// Every open room of this node, made on first use.
#[derive(Debug)]
pub struct Live {
    store: Store,
    max_batch: usize,
    metrics: Arc<Metrics>,
    desks: DeskThread,
    // A tokio mutex held while a room loads, so two first viewers can never start two desks for a deal.
    rooms: Mutex<HashMap<ShowId, Arc<Room>>>,
    mutes: Mutes,
    seal: Arc<PickupSeal>,
}

/// The mutes in force per community, read from the store on a community's first purchase and again
/// after every change (so a purchase checks memory, not the store). `changes` counts the changes: a
/// list read before one is not kept after it.
#[derive(Debug, Default)]
struct Mutes {
    lists: std::sync::RwLock<HashMap<CommunityId, Arc<Vec<Mute>>>>,
    changes: AtomicU64,
}

impl Live {
    /// A registry over `store`; desks commit at most `max_batch` orders per transaction. Fails only
    /// if the desks' thread cannot be started.
    /// `seal` makes the values of residents' pickup QR codes.
    pub fn new(store: Store, max_batch: usize, seal: PickupSeal) -> std::io::Result<Live> {
        Ok(Live {
            seal: Arc::new(seal),
            store,
            max_batch: max_batch.max(1),
            metrics: Arc::new(Metrics::default()),
            desks: DeskThread::start()?,
            rooms: Mutex::new(HashMap::new()),
            mutes: Mutes::default(),
        })
    }

    /// The mute in force for `resident` in `community` at `now`, if any.
    pub async fn muted(
        &self,
        community: CommunityId,
        resident: mulin_shared::ResidentId,
        now: mulin_shared::UtcMillis,
    ) -> Result<Option<Mute>, LiveError> {
        let held = self
            .mutes
            .lists
            .read()
            .ok()
            .and_then(|lists| lists.get(&community).cloned());
        let list = match held {
            Some(list) => list,
            None => {
                let seen = self.mutes.changes.load(Ordering::SeqCst);
                let list = Arc::new(self.store.mutes_in_force(community, now).await?);
                if let Ok(mut lists) = self.mutes.lists.write()
                    && self.mutes.changes.load(Ordering::SeqCst) == seen
                {
                    lists.insert(community, list.clone());
                }
                list
            }
        };
        Ok(list
            .iter()
            .find(|m| m.resident == resident && m.until.is_none_or(|until| until > now))
            .cloned())
    }

    /// After a mute in `community` was made or lifted: the next purchase reads the list again.
    pub fn mutes_changed(&self, community: CommunityId) {
        self.mutes.changes.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut lists) = self.mutes.lists.write() {
            lists.remove(&community);
        }
    }

    /// What seals and opens pickup QR values.
    pub fn seal(&self) -> &PickupSeal {
        &self.seal
    }

    /// After orders of `community` moved on in their life (goods received, handed over, undone,
    /// not collected): each resident's open pages hear of it in whichever of the community's rooms
    /// they follow on this node, and the staff of each order's own show see it.
    pub async fn orders_moved(&self, community: CommunityId, orders: &[mulin_shared::Order]) {
        if orders.is_empty() {
            return;
        }
        let rooms: Vec<Arc<Room>> = self
            .rooms
            .lock()
            .await
            .values()
            .filter(|r| r.community() == community)
            .cloned()
            .collect();
        for room in rooms {
            room.orders_moved(orders);
        }
    }

    /// The desks' counters.
    pub fn metrics(&self) -> MetricsSnapshot {
        self.metrics.snapshot()
    }

    /// The room of `show`, loading it (and starting its deal desks) on first use.
    pub async fn room(&self, show: ShowId) -> Result<Arc<Room>, LiveError> {
        let mut rooms = self.rooms.lock().await;
        if let Some(room) = rooms.get(&show) {
            return Ok(room.clone());
        }
        let room = Room::load(
            self.store.clone(),
            show,
            self.max_batch,
            self.metrics.clone(),
            self.desks.handle.clone(),
            self.seal.clone(),
        )
        .await?;
        rooms.insert(show, room.clone());
        Ok(room)
    }

    /// After a change to `community`'s catalogue: every open room of the community on this node
    /// but `except`'s (which did it) reads it again (the shows of a community share it) and tells
    /// its viewers. A room that cannot read it now keeps the one it holds and is logged; the change
    /// itself is stored.
    pub async fn share_catalogue(
        &self,
        community: crate::store::CommunityId,
        except: Option<ShowId>,
    ) {
        let others: Vec<Arc<Room>> = self
            .rooms
            .lock()
            .await
            .values()
            .filter(|r| Some(r.show()) != except && r.community() == community)
            .cloned()
            .collect();
        for room in others {
            if let Err(e) = room.reload_catalogue().await {
                tracing::warn!(show = room.show(), error = %e, "catalogue not reloaded");
            }
        }
    }

    /// After `show` ended or was cancelled: its deals still on sale end and its open lucky bag
    /// is drawn, logged as `by`'s. The room is opened for it if it was not (the desks live there).
    pub async fn close_show(&self, show: ShowId, by: &crate::store::Actor) {
        match self.room(show).await {
            Ok(room) => room.close(by).await,
            Err(e) => tracing::error!(show, error = %e, "show closed, but its room did not open"),
        }
    }

    /// Keeps every open room's peak viewer count in the store, every few seconds, until `stop`
    /// resolves (for the shows' reports: a write per room whose peak rose, none otherwise).
    pub async fn keep_peaks(self: Arc<Self>, stop: impl std::future::Future<Output = ()>) {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(5));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(stop);
        loop {
            tokio::select! {
                _ = &mut stop => return,
                _ = every.tick() => {}
            }
            let rooms: Vec<Arc<Room>> = self.rooms.lock().await.values().cloned().collect();
            for room in rooms {
                room.keep_peak().await;
            }
        }
    }

    /// Every `interval` until `stop` resolves: ready orders whose pickup window ended become not
    /// collected (their residents hear of it), and picking lists whose cut-off passed freeze. Every
    /// node may do it: each change is a guarded update, done once whoever comes first.
    pub async fn keep_pickup_clock(
        self: Arc<Self>,
        interval: std::time::Duration,
        stop: impl std::future::Future<Output = ()>,
    ) {
        let mut every = tokio::time::interval(interval);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(stop);
        loop {
            tokio::select! {
                _ = &mut stop => return,
                _ = every.tick() => {}
            }
            let now = crate::now_ms();
            match self.store.lapse_uncollected(now).await {
                Ok(lapsed) => {
                    let mut by_community: HashMap<CommunityId, Vec<mulin_shared::Order>> =
                        HashMap::new();
                    for (community, order) in lapsed {
                        by_community.entry(community).or_default().push(order);
                    }
                    for (community, orders) in by_community {
                        self.orders_moved(community, &orders).await;
                    }
                }
                Err(e) => tracing::warn!(error = %e, "pickup windows not checked"),
            }
            if let Err(e) = self.store.freeze_due(now).await {
                tracing::warn!(error = %e, "picking lists not frozen");
            }
        }
    }

    /// The most viewers `show` had at once on this node, if its room is open here (the store's
    /// figure may be a few seconds behind it).
    pub async fn peak_viewers(&self, show: ShowId) -> Option<u64> {
        let room = self.rooms.lock().await.get(&show).cloned()?;
        Some(room.peak_viewers())
    }

    /// After a change to the show itself (title, start, stream, status): its room, if open on
    /// this node, reads it again and tells its viewers.
    pub async fn show_changed(&self, show: ShowId) {
        let room = self.rooms.lock().await.get(&show).cloned();
        if let Some(room) = room
            && let Err(e) = room.reload_catalogue().await
        {
            tracing::warn!(show, error = %e, "show not reloaded");
        }
    }
}
