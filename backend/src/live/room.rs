//! A show's room: the catalogue, the live deals and the viewers following them.
//!
//! The room's public state is serialized once per change into a shared [`Snapshot`] behind a `watch`,
//! so ten thousand viewers cost one serialization, not ten thousand. Changes are coalesced: at most
//! one push per [`PUSH_INTERVAL`], however many orders land in it, and for changes of the viewer
//! count alone one per [`COUNT_INTERVAL`]. A change is published at once when the last push is old
//! enough (so the state a batch of orders produced goes out together with their answers),
//! otherwise by the publisher task when the interval has passed.
//!
//! Viewers are spread over [`FAN_OUT_SHARDS`] lists of [`Screen`]s, in runs of [`SHARD_RUN`]
//! consecutive joiners, each list served by a delivery task of its own. A delivery task hands each
//! new state straight to its viewers' connections, which write it to the socket at once when it can
//! take it without waiting. Waking a task per viewer instead (ten thousand wake-ups, polls and
//! cross-thread hand-offs per state) cost as much CPU as the writes themselves. In a room of more
//! than one run the shards spread one state over both cores, and purchase answers that arrive
//! meanwhile wait behind one shard at most, not behind every viewer.

mod bags;
mod catalogue;
mod deals;
mod orders;
mod personal;
mod publish;
mod pulse;
mod requests;

use publish::{deliver, lock_screens, publisher};

pub use bags::BagSpec;
pub use personal::Inbox;
pub use pulse::Refusals;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use mulin_shared::{
    BagPhase, Deal, DealId, DealStatus, LuckyBag, Order, ProductId, ResidentId, RoomEvent,
    ServerMsg, ShowId, UtcMillis,
};
use tokio::sync::{Notify, broadcast, mpsc, oneshot, watch};
use tokio::time::Instant;

use super::bag::{self, BagCmd};
use super::desk::{self, DeskCmd};
use super::{Frame, LiveError, Metrics};
use crate::now_ms;
use crate::store::Store;
use catalogue::Catalogue;

/// Shortest time between two pushes of the room state.
pub const PUSH_INTERVAL: Duration = Duration::from_millis(100);

/// Pushes at most this often for changes of the viewer count alone. Nobody reads a count ten
/// times a second, and it changes with every join and leave: at a show's start, or when ten
/// thousand viewers come back after a restart, ten pushes a second of nothing else to everyone
/// took the cores that the joins themselves needed. A stock change still goes out within
/// [`PUSH_INTERVAL`], with the count as it is then.
pub const COUNT_INTERVAL: Duration = Duration::from_secs(1);

/// Lists the room's viewers are spread over, each with its delivery task (see the module notes).
const FAN_OUT_SHARDS: usize = 64;

/// Viewers who join one after another that go to the same shard before the next shard gets any.
/// A shard then walks sockets that were opened together and sit together in the kernel's memory;
/// dealt out one by one instead, every write landed on a cold socket and cost more (see
/// docs/BENCHMARKS.md). A run of writes this long takes a few milliseconds.
const SHARD_RUN: usize = 256;

/// Room events kept for viewers that have not read them yet; one further behind is sent the current
/// state instead (see `ServerMsg::Event`).
const EVENT_BACKLOG: usize = 32;

/// How many recent orders a room keeps for moderators joining mid-show.
const RECENT_ORDERS: usize = 200;

/// Largest stock or quantity anyone can ask for; keeps sums far from overflow.
pub(super) const MAX_UNITS: i64 = 1_000_000;

/// Largest price in fen (1 million yuan).
pub(super) const MAX_PRICE: i64 = 100_000_000;

/// Longest a deal may run.
pub(super) const MAX_DEAL_MS: i64 = 7 * 24 * 60 * 60 * 1000;

/// One published room state: its version and its serialized `Room` frame.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The show it belongs to.
    pub show: ShowId,
    /// Grows by one per publication; a connection that already sent this version skips it.
    pub version: u64,
    /// The catalogue version this state goes with: a connection whose client holds an older
    /// catalogue sends the new `ShowInfo` ([`Room::info`]) first.
    pub catalogue: u64,
    /// The serialized `ServerMsg::Room`.
    pub frame: Frame,
}

/// A viewer's connection as the room sees it: something a new state can be handed to without
/// waiting. The connection knows what it sent and whether its socket is free (`api::session`).
pub trait Screen: Send + Sync {
    /// Hands `snapshot` over: written at once when the connection can take it without waiting,
    /// otherwise left to the connection's own writer, which is woken to send the newest state.
    /// Never blocks. `false` once the connection no longer follows this show: the room forgets it.
    fn offer(&self, snapshot: &Snapshot) -> bool;
}

/// One shard of a room's viewers.
type Screens = Mutex<Vec<Weak<dyn Screen>>>;

/// A prepared room state that viewers receive when this drops; meanwhile its snapshot can ride
/// with the answers of the batch that made it.
pub(super) struct Publication {
    room: Arc<Room>,
    snapshot: Snapshot,
}

impl Publication {
    /// The state, for answers.
    pub(super) fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }
}

impl Drop for Publication {
    fn drop(&mut self) {
        self.room.release(self.snapshot.clone());
    }
}

/// What a host asks for when launching a deal.
#[derive(Debug, Clone)]
pub struct DealSpec {
    /// Product to sell.
    pub product: ProductId,
    /// Deal price in fen.
    pub price: i64,
    /// Units on sale.
    pub stock: i64,
    /// Most units per resident.
    pub per_resident_limit: i64,
    /// Opening time; `None` (or a past time) opens it now.
    pub starts_at: Option<UtcMillis>,
    /// Closing time.
    pub ends_at: UtcMillis,
}

/// One show's live room.
#[derive(Debug)]
pub struct Room {
    show: ShowId,
    store: Store,
    max_batch: usize,
    metrics: Arc<Metrics>,
    /// Where desks run (their own thread).
    desks: tokio::runtime::Handle,
    /// The community whose catalogue the show offers (shared with its other shows).
    community: crate::store::CommunityId,
    state: Mutex<RoomInner>,
    /// The host's changes that are written to the store and then to the room (pin, catalogue) take
    /// turns here, so the two always agree on the last one.
    host_gate: tokio::sync::Mutex<()>,
    /// Host actions with a request key take turns here (see `Room::once`).
    requests: tokio::sync::Mutex<()>,
    /// The newest published state; each shard's delivery task passes it on to its viewers.
    newest: watch::Sender<Snapshot>,
    /// The viewers' connections, each in one shard.
    screens: Arc<[Screens]>,
    /// Viewers who have joined so far; each run of [`SHARD_RUN`] goes to the next shard.
    joiners: AtomicUsize,
    orders: broadcast::Sender<Frame>,
    /// Frames for one resident: their orders cancelled elsewhere, their lucky-bag prizes.
    personal: Arc<personal::Residents>,
    /// `Event` frames, in `seq` order.
    events: broadcast::Sender<Frame>,
    /// The control room's figures, counted as orders come and change.
    tally: Mutex<pulse::Tally>,
    /// Refusals and failures, counted by the desks.
    refusals: Arc<Refusals>,
    dirty: Arc<Notify>,
    /// Seals the pickup QR values of the orders sent to their residents.
    seal: Arc<super::PickupSeal>,
    me: Weak<Room>,
}

#[derive(Debug)]
struct RoomInner {
    deals: BTreeMap<DealId, Deal>,
    desks: HashMap<DealId, mpsc::Sender<DeskCmd>>,
    pinned: Option<DealId>,
    /// Products and pickup points, and their `ShowInfo` frame.
    catalogue: Arc<Catalogue>,
    version: u64,
    /// The last event's number.
    seq: u64,
    viewers: u64,
    /// Most viewers at once so far (kept in the store every few seconds, for the show's report).
    peak: u64,
    /// The peak the store holds.
    peak_stored: u64,
    recent: VecDeque<Order>,
    /// The show's latest lucky bag, and while it is open, its task.
    bag: Option<LuckyBag>,
    bag_task: Option<mpsc::Sender<BagCmd>>,
    /// Changed since the last publication (more than the viewer count).
    dirty: bool,
    /// The viewer count changed since the last publication.
    count_dirty: bool,
    published_at: Instant,
}

/// What just changed in a room's state, for how soon it must be pushed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    /// Nothing new (publish what is pending, if due).
    Nothing,
    /// The viewer count alone: within [`COUNT_INTERVAL`].
    Count,
    /// Anything else: within [`PUSH_INTERVAL`].
    State,
}

impl RoomInner {
    /// When the pending changes are due to be pushed; `None` if there are none.
    fn due(&self) -> Option<Instant> {
        if self.dirty {
            Some(self.published_at + PUSH_INTERVAL)
        } else if self.count_dirty {
            Some(self.published_at + COUNT_INTERVAL)
        } else {
            None
        }
    }
}

impl Room {
    /// Loads a show's room from the store and starts a desk for each of its live deals.
    pub(super) async fn load(
        store: Store,
        show: ShowId,
        max_batch: usize,
        metrics: Arc<Metrics>,
        desks: tokio::runtime::Handle,
        seal: Arc<super::PickupSeal>,
    ) -> Result<Arc<Room>, LiveError> {
        let catalogue = Catalogue::load(&store, show).await?;
        let community = store
            .community_of(show)
            .await?
            .ok_or(LiveError::UnknownShow(show))?
            .id;
        let deals = store.deals(show).await?;
        let peak_viewers = store.peak_viewers(show).await?;
        let recent = store.show_orders(show, RECENT_ORDERS as i64).await?;
        let tally = pulse::Tally::load(
            &store.tallied_orders(show).await?,
            store.bag_times(show).await?,
            &deals,
        );
        let now = now_ms();
        // The host's choice if that deal has not ended; otherwise the newest deal on sale.
        let chosen = store.pinned_deal(show).await?;
        let pinned = match chosen {
            Some(None) => None,
            Some(Some(id)) if deals.iter().any(|d| d.id == id && !ended(d, now)) => Some(id),
            _ => deals
                .iter()
                .find(|d| d.is_open_at(now) && d.remaining() > 0)
                .map(|d| d.id),
        };
        let empty = Snapshot {
            show,
            version: 0,
            catalogue: 0,
            frame: Frame::new(),
        };
        let (newest, _) = watch::channel(empty);
        let screens: Arc<[Screens]> = (0..FAN_OUT_SHARDS)
            .map(|_| Mutex::new(Vec::new()))
            .collect();
        let (orders, _) = broadcast::channel(256);
        let (events, _) = broadcast::channel(EVENT_BACKLOG);
        let dirty = Arc::new(Notify::new());
        let room = Arc::new_cyclic(|me| Room {
            show,
            store: store.clone(),
            max_batch,
            metrics,
            desks,
            community,
            host_gate: tokio::sync::Mutex::new(()),
            requests: tokio::sync::Mutex::new(()),
            state: Mutex::new(RoomInner {
                deals: deals.iter().map(|d| (d.id, d.clone())).collect(),
                desks: HashMap::new(),
                pinned,
                catalogue: Arc::new(catalogue),
                version: 0,
                seq: 0,
                viewers: 0,
                peak: peak_viewers,
                peak_stored: peak_viewers,
                recent: recent.into(),
                bag: None,
                bag_task: None,
                dirty: true,
                count_dirty: false,
                published_at: Instant::now(),
            }),
            newest,
            screens: screens.clone(),
            joiners: AtomicUsize::new(0),
            orders,
            personal: Arc::default(),
            events,
            tally: Mutex::new(tally),
            refusals: Arc::default(),
            dirty: dirty.clone(),
            seal,
            me: me.clone(),
        });
        for deal in deals.into_iter().filter(|d| d.status == DealStatus::Live) {
            if deal.starts_at > now {
                room.at_start(&deal);
            }
            room.open_desk(deal).await?;
        }
        if let Some(stored) = store.latest_bag(show).await? {
            let task = if stored.bag.phase == BagPhase::Open {
                // Open when the server stopped: it takes entries again, or is drawn at once if its
                // time ran out meanwhile.
                let entered = store.bag_entries(stored.bag.id).await?;
                Some(bag::start(
                    Arc::downgrade(&room),
                    store.clone(),
                    stored.bag.clone(),
                    stored.seed,
                    entered.into_iter().collect(),
                ))
            } else {
                None
            };
            let mut inner = room.lock();
            inner.bag = Some(stored.bag);
            inner.bag_task = task;
        }
        room.publish(Change::Nothing, true);
        for shard in 0..FAN_OUT_SHARDS {
            // Out of tokio's cooperative budget: a round of writes never waits (a socket that
            // cannot take a state is left to its writer), and within the budget of 128 operations
            // per poll every write after the 128th came back "not ready", so nearly half of a
            // 256-viewer shard's states went out through their writers' wake-ups instead (426,165
            // of 1,131,996 offers in a 10,000-viewer run). The task yields after each round.
            let delivery = deliver(room.newest.subscribe(), screens.clone(), shard);
            tokio::spawn(tokio::task::coop::unconstrained(delivery));
        }
        tokio::spawn(publisher(Arc::downgrade(&room), dirty));
        tokio::spawn(pulse::beat(Arc::downgrade(&room)));
        Ok(room)
    }

    /// The show's id.
    pub fn show(&self) -> ShowId {
        self.show
    }

    /// The community whose catalogue this show offers.
    pub fn community(&self) -> crate::store::CommunityId {
        self.community
    }

    /// Where an action in this room is asked for, for [`crate::auth::permissions`].
    pub fn scope(&self) -> crate::auth::permissions::Scope {
        crate::auth::permissions::Scope {
            community: self.community,
            show: Some(self.show),
        }
    }

    /// The show as viewers last received it (title, status, start, stream).
    pub fn about(&self) -> mulin_shared::Show {
        self.lock().catalogue.show().clone()
    }

    /// The current catalogue's version and `ShowInfo` frame (products and pickup points).
    pub fn info(&self) -> (u64, Frame) {
        let inner = self.lock();
        (inner.catalogue.version, inner.catalogue.frame.clone())
    }

    /// Hands every state published from now on to `screen`, until it says it no longer follows
    /// this show or is dropped. The current state is the caller's to send.
    pub fn watch(&self, screen: Weak<dyn Screen>) {
        let joined = self.joiners.fetch_add(1, Ordering::Relaxed);
        let shard = (joined / SHARD_RUN) % self.screens.len();
        lock_screens(&self.screens[shard]).push(screen);
    }

    /// Follows the room's `Event` frames.
    pub fn subscribe_events(&self) -> broadcast::Receiver<Frame> {
        self.events.subscribe()
    }

    /// The newest published state.
    pub fn current(&self) -> Snapshot {
        self.newest.borrow().clone()
    }

    /// Follows accepted orders as `OrderPlaced` frames, and the control room's figures as `Pulse`
    /// frames (for staff).
    pub fn subscribe_orders(&self) -> broadcast::Receiver<Frame> {
        self.orders.subscribe()
    }

    /// Receives the frames meant for `resident` alone, for as long as the inbox is held.
    pub fn resident_inbox(&self, resident: ResidentId) -> Inbox {
        self.personal.inbox(resident)
    }

    /// Counts a viewer until the guard is dropped.
    pub fn viewer(&self) -> ViewerGuard {
        {
            let mut inner = self.lock();
            inner.viewers += 1;
            inner.peak = inner.peak.max(inner.viewers);
        }
        self.count_changed();
        ViewerGuard {
            room: self.me.clone(),
        }
    }

    /// The most viewers the room had at once.
    pub fn peak_viewers(&self) -> u64 {
        self.lock().peak
    }

    /// Writes the room's peak viewer count to the store if it rose since the last time.
    pub async fn keep_peak(&self) {
        let (peak, stored) = {
            let inner = self.lock();
            (inner.peak, inner.peak_stored)
        };
        if peak <= stored {
            return;
        }
        match self.store.raise_peak_viewers(self.show, peak as i64).await {
            Ok(()) => {
                let mut inner = self.lock();
                inner.peak_stored = inner.peak_stored.max(peak);
            }
            Err(e) => tracing::debug!(show = self.show, error = %e, "peak viewers not stored"),
        }
    }

    /// Sends a deal's desk a command and waits for its reply; a desk that is gone is `Unavailable`.
    async fn ask<T>(
        &self,
        deal: DealId,
        cmd: impl FnOnce(oneshot::Sender<Result<T, LiveError>>) -> DeskCmd,
    ) -> Result<T, LiveError> {
        let desk = match self.desk(deal) {
            // A deal that ended before the server last started has no desk; fixing or cancelling
            // one of its orders opens one (it sells nothing: the deal is closed).
            Err(LiveError::Unavailable) => self.reopen_desk(deal).await?,
            found => found?,
        };
        let (reply, answer) = oneshot::channel();
        desk.send(cmd(reply))
            .await
            .map_err(|_| LiveError::Unavailable)?;
        answer.await.map_err(|_| LiveError::Unavailable)?
    }

    async fn open_desk(&self, deal: Deal) -> Result<(), LiveError> {
        let id = deal.id;
        let tx = desk::start(
            &self.desks,
            self.store.clone(),
            deal,
            self.me.clone(),
            self.max_batch,
            self.metrics.clone(),
            self.refusals.clone(),
        )
        .await?;
        self.lock().desks.insert(id, tx);
        Ok(())
    }

    /// Opens a desk for a deal of the room that has none, once however many ask at the same time.
    async fn reopen_desk(&self, deal: DealId) -> Result<mpsc::Sender<DeskCmd>, LiveError> {
        let _turn = self.host_gate.lock().await;
        let known = {
            let inner = self.lock();
            if let Some(tx) = inner.desks.get(&deal) {
                return Ok(tx.clone());
            }
            inner.deals.get(&deal).cloned()
        };
        let known = known.ok_or(LiveError::UnknownDeal(deal))?;
        self.open_desk(known).await?;
        self.desk(deal)
    }

    fn desk(&self, deal: DealId) -> Result<mpsc::Sender<DeskCmd>, LiveError> {
        let inner = self.lock();
        match inner.desks.get(&deal) {
            Some(tx) => Ok(tx.clone()),
            None if inner.deals.contains_key(&deal) => Err(LiveError::Unavailable),
            None => Err(LiveError::UnknownDeal(deal)),
        }
    }

    /// Called by a desk after its deal was ended early.
    pub(super) fn deal_ended(&self, deal: &Deal) {
        self.emit(deal, |deal| RoomEvent::DealEnded { deal });
    }

    /// Records a deal's new state as an event: viewers hear of it at once, and the state that
    /// includes it is published at once too (events are rare; only stock changes are coalesced).
    fn emit(&self, deal: &Deal, event: impl FnOnce(Deal) -> RoomEvent) {
        self.emit_with(|inner| {
            inner.deals.insert(deal.id, deal.clone());
            event(deal.clone())
        });
    }

    /// Applies a change to the room and records the event it makes (see [`Room::emit`]).
    fn emit_with(&self, change: impl FnOnce(&mut RoomInner) -> RoomEvent) {
        {
            let mut inner = self.lock();
            let event = change(&mut inner);
            inner.seq += 1;
            let frame = ServerMsg::Event {
                seq: inner.seq,
                event,
            };
            // Sent under the lock, so events go out in `seq` order. Nobody listening is fine.
            let _ = self.events.send(frame.to_json().into());
        }
        self.publish(Change::State, true);
    }

    /// Sends an event to the show's staff. Serializing thousands of events a second for nobody is
    /// waste, so the message is only built when someone listens.
    fn tell_staff(&self, msg: impl FnOnce() -> ServerMsg) {
        if self.orders.receiver_count() > 0 {
            // A staff member leaving between the count and the send is fine: the event just drops.
            let _ = self.orders.send(msg().to_json().into());
        }
    }

    /// Sends a frame to one resident's connections following this room, if any listen.
    fn tell_resident(&self, resident: ResidentId, msg: impl FnOnce() -> ServerMsg) {
        // Nobody of this resident listening is fine: they get it on joining again.
        if self.personal.listening(resident) {
            self.personal.tell(resident, msg().to_json().into());
        }
    }

    fn lock(&self) -> MutexGuard<'_, RoomInner> {
        // A panic while holding this lock is a bug elsewhere; the state itself stays consistent
        // (every write is a single assignment), so keep serving rather than poison every viewer.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Whether a deal is over for good: ended by the host, or its time ran out.
fn ended(deal: &Deal, now: UtcMillis) -> bool {
    deal.status == DealStatus::Ended || deal.ends_at <= now
}

/// Counts one viewer of a room while alive.
#[derive(Debug)]
pub struct ViewerGuard {
    room: Weak<Room>,
}

impl Drop for ViewerGuard {
    fn drop(&mut self) {
        if let Some(room) = self.room.upgrade() {
            let mut inner = room.lock();
            inner.viewers = inner.viewers.saturating_sub(1);
            drop(inner);
            room.count_changed();
        }
    }
}
